import {
  Area,
  Bar,
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { Aggregate } from './api';

export const PALETTE = ['#4f46e5', '#0ea5e9', '#10b981', '#f59e0b', '#ef4444', '#8b5cf6', '#ec4899', '#14b8a6', '#84cc16', '#64748b'];

export interface Series {
  key: string;
  name: string;
  color: string;
  kind?: 'line' | 'area' | 'bar';
  stack?: string;
  dashed?: boolean;
}

export type Point = { t: number } & Record<string, number | null>;

export function TimeChart({
  data,
  series,
  yFormat,
  xFormat,
  tooltipFormat,
  xDomain,
  xTicks,
  height = 240,
  testid,
  legend = true,
  valueFormat,
}: {
  data: Point[];
  series: Series[];
  yFormat: (v: number) => string;
  xFormat: (t: number) => string;
  tooltipFormat?: (t: number) => string;
  xDomain?: [number, number];
  xTicks?: number[];
  height?: number;
  testid?: string;
  legend?: boolean;
  // Formats one series' value in the tooltip; yFormat when not given.
  valueFormat?: (v: number, key: string, point: Point) => string;
}) {
  // A line through fewer than three points would not show without dots.
  const points = (key: string) => data.reduce((n, p) => (p[key] === null || p[key] === undefined ? n : n + 1), 0);
  return (
    <div className="chart" data-testid={testid} style={{ height }}>
      <ResponsiveContainer width="100%" height="100%">
        <ComposedChart data={data} margin={{ top: 8, right: 12, bottom: 0, left: 0 }} barCategoryGap="12%">
          <CartesianGrid stroke="#eef0f4" vertical={false} />
          <XAxis
            dataKey="t"
            type={xDomain ? 'number' : 'category'}
            domain={xDomain}
            scale={xDomain ? 'time' : 'auto'}
            allowDataOverflow={!!xDomain}
            ticks={xTicks}
            tickFormatter={(t: number) => xFormat(t)}
            tick={{ fontSize: 11, fill: '#8a90a2' }}
            tickLine={false}
            axisLine={{ stroke: '#e3e6ee' }}
            minTickGap={28}
          />
          <YAxis
            tickFormatter={(v: number) => yFormat(v)}
            tick={{ fontSize: 11, fill: '#8a90a2' }}
            tickLine={false}
            axisLine={false}
            width={72}
            allowDecimals
          />
          <Tooltip
            isAnimationActive={false}
            labelFormatter={(t) => (tooltipFormat ?? xFormat)(Number(t))}
            formatter={(v, name, item) => [
              typeof v === 'number'
                ? valueFormat
                  ? valueFormat(v, String(item?.dataKey ?? ''), (item?.payload ?? {}) as Point)
                  : yFormat(v)
                : String(v ?? ''),
              name,
            ]}
            contentStyle={{ borderRadius: 8, border: '1px solid #e3e6ee', boxShadow: '0 4px 16px rgba(20,24,40,.08)', fontSize: 12 }}
            cursor={{ fill: 'rgba(79,70,229,.06)', stroke: '#c7c9f5' }}
          />
          {legend && series.length > 1 && <Legend iconType="circle" iconSize={8} wrapperStyle={{ fontSize: 12, paddingTop: 4 }} />}
          {series.map((s) => {
            if (s.kind === 'bar')
              return (
                <Bar
                  key={s.key}
                  dataKey={s.key}
                  name={s.name}
                  fill={s.color}
                  stackId={s.stack}
                  isAnimationActive={false}
                  maxBarSize={28}
                  radius={s.stack ? 0 : [3, 3, 0, 0]}
                />
              );
            if (s.kind === 'area')
              return (
                <Area
                  key={s.key}
                  type="monotone"
                  dataKey={s.key}
                  name={s.name}
                  stroke={s.color}
                  fill={s.color}
                  fillOpacity={0.14}
                  strokeWidth={1.8}
                  stackId={s.stack}
                  dot={false}
                  isAnimationActive={false}
                />
              );
            return (
              <Line
                key={s.key}
                type="monotone"
                dataKey={s.key}
                name={s.name}
                stroke={s.color}
                strokeWidth={s.dashed ? 1.5 : 2}
                strokeDasharray={s.dashed ? '4 3' : undefined}
                dot={points(s.key) < 3 ? { r: 3, fill: s.color, strokeWidth: 0 } : false}
                connectNulls
                isAnimationActive={false}
              />
            );
          })}
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}

export const BUCKET_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

// Bucket starts covering [from, to), aligned to UTC multiples of the bucket.
export function bucketStarts(from: number, to: number, bucketMs: number): number[] {
  const out: number[] = [];
  let t = Math.floor(from / bucketMs) * bucketMs;
  for (; t < to && out.length < 2000; t += bucketMs) out.push(t);
  return out;
}

// Spreads aggregates over every bucket so that quiet periods read as zero.
export function fillSeries(
  aggs: Aggregate[],
  from: number,
  to: number,
  bucketMs: number,
  pick: (a: Aggregate) => Record<string, number | null>,
  zero: Record<string, number | null>,
): Point[] {
  const byT = new Map<number, Point>();
  for (const t of bucketStarts(from, to, bucketMs)) byT.set(t, { t, ...zero } as Point);
  for (const a of aggs) {
    const raw = a.bucket ? Date.parse(a.bucket) : NaN;
    if (!Number.isFinite(raw)) continue;
    const t = Math.floor(raw / bucketMs) * bucketMs;
    const p = byT.get(t) ?? ({ t, ...zero } as Point);
    const vals = pick(a);
    for (const [k, v] of Object.entries(vals)) {
      const prev = p[k];
      p[k] = v === null ? (prev ?? null) : (prev ?? 0) + v;
    }
    byT.set(t, p);
  }
  return [...byT.values()].sort((a, b) => a.t - b.t);
}
