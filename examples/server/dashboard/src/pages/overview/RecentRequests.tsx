// The overview's live list of the latest requests; a row opens its details.
import type { RequestRecord } from '../../api';
import { fmtClock, fmtCost, fmtMs, fmtNum } from '../../format';
import { Card, Empty, Loading } from '../../ui';
import { StatusBadge } from '../requests/RequestDetail';

export function RecentRequests({
  requests,
  seeded,
  onSelect,
}: {
  requests: RequestRecord[];
  seeded: boolean;
  onSelect: (r: RequestRecord) => void;
}) {
  return (
    <Card className="recent-card" title="Recent requests" actions={<a href="#/requests">View all</a>} testid="recent-requests">
      {!seeded && requests.length === 0 ? (
        <Loading />
      ) : requests.length === 0 ? (
        <Empty title="No requests yet">
          Point a client at this server with a key from <a href="#/keys">API keys</a>.
        </Empty>
      ) : (
        <ul className="recent-list">
          {requests.slice(0, 14).map((r) => (
            <li key={r.requestId} onClick={() => onSelect(r)} data-testid="recent-request">
              <div className="recent-main">
                <span className="recent-model">{r.model || '—'}</span>
                <StatusBadge record={r} />
              </div>
              <div className="recent-meta">
                <span>{fmtClock(r.time)}</span>
                <span>{r.channelName || r.channelId || 'no channel'}</span>
                <span>{fmtMs(r.latencyMs)}</span>
                <span>
                  {fmtNum(r.inputTokens + r.cacheReadTokens + r.cacheWriteTokens)}→{fmtNum(r.outputTokens)} tok
                </span>
                {r.cost !== undefined && r.cost !== null && <span>{fmtCost(r.cost)}</span>}
              </div>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}
