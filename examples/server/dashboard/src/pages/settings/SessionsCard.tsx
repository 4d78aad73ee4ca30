import { api } from '../../api';
import { fmtDateTime, fmtRelative } from '../../format';
import { Card, DeleteButton, Empty, ErrorBox, Icon, Loading, LoadFailed, confirmAction, useLoad } from '../../ui';

export function SessionsCard() {
  const list = useLoad(() => api.sessions(), []);
  const sessions = list.data ?? [];

  const remove = async (key: string) => {
    const forgotten = await confirmAction({
      title: 'Forget session',
      message: (
        <>
          Forget the sticky session <code>{key}</code>? Its next request may go to another channel.
        </>
      ),
      confirmLabel: 'Forget',
      run: () => api.deleteSession(key),
      done: 'Session forgotten',
    });
    if (forgotten) list.setData(sessions.filter((s) => s.key !== key));
  };

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
      <ErrorBox error={list.data ? list.error : ''} />
      {list.loading && !list.data ? (
        <Loading />
      ) : list.error && !list.data ? (
        <LoadFailed what="the sessions" error={list.error} onRetry={list.reload} />
      ) : sessions.length === 0 ? (
        <Empty title="No active sessions" />
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="sessions-table">
            <thead>
              <tr>
                <th>Session</th>
                <th>Channel</th>
                <th>Expires</th>
                <th className="actions-col" />
              </tr>
            </thead>
            <tbody>
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
                    <DeleteButton onClick={() => remove(s.key)} testid="session-delete" label="Forget session" />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}
