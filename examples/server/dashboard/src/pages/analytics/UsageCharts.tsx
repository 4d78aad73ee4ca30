// The analytics charts over time: requests, tokens and cost by group, and
// the latency of all requests.
import type { Aggregate } from '../../api';
import { TimeChart, type Point, type Series } from '../../charts';
import { costLabel, fmtCost, fmtCostAxis, fmtInt, fmtMs, fmtNum } from '../../format';
import { Card } from '../../ui';

// costValue is a cost point as the tooltip says it: each point also carries
// x_<series>, the requests without a price, which make it a lower bound.
const costValue = (v: number, key: string, p: Point) => {
  const u = Number(p['x_' + key] ?? 0);
  return u > 0 ? `≥ ${fmtCost(v)} (${fmtInt(u)} unpriced)` : fmtCost(v);
};

export function UsageCharts({
  bucket,
  group,
  series,
  requests,
  tokens,
  cost,
  hasCost,
  latency,
  total,
  xTick,
  xFormat,
}: {
  bucket: string;
  group: string;
  series: (kind: 'bar' | 'area') => Series[];
  requests: Point[];
  tokens: Point[];
  cost: Point[];
  hasCost: boolean;
  latency: Point[];
  total: Aggregate;
  xTick: (t: number) => string;
  xFormat: (t: number) => string;
}) {
  const unpriced = total.unpriced ?? 0;
  const note = costLabel(total.cost, total.unpriced).note;
  return (
    <div className="chart-grid">
      <Card title="Requests" actions={<span className="muted small">per {bucket}, by {group}</span>} testid="analytics-chart-requests">
        <TimeChart data={requests} series={series('bar')} yFormat={fmtNum} xFormat={xTick} tooltipFormat={xFormat} height={250} />
      </Card>
      <Card title="Tokens" actions={<span className="muted small">input + output, by {group}</span>} testid="analytics-chart-tokens">
        <TimeChart data={tokens} series={series('area')} yFormat={fmtNum} xFormat={xTick} tooltipFormat={xFormat} height={250} />
      </Card>
      <Card
        title="Cost"
        actions={
          unpriced > 0 ? (
            <span className="small" title="Costs leave these requests out, so they are lower bounds (≥).">
              <span className="muted">USD, by {group} · </span>
              <span className="warn-text">{note}</span>
            </span>
          ) : (
            <span className="muted small">USD, by {group}</span>
          )
        }
        testid="analytics-chart-cost"
      >
        {hasCost ? (
          <TimeChart data={cost} series={series('bar')} yFormat={fmtCostAxis} valueFormat={costValue} xFormat={xTick} tooltipFormat={xFormat} height={250} />
        ) : (
          <div className="chart-placeholder" style={{ height: 250 }}>
            {unpriced > 0 ? `No priced requests in this period (${note}).` : 'No priced requests in this period.'}
          </div>
        )}
      </Card>
      <Card title="Latency" actions={<span className="muted small">all requests, per {bucket}</span>} testid="analytics-chart-latency">
        <TimeChart
          data={latency}
          series={[
            { key: 'p50', name: 'p50', color: '#4f46e5' },
            { key: 'p95', name: 'p95', color: '#f59e0b' },
            { key: 'p99', name: 'p99', color: '#ef4444', dashed: true },
          ]}
          yFormat={fmtMs}
          xFormat={xTick}
          tooltipFormat={xFormat}
          height={250}
        />
      </Card>
    </div>
  );
}
