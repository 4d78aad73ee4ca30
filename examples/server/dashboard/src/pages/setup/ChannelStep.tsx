// Step 2 of the wizard: the first channel, which can be tested before
// going on. The draft is what the form holds, kept while the wizard moves
// between steps.
import type { FormEvent, Ref } from 'react';
import type { Channel, TestResult } from '../../api';
import { slugify, splitList } from '../../format';
import { Field, Icon, Spinner, formValue } from '../../ui';
import { CHANNEL_KINDS, MODEL_HINTS } from './choices';
import { StepActions } from './StepActions';
import { TestOutcome } from './TestOutcome';

export interface ChannelDraft {
  kind: string;
  name: string;
  baseUrl: string;
  apiKey: string;
  models: string;
}

export const FIRST_DRAFT: ChannelDraft = { kind: 'anthropic', name: '', baseUrl: 'https://api.anthropic.com', apiKey: '', models: '' };

// readDraft reads the channel step's form.
export function readDraft(f: HTMLFormElement | null): ChannelDraft {
  return {
    kind: formValue(f, 'kind') || 'anthropic',
    name: formValue(f, 'name').trim(),
    baseUrl: formValue(f, 'baseUrl').trim(),
    apiKey: formValue(f, 'apiKey').trim(),
    models: formValue(f, 'models'),
  };
}

// checkDraft returns what to fix in the draft, or '' when it is complete.
export function checkDraft(d: ChannelDraft): string {
  if (!d.name) return 'Give the channel a name, e.g. “Anthropic”.';
  if (!d.baseUrl) return 'Enter the provider’s base URL.';
  if (!/^https?:\/\/[^\s]+$/i.test(d.baseUrl)) return 'The base URL must start with http:// or https://.';
  if (!d.apiKey && d.kind !== 'openai-compatible') return 'Enter the API key of this provider.';
  return '';
}

// toChannel is the channel the draft describes.
export function toChannel(d: ChannelDraft): Channel {
  const k = CHANNEL_KINDS.find((x) => x.value === d.kind) ?? CHANNEL_KINDS[0];
  const ch: Channel = {
    id: slugify(d.name) || k.value,
    name: d.name || k.label,
    type: k.type,
    baseUrl: d.baseUrl.replace(/\/+$/, ''),
    apiKey: d.apiKey,
  };
  const models = splitList(d.models);
  if (models.length) ch.models = models;
  return ch;
}

export function ChannelStep({
  formRef,
  onSubmit,
  draft,
  kind,
  onKind,
  onTest,
  testing,
  test,
  error,
}: {
  formRef: Ref<HTMLFormElement>;
  onSubmit: (e: FormEvent) => void;
  draft: ChannelDraft;
  kind: string;
  onKind: (kind: string) => void;
  onTest: () => void;
  testing: boolean;
  test: TestResult | null;
  error: string;
}) {
  return (
    <form ref={formRef} onSubmit={onSubmit} noValidate>
      <h2 className="wizard-h">Connect your first provider</h2>
      <div className="grid-2">
        <Field label="Provider" htmlFor="wizard-channel-type">
          <select id="wizard-channel-type" name="kind" data-testid="wizard-channel-type" defaultValue={draft.kind} onChange={(e) => onKind(e.target.value)}>
            {CHANNEL_KINDS.map((k) => (
              <option key={k.value} value={k.value}>
                {k.label}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Name" htmlFor="wizard-channel-name">
          <input id="wizard-channel-name" name="name" data-testid="wizard-channel-name" defaultValue={draft.name} placeholder="Anthropic" autoComplete="off" autoFocus />
        </Field>
      </div>
      <Field label="Base URL" htmlFor="wizard-channel-baseurl" hint="The provider’s API root. Change it for proxies and compatible providers.">
        <input id="wizard-channel-baseurl" name="baseUrl" data-testid="wizard-channel-baseurl" defaultValue={draft.baseUrl} autoComplete="off" spellCheck={false} />
      </Field>
      <Field label="API key" htmlFor="wizard-channel-key" hint={kind === 'openai-compatible' ? 'Optional for local servers.' : 'Stored on the server; never shown again in full.'}>
        <input
          id="wizard-channel-key"
          name="apiKey"
          type="password"
          data-testid="wizard-channel-key"
          defaultValue={draft.apiKey}
          placeholder={kind === 'anthropic' ? 'sk-ant-…' : 'sk-…'}
          autoComplete="off"
          spellCheck={false}
        />
      </Field>
      <Field label="Models" htmlFor="wizard-channel-models" hint="Comma separated; globs like claude-* work. Leave empty to accept any model.">
        <input
          id="wizard-channel-models"
          name="models"
          data-testid="wizard-channel-models"
          defaultValue={draft.models}
          placeholder={MODEL_HINTS[kind]}
          autoComplete="off"
          spellCheck={false}
        />
      </Field>

      <div className="test-row">
        <button type="button" className="btn" onClick={onTest} disabled={testing} data-testid="wizard-test">
          {testing ? <Spinner small /> : <Icon name="zap" />} Test connection
        </button>
        {test && <TestOutcome result={test} testid="wizard-test-result" />}
      </div>

      <StepActions error={error}>
        <button type="submit" className="btn btn-primary" data-testid="wizard-next">
          Next <Icon name="chevronRight" />
        </button>
      </StepActions>
    </form>
  );
}
