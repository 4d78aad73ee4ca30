// The analytics totals of the whole period, as stat cards.
import type { Aggregate } from '../../api';
import { costLabel, fmtMs, fmtNum, fmtPct } from '../../format';
import { StatCard } from '../../ui';

export function TotalStats({ total, period }: { total: Aggregate; period: string }) {
  const cost = costLabel(total.cost, total.unpriced);
  return (
    <div className="stats-grid stats-5" data-testid="analytics-totals">
      <StatCard label="Requests" value={fmtNum(total.requests)} testid="analytics-requests" sub={period} />
      <StatCard
        label="Error rate"
        value={total.requests ? fmtPct(total.errors / total.requests) : '—'}
        sub={`${fmtNum(total.errors)} failed`}
        tone={total.requests && total.errors / total.requests > 0.05 ? 'red' : undefined}
      />
      <StatCard
        label="Tokens in / out"
        value={
          <>
            {fmtNum(total.inputTokens + total.cacheReadTokens + total.cacheWriteTokens)}
            <span className="stat-sep">/</span>
            {fmtNum(total.outputTokens)}
          </>
        }
        sub={`cache read ${fmtNum(total.cacheReadTokens)}`}
      />
      <StatCard label="Cost" value={cost.text} title={cost.note} testid="analytics-cost" sub={cost.note ? <span className="warn-text">{cost.note}</span> : 'USD'} />
      <StatCard
        label="Latency p50 / p95"
        value={
          total.requests ? (
            <>
              {fmtMs(total.latencyP50Ms)}
              <span className="stat-sep">/</span>
              {fmtMs(total.latencyP95Ms)}
            </>
          ) : (
            '—'
          )
        }
        sub={total.requests ? `p99 ${fmtMs(total.latencyP99Ms)}` : undefined}
      />
    </div>
  );
}
