// Admin tokens: a way into the management API for scripts, created and
// revoked here. A token's secret is shown once, when it is created.
import { useState } from 'react';
import { api, ApiError, type AdminToken } from '../../api';
import { fmtDateTime, fmtRelative } from '../../format';
import { Card, ConfirmDeleteButton, CreateSecretDialog, Empty, Field, Icon, ListTable, Loadable, formValue, useLoad } from '../../ui';

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
      <Loadable load={list} what="the admin tokens" empty={<Empty title="No admin tokens" />}>
        {(tokens) =>
          tokens === null ? (
            <p className="muted small" data-testid="tokens-unsupported">
              This server does not offer admin tokens.
            </p>
          ) : (
            <ListTable
              testid="tokens-table"
              head={
                <>
                  <th>Name</th>
                  <th>Token</th>
                  <th>Created</th>
                  <th>Last used</th>
                </>
              }
            >
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
                    <ConfirmDeleteButton
                      testid={`token-revoke-${t.id}`}
                      label="Revoke"
                      confirm={{
                        title: 'Revoke admin token',
                        message: (
                          <>
                            Revoke <b>{t.name || t.id}</b> (<code>{t.prefix}…</code>)? Scripts that use it are refused from now on.
                          </>
                        ),
                        confirmLabel: 'Revoke',
                        run: () => api.revokeAdminToken(t.id),
                        done: `Revoked ${t.name || t.id}`,
                      }}
                      onDone={() => list.setData(tokens.filter((x) => x.id !== t.id))}
                    />
                  </td>
                </tr>
              ))}
            </ListTable>
          )
        }
      </Loadable>
      {creating && (
        <CreateSecretDialog
          testid="token"
          title="New admin token"
          createLabel="Create token"
          check={(form) => (formValue(form, 'name').trim() ? '' : 'Give the token a name, such as the script that will use it.')}
          create={async (form) => (await api.createAdminToken(formValue(form, 'name').trim())).token ?? ''}
          createdTitle="Admin token created"
          warning="Copy this token now: it will not be shown again."
          onClose={() => {
            setCreating(false);
            list.reload();
          }}
        >
          <Field label="Name" htmlFor="token-name">
            <input id="token-name" name="name" data-testid="token-name" placeholder="deploy script" autoFocus />
          </Field>
        </CreateSecretDialog>
      )}
    </Card>
  );
}
