// The analytics totals per channel, model or key; a row opens its requests.
import type { Aggregate } from '../../api';
import { costLabel, fmtMs, fmtNum, fmtPct } from '../../format';
import { navigate } from '../../router';
import { Card, Empty } from '../../ui';

export function TotalsTable({
  group,
  totals: totalsByGroup,
  label,
}: {
  group: 'channel' | 'model' | 'key';
  totals: { group: string; agg: Aggregate }[];
  label: (g: string) => string;
}) {
  return (
    <Card title={`Totals by ${group === 'key' ? 'API key' : group}`} testid="analytics-table">
      {totalsByGroup.length === 0 ? (
        <Empty title="No data" />
      ) : (
        <div className="table-wrap">
          <table className="table table-hover">
            <thead>
              <tr>
                <th>{group === 'key' ? 'API key' : group === 'channel' ? 'Channel' : 'Model'}</th>
                <th className="num">Requests</th>
                <th className="num">Errors</th>
                <th className="num">Input</th>
                <th className="num">Output</th>
                <th className="num">Cache read</th>
                <th className="num">Cost</th>
                <th className="num">p50</th>
                <th className="num">p95</th>
                <th className="num">p99</th>
              </tr>
            </thead>
            <tbody>
              {totalsByGroup.map(({ group: g, agg: a }) => {
                const c = costLabel(a.cost, a.unpriced);
                return (
                  <tr
                    key={g}
                    className="clickable"
                    title="Show these requests"
                    onClick={() => navigate('/requests', { [group]: g || undefined })}
                    data-testid="analytics-row"
                  >
                    <td>
                      <div className="strong">{label(g)}</div>
                      {g && label(g) !== g && <div className="sub mono">{g}</div>}
                    </td>
                    <td className="num">{fmtNum(a.requests)}</td>
                    <td className="num">
                      {fmtNum(a.errors)}
                      {a.requests > 0 && a.errors > 0 && <span className="sub"> ({fmtPct(a.errors / a.requests)})</span>}
                    </td>
                    <td className="num">{fmtNum(a.inputTokens)}</td>
                    <td className="num">{fmtNum(a.outputTokens)}</td>
                    <td className="num">{fmtNum(a.cacheReadTokens)}</td>
                    <td className="num" data-testid="analytics-row-cost">
                      <span className={c.note ? 'has-tip' : undefined} title={c.note}>
                        {c.text}
                      </span>
                    </td>
                    <td className="num">{fmtMs(a.latencyP50Ms)}</td>
                    <td className="num">{fmtMs(a.latencyP95Ms)}</td>
                    <td className="num">{fmtMs(a.latencyP99Ms)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}
