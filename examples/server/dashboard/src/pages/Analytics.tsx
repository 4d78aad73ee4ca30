import { useMemo, useState } from 'react';
import { api, type Aggregate } from '../api';
import { BUCKET_MS, fillSeries, PALETTE, type Series } from '../charts';
import { fmtClock, fmtDay } from '../format';
import { sumAggs } from './analytics/sumAggs';
import { TotalStats } from './analytics/TotalStats';
import { TotalsTable } from './analytics/TotalsTable';
import { UsageCharts } from './analytics/UsageCharts';
import { Card, Empty, ErrorBox, Icon, Loading, PageHeader, useLoad } from '../ui';

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

      <TotalStats total={overallTotal} period={r.label.toLowerCase()} />

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
          <UsageCharts
            bucket={bucket}
            group={group}
            series={groupSeries}
            requests={requestsData}
            tokens={tokensData}
            cost={costData}
            hasCost={hasCost}
            latency={latencyData}
            total={overallTotal}
            xTick={xTick}
            xFormat={xFormat}
          />

          <TotalsTable group={group} totals={totalsByGroup} label={label} />
        </>
      )}
    </div>
  );
}
