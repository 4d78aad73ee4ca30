import { useEffect, useMemo, useRef, useState } from 'react';
import { api, type Aggregate, type RequestRecord } from '../api';
import { fillSeries, TimeChart, type Point } from '../charts';
import { seedRequests, useLive } from '../events';
import { costLabel, fmtClock, fmtCost, fmtMs, fmtNum, fmtPct, fmtRate } from '../format';
import { Card, ErrorBox, Loading, PageHeader, StatCard, useLoad } from '../ui';
import { RequestDetail } from './requests/RequestDetail';
import { RecentRequests } from './overview/RecentRequests';

const HOUR = 3_600_000;
const ZERO: Aggregate = {
  requests: 0,
  errors: 0,
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  latencyP50Ms: 0,
  latencyP95Ms: 0,
  latencyP99Ms: 0,
  ttfbP50Ms: 0,
};
const MINUTE = 60_000;

export function OverviewPage() {
  const live = useLive();
  const overview = useLoad(() => api.overview(), [], 5000);
  const [range, setRange] = useState(() => hourRange());
  const minute = useLoad(
    () => api.analytics({ from: new Date(range.from).toISOString(), to: new Date(range.to).toISOString(), bucket: 'minute' }),
    [range.from, range.to],
  );
  const [selected, setSelected] = useState<RequestRecord | null>(null);
  const [seeded, setSeeded] = useState(false);

  useEffect(() => {
    const t = window.setInterval(() => {
      if (document.visibilityState !== 'hidden') setRange(hourRange());
    }, 15_000);
    return () => window.clearInterval(t);
  }, []);

  useEffect(() => {
    let alive = true;
    api
      .requests({ limit: 20 })
      .then((r) => alive && seedRequests(r.records))
      .catch(() => undefined)
      .finally(() => alive && setSeeded(true));
    return () => {
      alive = false;
    };
  }, []);

  // Refresh the totals shortly after requests finish.
  const reloadTimer = useRef<number | undefined>(undefined);
  const reloadOverview = overview.reload;
  useEffect(() => {
    if (live.seq === 0) return;
    window.clearTimeout(reloadTimer.current);
    reloadTimer.current = window.setTimeout(() => {
      reloadOverview();
      setRange(hourRange());
    }, 800);
    return () => window.clearTimeout(reloadTimer.current);
  }, [live.seq, reloadOverview]);

  const o = overview.data;
  const lastStats = live.stats.length ? live.stats[live.stats.length - 1] : undefined;
  const rps = lastStats ? lastStats.rps : o?.rps;

  const liveData: Point[] = useMemo(
    () => live.stats.map((s) => ({ t: Date.parse(s.time) || 0, rps: s.rps, p50: s.latencyP50Ms, p95: s.latencyP95Ms })),
    [live.stats],
  );

  const liveEnd = liveData.length ? liveData[liveData.length - 1].t : Date.now();

  const minuteData = useMemo(
    () =>
      fillSeries(
        minute.data ?? [],
        range.from,
        range.to,
        MINUTE,
        (a) => ({ ok: a.requests - a.errors, errors: a.errors, input: a.inputTokens + a.cacheReadTokens + a.cacheWriteTokens, output: a.outputTokens }),
        { ok: 0, errors: 0, input: 0, output: 0 },
      ),
    [minute.data, range.from, range.to],
  );

  const hour = o ? (o.hour ?? ZERO) : undefined;
  const day = o ? (o.day ?? ZERO) : undefined;
  const errRate = hour && hour.requests > 0 ? hour.errors / hour.requests : 0;
  const cost: { text: string; note?: string } = hour ? costLabel(hour.cost, hour.unpriced) : { text: '—' };
  const dayCost: { text: string; note?: string } = day ? costLabel(day.cost, day.unpriced) : { text: '—' };

  return (
    <div className="page">
      <PageHeader title="Overview" subtitle="Traffic through routex, live and over the last hour." />
      <ErrorBox error={overview.error} />
      {!o && overview.loading ? (
        <Loading />
      ) : (
        <div className="stats-grid stats-4" data-testid="overview-stats">
          <StatCard
            label="Requests / s"
            value={fmtRate(rps)}
            testid="stat-rps"
            sub={lastStats ? `${fmtNum(lastStats.requests)} in the last 60 s` : 'waiting for live data'}
          />
          <StatCard
            label="Requests · last hour"
            value={hour ? String(hour.requests) : '—'}
            testid="stat-requests-hour"
            sub={day ? `${fmtNum(day.requests)} in 24 h` : undefined}
          />
          <StatCard
            label="Error rate · last hour"
            value={hour ? fmtPct(errRate) : '—'}
            testid="stat-error-rate"
            tone={errRate > 0.05 ? 'red' : undefined}
            sub={hour ? `${fmtNum(hour.errors)} failed` : undefined}
          />
          <StatCard
            label="Channels available"
            value={o?.channels ? `${o.channels.available} / ${o.channels.total}` : '—'}
            testid="stat-channels"
            tone={o?.channels && o.channels.total > 0 && o.channels.available === 0 ? 'red' : o?.channels && o.channels.available < o.channels.total ? 'amber' : undefined}
            sub={<a href="#/channels">Manage channels</a>}
          />
          <StatCard label="Latency p50 · last hour" value={hour ? fmtMs(hour.latencyP50Ms) : '—'} testid="stat-latency-p50" sub={hour ? `TTFB p50 ${fmtMs(hour.ttfbP50Ms)}` : undefined} />
          <StatCard label="Latency p95 · last hour" value={hour ? fmtMs(hour.latencyP95Ms) : '—'} testid="stat-latency-p95" sub={hour ? `p99 ${fmtMs(hour.latencyP99Ms)}` : undefined} />
          <StatCard
            label="Tokens in / out · last hour"
            value={
              hour ? (
                <>
                  {fmtNum(hour.inputTokens + hour.cacheReadTokens + hour.cacheWriteTokens)}
                  <span className="stat-sep">/</span>
                  {fmtNum(hour.outputTokens)}
                </>
              ) : (
                '—'
              )
            }
            testid="stat-tokens"
            sub={hour ? `cache read ${fmtNum(hour.cacheReadTokens)} · write ${fmtNum(hour.cacheWriteTokens)}` : undefined}
          />
          <StatCard
            label="Cost · last hour"
            value={cost.text}
            title={cost.note}
            testid="stat-cost"
            sub={
              <>
                24 h:{' '}
                <span className={dayCost.note ? 'has-tip' : undefined} title={dayCost.note} data-testid="stat-cost-day">
                  {dayCost.text}
                </span>
              </>
            }
          />
        </div>
      )}

      <div className="overview-grid">
        <Card
          className="span-2"
          title={
            <>
              Requests per second <span className={'live-tag' + (live.connected ? ' on' : '')}>{live.connected ? 'live' : 'offline'}</span>
            </>
          }
          actions={<span className="muted small">last 5 minutes</span>}
          testid="chart-live-rps"
        >
          {liveData.length < 2 ? (
            <div className="chart-placeholder">{live.connected ? 'Collecting live data…' : 'Connecting to the live event stream…'}</div>
          ) : (
            <TimeChart
              data={liveData}
              series={[{ key: 'rps', name: 'req/s', color: '#4f46e5', kind: 'area' }]}
              yFormat={fmtNum}
              xFormat={(t) => fmtClock(t, false)}
              tooltipFormat={(t) => fmtClock(t)}
              xDomain={[liveEnd - 5 * MINUTE, liveEnd]}
              xTicks={minuteTicks(liveEnd - 5 * MINUTE, liveEnd)}
              height={220}
            />
          )}
        </Card>

        <RecentRequests requests={live.requests} seeded={seeded} onSelect={setSelected} />

        <Card title="Requests & errors" actions={<span className="muted small">last hour, per minute</span>} testid="chart-requests-hour">
          <ErrorBox error={minute.error} />
          {minute.loading && !minute.data ? (
            <Loading />
          ) : (
            <TimeChart
              data={minuteData}
              series={[
                { key: 'ok', name: 'Succeeded', color: '#4f46e5', kind: 'bar', stack: 'r' },
                { key: 'errors', name: 'Failed', color: '#ef4444', kind: 'bar', stack: 'r' },
              ]}
              yFormat={fmtNum}
              xFormat={(t) => fmtClock(t, false)}
              height={220}
            />
          )}
        </Card>
        <Card title="Tokens" actions={<span className="muted small">last hour, per minute</span>} testid="chart-tokens-hour">
          {minute.loading && !minute.data ? (
            <Loading />
          ) : (
            <TimeChart
              data={minuteData}
              series={[
                { key: 'input', name: 'Input', color: '#0ea5e9', kind: 'area' },
                { key: 'output', name: 'Output', color: '#10b981', kind: 'area' },
              ]}
              yFormat={fmtNum}
              xFormat={(t) => fmtClock(t, false)}
              height={220}
            />
          )}
        </Card>
      </div>
      {lastStats && (
        <p className="muted small footnote">
          Last 60 s: {fmtNum(lastStats.requests)} requests, {fmtNum(lastStats.errors)} errors, p50 {fmtMs(lastStats.latencyP50Ms)}, p95{' '}
          {fmtMs(lastStats.latencyP95Ms)}, {fmtNum(lastStats.inputTokens)} in / {fmtNum(lastStats.outputTokens)} out tokens
          {lastStats.cost !== undefined && lastStats.cost !== null ? `, ${fmtCost(lastStats.cost)}` : ''}.
        </p>
      )}
      {selected && <RequestDetail record={selected} onClose={() => setSelected(null)} />}
    </div>
  );
}

function hourRange() {
  const to = Date.now();
  const from = Math.floor((to - HOUR) / MINUTE) * MINUTE + MINUTE;
  return { from, to };
}

function minuteTicks(from: number, to: number): number[] {
  const out: number[] = [];
  for (let t = Math.ceil(from / MINUTE) * MINUTE; t <= to; t += MINUTE) out.push(t);
  return out;
}
