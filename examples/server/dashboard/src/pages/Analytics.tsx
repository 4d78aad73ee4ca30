import { useMemo, useState } from 'react';
import { api, type Aggregate } from '../api';
import { BUCKET_MS, fillSeries, PALETTE, TimeChart, type Point, type Series } from '../charts';
import { costLabel, fmtClock, fmtCost, fmtCostAxis, fmtInt, fmtDay, fmtMs, fmtNum, fmtPct } from '../format';
import { sumAggs } from './analytics/sumAggs';
import { TotalsTable } from './analytics/TotalsTable';
import { Card, Empty, ErrorBox, Icon, Loading, PageHeader, StatCard, useLoad } from '../ui';

const RANGES: Record<string, { label: string; ms: number; bucket: string }> = {
  '1h': { label: 'Last hour', ms: 3_600_000, bucket: 'minute' },
  '24h': { label: 'Last 24 hours', ms: 86_400_000, bucket: 'hour' },
  '7d': { label: 'Last 7 days', ms: 7 * 86_400_000, bucket: 'day' },
};

const MAX_GROUPS = 8;

type GroupBy = 'channel' | 'model' | 'key';

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

          <TotalsTable group={group} totals={totalsByGroup} label={label} />
        </>
      )}
    </div>
  );
}
