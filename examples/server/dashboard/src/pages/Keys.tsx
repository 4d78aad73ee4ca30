import { useRef, useState, type FormEvent } from 'react';
import { api, errorMessage, type ProxyKey } from '../api';
import { fmtDateTime, splitList } from '../format';
import {
  Badge,
  Card,
  CopyBox,
  CONFIG_TIP, ConfigBadge, DeleteButton, fromConfig,
  Empty,
  ErrorBox,
  Field,
  Icon,
  Loading, LoadFailed,
  Modal,
  PageHeader,
  Spinner,
  Switch,
  confirmAction,
  formValue,
  toast,
  useLoad,
} from '../ui';
import { ModelChips } from './channels/ModelChips';

export function KeysPage() {
  const keys = useLoad(() => api.keys(), []);
  const [creating, setCreating] = useState(false);
  const [pending, setPending] = useState<string | null>(null);

  const toggle = async (k: ProxyKey, enabled: boolean) => {
    setPending(k.id);
    try {
      const updated = await api.updateKey(k.id, { name: k.name, models: k.models ?? [], disabled: !enabled });
      keys.setData((keys.data ?? []).map((x) => (x.id === k.id ? (updated ?? { ...x, disabled: !enabled }) : x)));
      toast(`${k.name || k.id} ${enabled ? 'enabled' : 'disabled'}`);
    } catch (e) {
      toast(errorMessage(e), 'error');
    } finally {
      setPending(null);
    }
  };

  const remove = async (k: ProxyKey) => {
    const deleted = await confirmAction({
      title: 'Delete API key',
      message: (
        <>
          Delete <b>{k.name || k.id}</b> (<code>{k.hint}</code>)? Clients using it will be refused at once.
        </>
      ),
      confirmLabel: 'Delete key',
      run: () => api.deleteKey(k.id),
      done: `Deleted ${k.name || k.id}`,
    });
    if (deleted) keys.reload();
  };

  const list = keys.data ?? [];

  return (
    <div className="page">
      <PageHeader title="API keys" subtitle="Keys that clients use to call this proxy.">
        <button className="btn btn-primary" onClick={() => setCreating(true)} data-testid="key-add">
          <Icon name="plus" /> Create key
        </button>
      </PageHeader>

      <Card>
        <ErrorBox error={keys.data ? keys.error : ''} />
        {keys.loading && !keys.data ? (
          <Loading />
        ) : keys.error && !keys.data ? (
          <LoadFailed what="the API keys" error={keys.error} onRetry={keys.reload} />
        ) : list.length === 0 ? (
          <Empty title="No API keys">
            Create a key and use it as <code>Authorization: Bearer rx-…</code> or <code>x-api-key: rx-…</code>.
          </Empty>
        ) : (
          <div className="table-wrap">
            <table className="table" data-testid="keys-table">
              <thead>
                <tr>
                  <th style={{ width: 70 }}>Enabled</th>
                  <th>Name</th>
                  <th>Key</th>
                  <th>Models</th>
                  <th>Created</th>
                  <th className="actions-col" />
                </tr>
              </thead>
              <tbody>
                {list.map((k) => (
                  <tr key={k.id} className={k.disabled ? 'row-disabled' : ''} data-testid={`key-row-${k.id}`}>
                    <td>
                      <Switch
                        checked={!k.disabled}
                        disabled={pending === k.id || fromConfig(k)}
                        title={fromConfig(k) ? CONFIG_TIP : undefined}
                        onChange={(v) => toggle(k, v)}
                        testid={`key-toggle-${k.id}`}
                        label={k.disabled ? 'Enable key' : 'Disable key'}
                      />
                    </td>
                    <td>
                      <div className="strong">
                        {k.name || k.id} {fromConfig(k) && <ConfigBadge testid={`key-config-${k.id}`} />}
                      </div>
                      <div className="sub mono">{k.id}</div>
                    </td>
                    <td>
                      <code>{k.hint}</code> {k.disabled && <Badge tone="gray">disabled</Badge>}
                    </td>
                    <td>{k.models && k.models.length ? <ModelChips models={k.models} /> : <span className="muted">all models</span>}</td>
                    <td className="nowrap">{fmtDateTime(k.createdAt)}</td>
                    <td className="actions-col">
                      <div className="row-actions">
                        <DeleteButton
                          onClick={() => remove(k)}
                          testid={`key-delete-${k.id}`}
                          disabled={fromConfig(k)}
                          title={fromConfig(k) ? CONFIG_TIP : undefined}
                        />
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      {creating && (
        <CreateKey
          onClose={() => setCreating(false)}
          onCreated={() => keys.reload()}
        />
      )}
    </div>
  );
}

function CreateKey({ onClose, onCreated }: { onClose: () => void; onCreated: () => void }) {
  const form = useRef<HTMLFormElement>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<ProxyKey | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const name = formValue(form.current, 'name').trim();
    if (!name) {
      setError('Give the key a name, e.g. the person or app that uses it.');
      return;
    }
    setBusy(true);
    setError('');
    try {
      const k = await api.createKey(name, splitList(formValue(form.current, 'models')));
      setCreated(k);
      onCreated();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  if (created)
    return (
      <Modal
        title="Key created"
        onClose={onClose}
        testid="key-created"
        footer={
          <button className="btn btn-primary" onClick={onClose} data-testid="key-done">
            Done
          </button>
        }
      >
        <div className="alert alert-warn">
          <Icon name="alert" />
          <span>Copy this key now. It is stored hashed and will not be shown again.</span>
        </div>
        <CopyBox value={created.key ?? ''} testid="key-secret" />
        <p className="muted small">
          Use it as <code>Authorization: Bearer …</code> (OpenAI SDKs) or <code>x-api-key: …</code> (Anthropic SDKs), with this server as the base URL.
        </p>
      </Modal>
    );

  return (
    <Modal
      title="Create API key"
      onClose={onClose}
      testid="key-form"
      error={error}
      errorTestid="key-error"
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form="key-form" className="btn btn-primary" disabled={busy} data-testid="key-save">
            {busy && <Spinner small />} Create key
          </button>
        </>
      }
    >
      <form id="key-form" ref={form} onSubmit={submit} noValidate>
        <Field label="Name" htmlFor="key-name">
          <input id="key-name" name="name" data-testid="key-name" placeholder="ci-pipeline" autoFocus />
        </Field>
        <Field label="Allowed models" htmlFor="key-models" hint="Optional, comma separated. Empty allows every model.">
          <input id="key-models" name="models" data-testid="key-models" placeholder="claude-sonnet-4-5, gpt-4.1" spellCheck={false} />
        </Field>
      </form>
    </Modal>
  );
}
