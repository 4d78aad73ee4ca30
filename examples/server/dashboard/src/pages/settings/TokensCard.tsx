// Admin tokens: a way into the management API for scripts, created and
// revoked here. A token's secret is shown once, when it is created.
import { useRef, useState, type FormEvent } from 'react';
import { api, ApiError, errorMessage, type AdminToken } from '../../api';
import { fmtDateTime, fmtRelative } from '../../format';
import { Card, CopyBox, DeleteButton, Empty, ErrorBox, Field, Icon, Loading, LoadFailed, Modal, Spinner, confirmAction, formValue, useLoad } from '../../ui';

export function TokensCard() {
  // A server without admin tokens answers 404: said plainly, not as an error.
  const list = useLoad<AdminToken[] | null>(
    () =>
      api.adminTokens().catch((e) => {
        if (e instanceof ApiError && e.status === 404) return null;
        throw e;
      }),
    [],
  );
  const unsupported = list.data === null;
  const [creating, setCreating] = useState(false);
  const tokens = list.data ?? [];

  const revoke = async (t: AdminToken) => {
    const revoked = await confirmAction({
      title: 'Revoke admin token',
      message: (
        <>
          Revoke <b>{t.name || t.id}</b> (<code>{t.prefix}…</code>)? Scripts that use it are refused from now on.
        </>
      ),
      confirmLabel: 'Revoke',
      run: () => api.revokeAdminToken(t.id),
      done: `Revoked ${t.name || t.id}`,
    });
    if (revoked) list.setData(tokens.filter((x) => x.id !== t.id));
  };

  return (
    <Card
      title="Admin tokens"
      testid="tokens-card"
      actions={
        !unsupported && (
          <button className="btn btn-sm" onClick={() => setCreating(true)} data-testid="token-add">
            <Icon name="plus" /> New token
          </button>
        )
      }
    >
      <p className="muted small card-intro">
        For scripts: send <code>Authorization: Bearer …</code> to the management API. Tokens are stored hashed.
      </p>
      <ErrorBox error={list.data !== undefined ? list.error : ''} />
      {list.loading && !list.data ? (
        <Loading />
      ) : list.error && !list.data ? (
        <LoadFailed what="the admin tokens" error={list.error} onRetry={list.reload} />
      ) : unsupported ? (
        <p className="muted small" data-testid="tokens-unsupported">
          This server does not offer admin tokens.
        </p>
      ) : tokens.length === 0 ? (
        <Empty title="No admin tokens" />
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="tokens-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Token</th>
                <th>Created</th>
                <th>Last used</th>
                <th className="actions-col" />
              </tr>
            </thead>
            <tbody>
              {tokens.map((t) => (
                <tr key={t.id} data-testid={`token-row-${t.id}`}>
                  <td>{t.name || t.id}</td>
                  <td className="mono">{t.prefix}…</td>
                  <td className="nowrap" title={fmtDateTime(t.createdAt)}>
                    {fmtRelative(t.createdAt)}
                  </td>
                  <td className="nowrap" title={t.lastUsedAt ? fmtDateTime(t.lastUsedAt) : undefined}>
                    {t.lastUsedAt ? fmtRelative(t.lastUsedAt) : <span className="muted">never</span>}
                  </td>
                  <td className="actions-col">
                    <DeleteButton onClick={() => revoke(t)} testid={`token-revoke-${t.id}`} label="Revoke" />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {creating && (
        <TokenDialog
          onClose={() => {
            setCreating(false);
            list.reload();
          }}
        />
      )}
    </Card>
  );
}

function TokenDialog({ onClose }: { onClose: () => void }) {
  const form = useRef<HTMLFormElement>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<AdminToken | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError('');
    const name = formValue(form.current, 'name').trim();
    if (!name) {
      setError('Give the token a name, such as the script that will use it.');
      return;
    }
    setBusy(true);
    try {
      setCreated(await api.createAdminToken(name));
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  if (created)
    return (
      <Modal
        title="Admin token created"
        onClose={onClose}
        testid="token-created"
        footer={
          <button className="btn btn-primary" onClick={onClose} data-testid="token-done">
            Done
          </button>
        }
      >
        <div className="alert alert-warn">
          <Icon name="alert" />
          <span>Copy this token now: it will not be shown again.</span>
        </div>
        <CopyBox value={created.token ?? ''} testid="token-secret" />
      </Modal>
    );

  return (
    <Modal
      title="New admin token"
      onClose={onClose}
      testid="token-form"
      error={error}
      errorTestid="token-error"
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form="token-form" className="btn btn-primary" disabled={busy} data-testid="token-save">
            {busy && <Spinner small />} Create token
          </button>
        </>
      }
    >
      <form id="token-form" ref={form} onSubmit={submit} noValidate>
        <Field label="Name" htmlFor="token-name">
          <input id="token-name" name="name" data-testid="token-name" placeholder="deploy script" autoFocus />
        </Field>
      </form>
    </Modal>
  );
}
