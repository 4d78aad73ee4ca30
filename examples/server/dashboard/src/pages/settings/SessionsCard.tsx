import { api } from '../../api';
import { fmtDateTime, fmtRelative } from '../../format';
import { Card, ConfirmDeleteButton, Empty, Icon, ListTable, Loadable, useLoad } from '../../ui';

export function SessionsCard() {
  const list = useLoad(() => api.sessions(), []);

  return (
    <Card
      title="Sticky sessions"
      actions={
        <button className="btn btn-sm btn-icon" onClick={list.reload} title="Refresh" aria-label="Refresh" data-testid="sessions-refresh">
          <Icon name="refresh" />
        </button>
      }
    >
      <p className="muted small card-intro">Conversations pinned to a channel so that prompt caches stay warm.</p>
      <Loadable load={list} what="the sessions" empty={<Empty title="No active sessions" />}>
        {(sessions) => (
          <ListTable
            testid="sessions-table"
            head={
              <>
                <th>Session</th>
                <th>Channel</th>
                <th>Expires</th>
              </>
            }
          >
            {sessions.map((s) => (
              <tr key={s.key}>
                <td className="mono ellipsis" title={s.key}>
                  {s.key}
                </td>
                <td>{s.channelId}</td>
                <td className="nowrap" title={fmtDateTime(s.expiresAt)}>
                  {fmtRelative(s.expiresAt)}
                </td>
                <td className="actions-col">
                  <ConfirmDeleteButton
                    testid="session-delete"
                    label="Forget session"
                    confirm={{
                      title: 'Forget session',
                      message: (
                        <>
                          Forget the sticky session <code>{s.key}</code>? Its next request may go to another channel.
                        </>
                      ),
                      confirmLabel: 'Forget',
                      run: () => api.deleteSession(s.key),
                      done: 'Session forgotten',
                    }}
                    onDone={() => list.setData(sessions.filter((x) => x.key !== s.key))}
                  />
                </td>
              </tr>
            ))}
          </ListTable>
        )}
      </Loadable>
    </Card>
  );
}
