// The channel dialog's models: typed, or picked from the list the provider
// gives ("Fetch models"), and optionally kept in sync with it.
import { useRef, useState } from 'react';
import { api, errorMessage, type Channel, type ChannelWithStatus } from '../../api';
import { splitList } from '../../format';
import { ErrorBox, Field, Icon, Spinner } from '../../ui';

export function ModelsField({ channel, readChannel }: { channel: ChannelWithStatus | null; readChannel: () => Channel }) {
  const input = useRef<HTMLInputElement>(null);
  const [fetched, setFetched] = useState<string[] | null>(null);
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');

  const fetchModels = async () => {
    setError('');
    setBusy(true);
    try {
      const ch = readChannel();
      // A saved channel whose key is left unchanged is listed with its stored key.
      const res = channel && !ch.apiKey ? await api.channelModels(channel.id) : await api.fetchModels(ch);
      const models = res?.models ?? [];
      const current = new Set(splitList(input.current?.value ?? ''));
      setFetched(models);
      setPicked(new Set(models.filter((m) => current.has(m))));
    } catch (err) {
      setFetched(null);
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const toggle = (m: string) => {
    const next = new Set(picked);
    if (next.has(m)) next.delete(m);
    else next.add(m);
    setPicked(next);
  };

  const use = () => {
    if (!input.current || !fetched) return;
    input.current.value = fetched.filter((m) => picked.has(m)).join(', ');
    setFetched(null);
  };

  return (
    <Field
      label={
        <span className="label-row">
          Models
          <button type="button" className="link-btn" onClick={fetchModels} disabled={busy} data-testid="channel-fetch-models">
            {busy ? <Spinner small /> : <Icon name="download" />} Fetch models
          </button>
        </span>
      }
      htmlFor="channel-models"
      hint="Comma separated; globs like claude-* work. Empty accepts any model."
    >
      <input
        ref={input}
        id="channel-models"
        name="models"
        data-testid="channel-models"
        defaultValue={(channel?.models ?? []).join(', ')}
        placeholder="claude-sonnet-4-5, claude-haiku-*"
        spellCheck={false}
      />
      <ErrorBox error={error} testid="channel-models-error" reveal />
      {fetched && (
        <div className="model-picker" data-testid="channel-model-picker">
          {fetched.length === 0 ? (
            <div className="muted small">The provider lists no models.</div>
          ) : (
            <>
              <div className="model-picker-actions">
                <span className="muted small">
                  {picked.size} of {fetched.length} selected
                </span>
                <button type="button" className="link-btn" onClick={() => setPicked(new Set(fetched))} data-testid="channel-models-all">
                  Select all
                </button>
                <button type="button" className="link-btn" onClick={() => setPicked(new Set())} data-testid="channel-models-none">
                  Select none
                </button>
              </div>
              <div className="model-picker-list" role="group" aria-label="Models the provider lists">
                {fetched.map((m) => (
                  <label key={m} className="check mono">
                    <input type="checkbox" checked={picked.has(m)} onChange={() => toggle(m)} data-testid={`channel-model-pick-${m}`} /> {m}
                  </label>
                ))}
              </div>
            </>
          )}
          <div className="model-picker-actions">
            <button type="button" className="btn btn-sm btn-primary" onClick={use} disabled={fetched.length === 0} data-testid="channel-models-use">
              Use selected
            </button>
            <button type="button" className="btn btn-sm" onClick={() => setFetched(null)}>
              Cancel
            </button>
          </div>
        </div>
      )}
      <label className="check">
        <input type="checkbox" name="syncModels" data-testid="channel-sync-models" defaultChecked={!!channel?.syncModels} /> Keep the list in sync
        with the provider
      </label>
    </Field>
  );
}
