// Step 4 of the wizard: the administrator, over a summary of the choices
// made before.
import type { FormEvent, Ref } from 'react';
import { Field, Icon, Spinner } from '../../ui';
import type { ChannelDraft } from './ChannelStep';
import { CHANNEL_KINDS, STRATEGIES } from './choices';
import { StepActions } from './StepActions';

export function AdminStep({
  formRef,
  onSubmit,
  draft,
  strategy,
  onBack,
  busy,
  error,
}: {
  formRef: Ref<HTMLFormElement>;
  onSubmit: (e: FormEvent) => void;
  draft: ChannelDraft;
  strategy: string;
  onBack: () => void;
  busy: boolean;
  error: string;
}) {
  return (
    <form ref={formRef} onSubmit={onSubmit} noValidate>
      <h2 className="wizard-h">Create the administrator</h2>
      <p className="muted wizard-p">This account signs in to this dashboard.</p>
      <Field label="Username" htmlFor="wizard-username" hint="Defaults to “admin” when left empty.">
        <input id="wizard-username" name="username" data-testid="wizard-username" placeholder="admin" autoComplete="username" autoFocus />
      </Field>
      <div className="grid-2">
        <Field label="Password" htmlFor="wizard-password" hint="At least 8 characters.">
          <input id="wizard-password" name="password" type="password" data-testid="wizard-password" autoComplete="new-password" />
        </Field>
        <Field label="Confirm password" htmlFor="wizard-password-confirm">
          <input id="wizard-password-confirm" name="confirm" type="password" data-testid="wizard-password-confirm" autoComplete="new-password" />
        </Field>
      </div>
      <div className="summary">
        <div>
          <span className="muted">Channel</span> {draft.name} · {CHANNEL_KINDS.find((k) => k.value === draft.kind)?.label} · <code>{draft.baseUrl}</code>
        </div>
        <div>
          <span className="muted">Strategy</span> {STRATEGIES.find((s) => s.name === strategy)?.title}
        </div>
      </div>
      <StepActions error={error} onBack={onBack} backDisabled={busy}>
        <button type="submit" className="btn btn-primary" disabled={busy} data-testid="wizard-finish">
          {busy ? <Spinner small /> : <Icon name="check" />} Finish setup
        </button>
      </StepActions>
    </form>
  );
}
