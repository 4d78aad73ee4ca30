// Number, duration and time formatting shared by every page.

export const DASH = '—';

export function fmtNum(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return DASH;
  const abs = Math.abs(n);
  const sign = n < 0 ? '-' : '';
  const units: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'B'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [v, s] of units) {
    if (abs >= v) {
      const x = abs / v;
      const digits = x >= 100 ? 0 : 1;
      return sign + trimZero(x.toFixed(digits)) + s;
    }
  }
  if (Number.isInteger(n)) return String(n);
  if (abs < 1) return sign + trimZero(abs.toPrecision(2));
  return sign + trimZero(abs.toFixed(abs >= 10 ? 1 : 2));
}

function trimZero(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

export function fmtInt(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return DASH;
  return Math.round(n).toLocaleString('en-US');
}

export function fmtRate(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return DASH;
  if (n === 0) return '0';
  if (n < 10) return n.toFixed(2);
  if (n < 100) return n.toFixed(1);
  return fmtNum(n);
}

export function fmtCost(c: number | null | undefined): string {
  if (c === null || c === undefined || !Number.isFinite(c)) return DASH;
  if (c === 0) return '$0';
  const abs = Math.abs(c);
  if (abs >= 1000) return '$' + Math.round(c).toLocaleString('en-US');
  if (abs >= 1) return '$' + c.toFixed(2);
  if (abs >= 0.0001) return '$' + c.toFixed(4);
  return '<$0.0001';
}

export function fmtCostAxis(c: number): string {
  if (!Number.isFinite(c) || c === 0) return '$0';
  const abs = Math.abs(c);
  if (abs >= 1000) return '$' + fmtNum(c);
  if (abs >= 1) return '$' + trimZero(c.toFixed(2));
  return '$' + trimZero(c.toPrecision(2));
}

// Cost of an aggregate. When some requests had no price the sum leaves them
// out, so it is a lower bound: shown as "≥ $x", with a note saying how many.
export function costLabel(
  cost: number | null | undefined,
  unpriced: number | undefined,
): {
  text: string;
  note?: string;
} {
  const u = unpriced ?? 0;
  const known = cost !== null && cost !== undefined && Number.isFinite(cost);
  const text = fmtCost(known ? cost : 0);
  if (u > 0) return { text: '≥ ' + text, note: `${fmtInt(u)} ${u === 1 ? 'request' : 'requests'} had no price` };
  return { text };
}

export function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return DASH;
  if (ms === 0) return '0 ms';
  if (ms < 1) return ms.toFixed(2) + ' ms';
  if (ms < 10) return ms.toFixed(1) + ' ms';
  if (ms < 1000) return Math.round(ms) + ' ms';
  const s = ms / 1000;
  if (s < 60) return (s < 10 ? s.toFixed(2) : s.toFixed(1)) + ' s';
  const m = Math.floor(s / 60);
  const rest = Math.round(s - m * 60);
  if (m < 60) return `${m}m ${rest}s`;
  const h = Math.floor(m / 60);
  return `${h}h ${m - h * 60}m`;
}

export function fmtPct(x: number | null | undefined, digits = 1): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return DASH;
  const v = x * 100;
  if (v === 0) return '0%';
  if (v < 0.1) return '<0.1%';
  return v.toFixed(digits).replace(/\.0$/, '') + '%';
}

function pad(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

export function parseTime(t: string | number | Date | undefined | null): Date | null {
  if (t === undefined || t === null || t === '') return null;
  const d = t instanceof Date ? t : new Date(t);
  if (Number.isNaN(d.getTime()) || d.getFullYear() <= 1) return null;
  return d;
}

export function fmtClock(t: string | number | Date | undefined | null, seconds = true): string {
  const d = parseTime(t);
  if (!d) return DASH;
  return pad(d.getHours()) + ':' + pad(d.getMinutes()) + (seconds ? ':' + pad(d.getSeconds()) : '');
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export function fmtDay(t: string | number | Date | undefined | null): string {
  const d = parseTime(t);
  if (!d) return DASH;
  return `${MONTHS[d.getMonth()]} ${d.getDate()}`;
}

export function fmtDateTime(t: string | number | Date | undefined | null): string {
  const d = parseTime(t);
  if (!d) return DASH;
  const today = new Date();
  const sameDay = d.toDateString() === today.toDateString();
  return (sameDay ? '' : fmtDay(d) + ' ') + fmtClock(d);
}

// A moment later today as "14:00", another day as "Nov 27 14:00".
export function fmtUntil(t: string | number | Date | undefined | null, seconds = false): string {
  const d = parseTime(t);
  if (!d) return DASH;
  const sameDay = d.toDateString() === new Date().toDateString();
  return (sameDay ? '' : fmtDay(d) + ' ') + fmtClock(d, seconds);
}

export function fmtRelative(t: string | number | Date | undefined | null): string {
  const d = parseTime(t);
  if (!d) return DASH;
  const diff = (d.getTime() - Date.now()) / 1000;
  const abs = Math.abs(diff);
  let s: string;
  if (abs < 60) s = `${Math.round(abs)}s`;
  else if (abs < 3600) s = `${Math.round(abs / 60)}m`;
  else if (abs < 86400) s = `${Math.round(abs / 3600)}h`;
  else s = `${Math.round(abs / 86400)}d`;
  return diff >= 0 ? `in ${s}` : `${s} ago`;
}

export function splitList(s: string): string[] {
  return s
    .split(/[,\n]/)
    .map((x) => x.trim())
    .filter(Boolean);
}

export function slugify(s: string): string {
  return s
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48);
}

// Quota windows (Limit.perMs, in milliseconds).
export const WINDOWS: { perMs: number; unit: string; label: string }[] = [
  { perMs: 60e3, unit: 'min', label: 'minute' },
  { perMs: 3600e3, unit: 'h', label: 'hour' },
  { perMs: 86400e3, unit: 'day', label: 'day' },
];

export function fmtWindow(perMs: number): string {
  const w = WINDOWS.find((x) => x.perMs === perMs);
  if (w) return w.unit;
  const s = perMs / 1e3;
  if (s % 86400 === 0) return `${s / 86400}d`;
  if (s % 3600 === 0) return `${s / 3600}h`;
  if (s % 60 === 0) return `${s / 60}min`;
  return `${trimZero(s.toFixed(3))}s`;
}

// "50 req/min · 400k tok/day"
export function limitsSummary(limits: { perMs: number; requests?: number; tokens?: number }[] | null | undefined): string {
  const parts: string[] = [];
  for (const l of limits ?? []) {
    const w = fmtWindow(l.perMs);
    if (l.requests) parts.push(`${fmtNum(l.requests)} req/${w}`);
    if (l.tokens) parts.push(`${fmtNum(l.tokens)} tok/${w}`);
  }
  return parts.join(' · ');
}

// Reads a count such as "400000", "400k", "1.5M" or "400,000".
export function parseCount(s: string): number {
  const t = s.trim().replace(/[,_\s]/g, '');
  if (!t) return 0;
  const m = /^(\d+(?:\.\d+)?)([kKmMbB]?)$/.exec(t);
  if (!m) return NaN;
  const mult = { '': 1, k: 1e3, m: 1e6, b: 1e9 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'b'];
  const n = Number(m[1]) * mult;
  const r = Math.round(n);
  return Math.abs(n - r) < 1e-6 ? r : NaN;
}
