import { useState } from 'react';
import { api, errorMessage, type ProxyKey } from '../api';
import { fmtDateTime, splitList } from '../format';
import {
  Badge,
  Card,
  CONFIG_TIP,
  ConfigBadge,
  ConfirmDeleteButton,
  CreateSecretDialog,
  Empty,
  Field,
  Icon,
  ListTable,
  Loadable,
  PageHeader,
  Switch,
  formValue,
  fromConfig,
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

  return (
    <div className="page">
      <PageHeader title="API keys" subtitle="Keys that clients use to call this proxy.">
        <button className="btn btn-primary" onClick={() => setCreating(true)} data-testid="key-add">
          <Icon name="plus" /> Create key
        </button>
      </PageHeader>

      <Card>
        <Loadable
          load={keys}
          what="the API keys"
          empty={
            <Empty title="No API keys">
              Create a key and use it as <code>Authorization: Bearer rx-…</code> or <code>x-api-key: rx-…</code>.
            </Empty>
          }
        >
          {(list) => (
            <ListTable
              testid="keys-table"
              head={
                <>
                  <th style={{ width: 70 }}>Enabled</th>
                  <th>Name</th>
                  <th>Key</th>
                  <th>Models</th>
                  <th>Created</th>
                </>
              }
            >
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
                      <ConfirmDeleteButton
                        testid={`key-delete-${k.id}`}
                        disabled={fromConfig(k)}
                        title={fromConfig(k) ? CONFIG_TIP : undefined}
                        confirm={{
                          title: 'Delete API key',
                          message: (
                            <>
                              Delete <b>{k.name || k.id}</b> (<code>{k.hint}</code>)? Clients using it will be refused at once.
                            </>
                          ),
                          confirmLabel: 'Delete key',
                          run: () => api.deleteKey(k.id),
                          done: `Deleted ${k.name || k.id}`,
                        }}
                        onDone={keys.reload}
                      />
                    </div>
                  </td>
                </tr>
              ))}
            </ListTable>
          )}
        </Loadable>
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
  return (
    <CreateSecretDialog
      testid="key"
      title="Create API key"
      createLabel="Create key"
      check={(form) => (formValue(form, 'name').trim() ? '' : 'Give the key a name, e.g. the person or app that uses it.')}
      create={async (form) => {
        const k = await api.createKey(formValue(form, 'name').trim(), splitList(formValue(form, 'models')));
        onCreated();
        return k.key ?? '';
      }}
      createdTitle="Key created"
      warning="Copy this key now. It is stored hashed and will not be shown again."
      note={
        <p className="muted small">
          Use it as <code>Authorization: Bearer …</code> (OpenAI SDKs) or <code>x-api-key: …</code> (Anthropic SDKs), with this server as the base URL.
        </p>
      }
      onClose={onClose}
    >
      <Field label="Name" htmlFor="key-name">
        <input id="key-name" name="name" data-testid="key-name" placeholder="ci-pipeline" autoFocus />
      </Field>
      <Field label="Allowed models" htmlFor="key-models" hint="Optional, comma separated. Empty allows every model.">
        <input id="key-models" name="models" data-testid="key-models" placeholder="claude-sonnet-4-5, gpt-4.1" spellCheck={false} />
      </Field>
    </CreateSecretDialog>
  );
}
