// The dialog that adds or edits a channel.
import { useRef, useState, type FormEvent } from 'react';
import { api, errorMessage, type Channel, type ChannelWithStatus } from '../../api';
import { splitList } from '../../format';
import { Field, Icon, KVEditor, Modal, Spinner, formChecked, formValue, fromRows, toRows, type KVRow, useLoad } from '../../ui';
import { specsToText, textToSpecs } from './transformerSpecs';
import { ModelsField } from './ModelsField';
import { LimitsEditor, readLimits, toLimitRows, type LimitRow } from './Limits';

const DEFAULT_BASE: Record<string, string> = {
  anthropic: 'https://api.anthropic.com',
  'anthropic-account': 'https://api.anthropic.com',
  openai: 'https://api.openai.com',
  'openai-responses': 'https://api.openai.com',
  gemini: 'https://generativelanguage.googleapis.com',
};

export function ChannelForm({
  channel,
  onClose,
  onSaved,
}: {
  channel: ChannelWithStatus | null;
  onClose: () => void;
  onSaved: (c: ChannelWithStatus, created: boolean, signIn: boolean) => void;
}) {
  const isNew = !channel;
  const form = useRef<HTMLFormElement>(null);
  const initialKind = channel?.oauth ? 'anthropic-account' : (channel?.type ?? 'anthropic');
  const [kind, setKind] = useState(initialKind);
  const [modelMap, setModelMap] = useState<KVRow[]>(() => toRows(channel?.modelMap));
  const [headers, setHeaders] = useState<KVRow[]>(() => toRows(channel?.headers));
  const [limits, setLimits] = useState<LimitRow[]>(() => toLimitRows(channel?.limits));
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const known = useLoad(() => api.transformers(), []);

  const onType = (type: string) => {
    setKind(type);
    const input = form.current?.elements.namedItem('baseUrl') as HTMLInputElement | null;
    if (!input) return;
    const cur = input.value.trim().replace(/\/+$/, '');
    if (!cur || Object.values(DEFAULT_BASE).includes(cur)) input.value = DEFAULT_BASE[type] ?? '';
  };

  // readChannel reads the channel the form describes; it throws on a field
  // that does not parse.
  const readChannel = (): Channel => {
    const f = form.current;
    const name = formValue(f, 'name').trim();
    const id = isNew ? formValue(f, 'id').trim() : channel!.id;
    const baseUrl = formValue(f, 'baseUrl').trim().replace(/\/+$/, '');
    if (!name && !id) throw new Error('Give the channel a name or an id.');
    if (!baseUrl) throw new Error('The base URL is required.');
    const num = (field: string, label: string): number => {
      const raw = formValue(f, field).trim();
      if (!raw) return 0;
      const n = Number(raw);
      if (!Number.isFinite(n)) throw new Error(`${label} must be a number.`);
      return n;
    };
    const timeoutSec = num('timeout', 'Timeout');
    const typeValue = formValue(f, 'type') || 'anthropic';
    const account = typeValue === 'anthropic-account';
    const ch: Channel = {
      id,
      name,
      type: (account ? 'anthropic' : typeValue) as Channel['type'],
      baseUrl,
      apiKey: account ? '' : formValue(f, 'apiKey').trim(),
      oauth: account,
      limits: readLimits(f, limits),
      models: splitList(formValue(f, 'models')),
      modelMap: fromRows(modelMap),
      priority: Math.trunc(num('priority', 'Priority')),
      weight: Math.trunc(num('weight', 'Weight')),
      disabled: !formChecked(f, 'enabled'),
      headers: fromRows(headers),
      timeoutMs: Math.round(timeoutSec * 1e3),
      streamIdleTimeoutMs: channel?.streamIdleTimeoutMs ?? 0,
      transformers: textToSpecs(formValue(f, 'transformers')),
    };
    // Sent when set, or when the server gave it: a server without it refuses the field.
    const syncModels = formChecked(f, 'syncModels');
    if (syncModels || channel?.syncModels !== undefined) ch.syncModels = syncModels;
    if (!ch.id) delete (ch as Partial<Channel>).id;
    return ch;
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError('');
    try {
      const ch = readChannel();
      const account = !!ch.oauth;
      if (!account && channel?.oauth && !ch.apiKey && !channel.apiKey) throw new Error('Enter the API key the channel uses instead of its account.');
      setBusy(true);
      const saved = isNew ? await api.createChannel(ch) : await api.updateChannel(channel!.id, ch);
      // A channel just switched to an account signs in next.
      onSaved(saved ?? ch, isNew, account && !channel?.oauth);
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };

  return (
    <Modal
      title={isNew ? 'Add channel' : `Edit ${channel!.name || channel!.id}`}
      onClose={onClose}
      wide
      testid="channel-form"
      error={error}
      errorTestid="channel-error"
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form="channel-form" className="btn btn-primary" disabled={busy} data-testid="channel-save">
            {busy && <Spinner small />} {isNew ? 'Add channel' : 'Save changes'}
          </button>
        </>
      }
    >
      <form id="channel-form" ref={form} onSubmit={submit} noValidate>
        <div className="grid-2">
          <Field label="Name" htmlFor="channel-name">
            <input id="channel-name" name="name" data-testid="channel-name" defaultValue={channel?.name ?? ''} placeholder="Anthropic main" autoFocus />
          </Field>
          <Field label="Id" htmlFor="channel-id" hint={isNew ? 'Optional: generated from the name.' : 'The id cannot be changed.'}>
            <input
              id="channel-id"
              name="id"
              data-testid="channel-id"
              defaultValue={channel?.id ?? ''}
              disabled={!isNew}
              placeholder="anthropic-main"
              spellCheck={false}
            />
          </Field>
          <Field label="Type" htmlFor="channel-type">
            <select id="channel-type" name="type" data-testid="channel-type" defaultValue={initialKind} onChange={(e) => onType(e.target.value)}>
              <option value="anthropic">Anthropic (API key)</option>
              <option value="anthropic-account">Anthropic account (sign in)</option>
              <option value="openai">OpenAI / OpenAI-compatible</option>
              <option value="openai-responses">OpenAI Responses API</option>
              <option value="gemini">Google Gemini</option>
            </select>
          </Field>
          <Field label="Base URL" htmlFor="channel-baseurl">
            <input
              id="channel-baseurl"
              name="baseUrl"
              data-testid="channel-baseurl"
              defaultValue={channel?.baseUrl ?? DEFAULT_BASE.anthropic}
              spellCheck={false}
            />
          </Field>
        </div>
        {kind === 'anthropic-account' ? (
          <div className="alert alert-info" data-testid="channel-account-note">
            <Icon name="user" />
            <span>
              {channel?.oauth ? (
                <>This channel signs in with an Anthropic account. Sign it in again or out from the channels table.</>
              ) : (
                <>
                  No API key: after saving, you sign in with a Claude subscription (Pro or Max) or a Console account. Requests skip the
                  channel until then.
                </>
              )}
            </span>
          </div>
        ) : (
          <Field
            label="API key"
            htmlFor="channel-key"
            hint={
              isNew
                ? undefined
                : channel?.oauth
                  ? 'The channel will use this key instead of its account.'
                  : `Stored key ${channel?.apiKey || '(none)'}. Leave empty to keep it.`
            }
          >
            <input
              id="channel-key"
              name="apiKey"
              type="password"
              data-testid="channel-key"
              placeholder={isNew || channel?.oauth ? 'sk-…' : 'unchanged'}
              autoComplete="off"
              spellCheck={false}
            />
          </Field>
        )}
        <ModelsField channel={channel} readChannel={readChannel} />
        <div className="grid-3">
          <Field label="Priority" htmlFor="channel-priority" hint="Lower is tried first (priority strategy).">
            <input id="channel-priority" name="priority" type="number" data-testid="channel-priority" defaultValue={channel?.priority ?? 0} />
          </Field>
          <Field label="Weight" htmlFor="channel-weight" hint="Share for the weighted strategy.">
            <input id="channel-weight" name="weight" type="number" min={0} data-testid="channel-weight" defaultValue={channel?.weight || 1} />
          </Field>
          <Field label="Timeout (seconds)" htmlFor="channel-timeout" hint="Wait for the first byte; 0 = default.">
            <input
              id="channel-timeout"
              name="timeout"
              type="number"
              min={0}
              step="any"
              data-testid="channel-timeout"
              defaultValue={channel?.timeoutMs ? channel.timeoutMs / 1e3 : 0}
            />
          </Field>
        </div>
        <Field
          label="Limits"
          hint="Quotas per window of UTC time, such as an account’s requests per minute or tokens per day. A channel over one is skipped until the window rolls."
        >
          <LimitsEditor rows={limits} onChange={setLimits} />
        </Field>
        <Field label="Model map" hint="Rename a requested model to this channel’s own name for it.">
          <KVEditor rows={modelMap} onChange={setModelMap} keyPlaceholder="requested model" valuePlaceholder="channel model" testid="channel-modelmap" addLabel="Add mapping" />
        </Field>
        <Field label="Extra headers" hint="Sent with every upstream request. Sensitive values are shown masked.">
          <KVEditor rows={headers} onChange={setHeaders} keyPlaceholder="Header-Name" valuePlaceholder="value" testid="channel-headers" addLabel="Add header" />
        </Field>
        <Field
          label="Transformers"
          htmlFor="channel-transformers"
          hint={
            <>
              Names, comma separated, or a JSON array such as <code>["cleancache", ["maxtoken", {'{'}"max": 8192{'}'}]]</code>.
              {known.data && known.data.length > 0 && <> Available: {known.data.join(', ')}.</>}
            </>
          }
        >
          <input
            id="channel-transformers"
            name="transformers"
            data-testid="channel-transformers"
            defaultValue={specsToText(channel?.transformers)}
            placeholder="cleancache"
            spellCheck={false}
            className="mono"
          />
        </Field>
        <label className="check">
          <input type="checkbox" name="enabled" data-testid="channel-enabled" defaultChecked={!channel?.disabled} /> Enabled (takes traffic)
        </label>
      </form>
    </Modal>
  );
}
