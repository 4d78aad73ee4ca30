import { api } from '../../api';
import { Card, ErrorBox, Icon, Loading, useLoad } from '../../ui';

export function ServerCard({ onLogout }: { onLogout: () => void }) {
  const s = useLoad(() => api.settings(), []);
  return (
    <Card title="Server">
      <ErrorBox error={s.error} />
      {s.loading && !s.data ? (
        <Loading />
      ) : (
        <dl className="details compact">
          <div>
            <dt>Signed in as</dt>
            <dd className="strong">{s.data?.username || '—'}</dd>
          </div>
          <div>
            <dt>Listening on</dt>
            <dd>
              <code>{s.data?.addr || '—'}</code>
            </dd>
          </div>
          <div>
            <dt>Data directory</dt>
            <dd>
              <code>{s.data?.dataDir || '—'}</code>
            </dd>
          </div>
          <div>
            <dt>Version</dt>
            <dd>{s.data?.version || '—'}</dd>
          </div>
        </dl>
      )}
      <button className="btn" onClick={onLogout} data-testid="settings-logout">
        <Icon name="logout" /> Sign out
      </button>
    </Card>
  );
}
