import { useMemo, useState } from 'react';
import { api, type Aggregate } from '../api';
import { BUCKET_MS, fillSeries, PALETTE, TimeChart, type Point, type Series } from '../charts';
import { costLabel, fmtClock, fmtCost, fmtCostAxis, fmtInt, fmtDay, fmtMs, fmtNum, fmtPct } from '../format';
import { navigate } from '../router';
import { Card, Empty, ErrorBox, Icon, Loading, PageHeader, StatCard, useLoad } from '../ui';

const RANGES: Record<string, { label: string; ms: number; bucket: string }> = {
  '1h': { label: 'Last hour', ms: 3_600_000, bucket: 'minute' },
  '24h': { label: 'Last 24 hours', ms: 86_400_000, bucket: 'hour' },
  '7d': { label: 'Last 7 days', ms: 7 * 86_400_000, bucket: 'day' },
};

const MAX_GROUPS = 8;

type GroupBy = 'channel' | 'model' | 'key';

function sumAggs(aggs: Aggregate[]): Aggregate {
  const out: Aggregate = {
    requests: 0,
    errors: 0,
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    cost: null,
    unpriced: 0,
    latencyP50Ms: 0,
    latencyP95Ms: 0,
    latencyP99Ms: 0,
    ttfbP50Ms: 0,
  };
  let weight = 0;
  for (const a of aggs) {
    out.requests += a.requests;
    out.errors += a.errors;
    out.inputTokens += a.inputTokens;
    out.outputTokens += a.outputTokens;
    out.cacheReadTokens += a.cacheReadTokens;
    out.cacheWriteTokens += a.cacheWriteTokens;
    out.unpriced = (out.unpriced ?? 0) + (a.unpriced ?? 0);
    if (a.cost !== null && a.cost !== undefined) out.cost = (out.cost ?? 0) + a.cost;
    // Percentiles do not add up; a request-weighted mean is the best estimate.
    out.latencyP50Ms += a.latencyP50Ms * a.requests;
    out.latencyP95Ms += a.latencyP95Ms * a.requests;
    out.latencyP99Ms += a.latencyP99Ms * a.requests;
    out.ttfbP50Ms += a.ttfbP50Ms * a.requests;
    weight += a.requests;
  }
  if (weight > 0) {
    out.latencyP50Ms /= weight;
    out.latencyP95Ms /= weight;
    out.latencyP99Ms /= weight;
    out.ttfbP50Ms /= weight;
  }
  return out;
}

export function AnalyticsPage() {
  const [range, setRange] = useState<keyof typeof RANGES>('24h');
  const [group, setGroup] = useState<GroupBy>('channel');
  const [bucketChoice, setBucketChoice] = useState('auto');
  const [now, setNow] = useState(() => Date.now());

  const r = RANGES[range];
  let bucket = bucketChoice === 'auto' ? r.bucket : bucketChoice;
  if (bucket === 'minute' && range === '7d') bucket = 'hour';
  const bucketMs = BUCKET_MS[bucket];
  const to = now;
  const from = Math.floor((to - r.ms) / bucketMs) * bucketMs + (bucket === 'day' ? 0 : bucketMs);
  const q = { from: new Date(from).toISOString(), to: new Date(to).toISOString() };

  const grouped = useLoad(() => api.analytics({ ...q, bucket, group }), [from, to, bucket, group]);
  const overall = useLoad(() => api.analytics({ ...q, bucket }), [from, to, bucket]);
  const groupTotals = useLoad(() => api.analytics({ ...q, group }), [from, to, group]);
  const total = useLoad(() => api.analytics(q), [from, to]);
  const channels = useLoad(() => api.channels(), []);
  const keys = useLoad(() => api.keys(), []);

  const label = (g: string | undefined): string => {
    if (!g) return group === 'key' ? '(no key)' : group === 'channel' ? '(no channel)' : '(none)';
    if (group === 'channel') {
      const c = channels.data?.find((x) => x.id === g);
      return c?.name && c.name !== c.id ? c.name : g;
    }
    if (group === 'key') return keys.data?.find((k) => k.id === g)?.name || g;
    return g;
  };

  const totalsByGroup = useMemo(() => {
    const m = new Map<string, Aggregate[]>();
    for (const a of groupTotals.data ?? []) {
      const k = a.group ?? '';
      m.set(k, [...(m.get(k) ?? []), a]);
    }
    return [...m.entries()]
      .map(([g, list]) => ({ group: g, agg: list.length === 1 ? list[0] : sumAggs(list) }))
      .sort((a, b) => b.agg.requests - a.agg.requests);
  }, [groupTotals.data]);

  const overallTotal = useMemo(() => {
    const list = total.data ?? [];
    return list.length === 1 ? list[0] : sumAggs(list);
  }, [total.data]);

  // The busiest groups get their own series; the rest are summed as "other".
  const seriesGroups = useMemo(() => {
    const counts = new Map<string, number>();
    for (const a of grouped.data ?? []) counts.set(a.group ?? '', (counts.get(a.group ?? '') ?? 0) + a.requests);
    const sorted = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([g]) => g);
    return { top: sorted.slice(0, MAX_GROUPS), other: sorted.length > MAX_GROUPS };
  }, [grouped.data]);

  const groupSeries = (kind: 'bar' | 'area'): Series[] => {
    const s: Series[] = seriesGroups.top.map((g, i) => ({ key: 'g' + i, name: label(g), color: PALETTE[i % PALETTE.length], kind, stack: 's' }));
    if (seriesGroups.other) s.push({ key: 'other', name: 'other', color: '#94a3b8', kind, stack: 's' });
    return s;
  };

  const groupData = (pick: (a: Aggregate) => number | null, extra?: (a: Aggregate) => number) => {
    const zero: Record<string, number | null> = { other: 0 };
    seriesGroups.top.forEach((_, i) => (zero['g' + i] = 0));
    if (extra) for (const k of Object.keys(zero)) zero['x_' + k] = 0;
    const index = new Map(seriesGroups.top.map((g, i) => [g, 'g' + i]));
    return fillSeries(
      grouped.data ?? [],
      from,
      to,
      bucketMs,
      (a) => {
        const k = index.get(a.group ?? '') ?? 'other';
        return extra ? { [k]: pick(a), ['x_' + k]: extra(a) } : { [k]: pick(a) };
      },
      zero,
    );
  };

  const requestsData = useMemo(() => groupData((a) => a.requests), [grouped.data, seriesGroups, from, to, bucketMs]); // eslint-disable-line react-hooks/exhaustive-deps
  const tokensData = useMemo(
    () => groupData((a) => a.inputTokens + a.outputTokens + a.cacheReadTokens + a.cacheWriteTokens),
    [grouped.data, seriesGroups, from, to, bucketMs], // eslint-disable-line react-hooks/exhaustive-deps
  );
  // Each point also carries x_<series>, the requests without a price.
  const costData = useMemo(
    () => groupData((a) => a.cost ?? 0, (a) => a.unpriced ?? 0),
    [grouped.data, seriesGroups, from, to, bucketMs], // eslint-disable-line react-hooks/exhaustive-deps
  );
  const costValue = (v: number, key: string, p: Point) => {
    const u = Number(p['x_' + key] ?? 0);
    return u > 0 ? `≥ ${fmtCost(v)} (${fmtInt(u)} unpriced)` : fmtCost(v);
  };
  const hasCost = (grouped.data ?? []).some((a) => a.cost !== null && a.cost !== undefined && a.cost > 0);

  const latencyData = useMemo(
    () =>
      fillSeries(
        (overall.data ?? []).filter((a) => a.requests > 0),
        from,
        to,
        bucketMs,
        (a) => ({ p50: a.latencyP50Ms, p95: a.latencyP95Ms, p99: a.latencyP99Ms }),
        { p50: null, p95: null, p99: null },
      ),
    [overall.data, from, to, bucketMs],
  );

  const xFormat = (t: number) => (bucket === 'day' ? fmtDay(t) : fmtDay(t) + ' ' + fmtClock(t, false));
  const xTick = (t: number) => (bucket === 'day' ? fmtDay(t) : range === '1h' || range === '24h' ? fmtClock(t, false) : fmtDay(t));

  const loading = grouped.loading && !grouped.data;
  const error = grouped.error || overall.error || groupTotals.error || total.error;
  const totCost = costLabel(overallTotal.cost, overallTotal.unpriced);
  const unpricedTotal = overallTotal.unpriced ?? 0;
  const empty = !loading && (grouped.data?.length ?? 0) === 0;

  return (
    <div className="page">
      <PageHeader title="Analytics" subtitle="Usage, cost and latency over time.">
        <div className="segmented" role="group" aria-label="Time range">
          {Object.entries(RANGES).map(([k, v]) => (
            <button
              key={k}
              type="button"
              className={range === k ? 'active' : ''}
              onClick={() => {
                setRange(k);
                setNow(Date.now());
              }}
              data-testid={`analytics-range-${k}`}
              title={v.label}
            >
              {k}
            </button>
          ))}
        </div>
        <label className="inline-select">
          <span>Group by</span>
          <select value={group} onChange={(e) => setGroup(e.target.value as GroupBy)} data-testid="analytics-group">
            <option value="channel">Channel</option>
            <option value="model">Model</option>
            <option value="key">API key</option>
          </select>
        </label>
        <label className="inline-select">
          <span>Bucket</span>
          <select value={bucketChoice} onChange={(e) => setBucketChoice(e.target.value)} data-testid="analytics-bucket">
            <option value="auto">Auto ({r.bucket})</option>
            <option value="minute" disabled={range === '7d'}>
              Minute
            </option>
            <option value="hour">Hour</option>
            <option value="day">Day</option>
          </select>
        </label>
        <button className="btn btn-icon" onClick={() => setNow(Date.now())} title="Refresh" aria-label="Refresh" data-testid="analytics-refresh">
          <Icon name="refresh" />
        </button>
      </PageHeader>

      <ErrorBox error={error} />

      <div className="stats-grid stats-5" data-testid="analytics-totals">
        <StatCard label="Requests" value={fmtNum(overallTotal.requests)} testid="analytics-requests" sub={r.label.toLowerCase()} />
        <StatCard
          label="Error rate"
          value={overallTotal.requests ? fmtPct(overallTotal.errors / overallTotal.requests) : '—'}
          sub={`${fmtNum(overallTotal.errors)} failed`}
          tone={overallTotal.requests && overallTotal.errors / overallTotal.requests > 0.05 ? 'red' : undefined}
        />
        <StatCard
          label="Tokens in / out"
          value={
            <>
              {fmtNum(overallTotal.inputTokens + overallTotal.cacheReadTokens + overallTotal.cacheWriteTokens)}
              <span className="stat-sep">/</span>
              {fmtNum(overallTotal.outputTokens)}
            </>
          }
          sub={`cache read ${fmtNum(overallTotal.cacheReadTokens)}`}
        />
        <StatCard label="Cost" value={totCost.text} title={totCost.note} testid="analytics-cost" sub={totCost.note ? <span className="warn-text">{totCost.note}</span> : 'USD'} />
        <StatCard
          label="Latency p50 / p95"
          value={
            overallTotal.requests ? (
              <>
                {fmtMs(overallTotal.latencyP50Ms)}
                <span className="stat-sep">/</span>
                {fmtMs(overallTotal.latencyP95Ms)}
              </>
            ) : (
              '—'
            )
          }
          sub={overallTotal.requests ? `p99 ${fmtMs(overallTotal.latencyP99Ms)}` : undefined}
        />
      </div>

      {loading ? (
        <Card>
          <Loading />
        </Card>
      ) : empty ? (
        <Card>
          <Empty title="No traffic in this period">Pick a longer range, or send some requests through the proxy.</Empty>
        </Card>
      ) : (
        <>
          <div className="chart-grid">
            <Card title="Requests" actions={<span className="muted small">per {bucket}, by {group}</span>} testid="analytics-chart-requests">
              <TimeChart data={requestsData} series={groupSeries('bar')} yFormat={fmtNum} xFormat={xTick} tooltipFormat={xFormat} height={250} />
            </Card>
            <Card title="Tokens" actions={<span className="muted small">input + output, by {group}</span>} testid="analytics-chart-tokens">
              <TimeChart data={tokensData} series={groupSeries('area')} yFormat={fmtNum} xFormat={xTick} tooltipFormat={xFormat} height={250} />
            </Card>
            <Card
              title="Cost"
              actions={
                unpricedTotal > 0 ? (
                  <span className="small" title="Costs leave these requests out, so they are lower bounds (≥).">
                    <span className="muted">USD, by {group} · </span>
                    <span className="warn-text">{totCost.note}</span>
                  </span>
                ) : (
                  <span className="muted small">USD, by {group}</span>
                )
              }
              testid="analytics-chart-cost"
            >
              {hasCost ? (
                <TimeChart
                  data={costData}
                  series={groupSeries('bar')}
                  yFormat={fmtCostAxis}
                  valueFormat={costValue}
                  xFormat={xTick}
                  tooltipFormat={xFormat}
                  height={250}
                />
              ) : (
                <div className="chart-placeholder" style={{ height: 250 }}>
                  {unpricedTotal > 0 ? `No priced requests in this period (${totCost.note}).` : 'No priced requests in this period.'}
                </div>
              )}
            </Card>
            <Card title="Latency" actions={<span className="muted small">all requests, per {bucket}</span>} testid="analytics-chart-latency">
              <TimeChart
                data={latencyData}
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
        </>
      )}
    </div>
  );
}
