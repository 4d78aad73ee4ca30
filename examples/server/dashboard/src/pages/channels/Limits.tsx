// A channel's quotas: the summary in the table and the editor in the dialog.
import { Fragment } from 'react';
import type { Limit } from '../../api';
import { fmtNum, fmtWindow, limitsSummary, parseCount, WINDOWS } from '../../format';
import { formValue, Icon } from '../../ui';

export function LimitsSummary({ limits }: { limits: Limit[] }) {
  const title = limits
    .map((l) => {
      const w = WINDOWS.find((x) => x.perMs === l.perMs)?.label ?? fmtWindow(l.perMs);
      const caps = [l.requests ? `${fmtNum(l.requests)} requests` : '', l.tokens ? `${fmtNum(l.tokens)} tokens` : ''].filter(Boolean).join(' and ');
      return `At most ${caps} per ${w} (UTC)`;
    })
    .join('\n');
  const parts = limitsSummary(limits).split(' · ');
  return (
    <span className="limits-summary" title={title}>
      {parts.map((p, i) => (
        <Fragment key={i}>
          {i > 0 && ' · '}
          <span className="nowrap">{p}</span>
        </Fragment>
      ))}
    </span>
  );
}

export interface LimitRow {
  key: number;
  perMs: number;
  requests: string;
  tokens: string;
}

let limitRowSeq = 0;

export function toLimitRows(limits: Limit[] | null | undefined): LimitRow[] {
  return (limits ?? []).map((l) => ({
    key: ++limitRowSeq,
    perMs: l.perMs,
    requests: l.requests ? String(l.requests) : '',
    tokens: l.tokens ? String(l.tokens) : '',
  }));
}

// Reads the limit rows from the form; rows with neither cap are dropped.
export function readLimits(f: HTMLFormElement | null, rows: LimitRow[]): Limit[] {
  const out: Limit[] = [];
  rows.forEach((r, i) => {
    const perMs = Number(formValue(f, `limitPer-${r.key}`));
    const rawReq = formValue(f, `limitRequests-${r.key}`);
    const rawTok = formValue(f, `limitTokens-${r.key}`);
    if (!rawReq.trim() && !rawTok.trim()) return;
    const requests = parseCount(rawReq);
    const tokens = parseCount(rawTok);
    if (!Number.isFinite(requests) || requests < 0) throw new Error(`Limit ${i + 1}: requests must be a whole number, such as 50.`);
    if (!Number.isFinite(tokens) || tokens < 0) throw new Error(`Limit ${i + 1}: tokens must be a whole number, such as 400000 or 400k.`);
    if (requests === 0 && tokens === 0) throw new Error(`Limit ${i + 1}: set requests, tokens or both above zero.`);
    if (!Number.isFinite(perMs) || perMs <= 0) throw new Error(`Limit ${i + 1}: pick a window.`);
    const l: Limit = { perMs };
    if (requests) l.requests = requests;
    if (tokens) l.tokens = tokens;
    out.push(l);
  });
  return out;
}

export function LimitsEditor({ rows, onChange }: { rows: LimitRow[]; onChange: (rows: LimitRow[]) => void }) {
  return (
    <div className="limits" data-testid="channel-limits">
      {rows.length > 0 && (
        <div className="limits-row limits-head" aria-hidden="true">
          <span>Window</span>
          <span>Requests</span>
          <span>Tokens</span>
          <span />
        </div>
      )}
      {rows.map((r, i) => (
        <div className="limits-row" key={r.key}>
          <select name={`limitPer-${r.key}`} defaultValue={String(r.perMs)} data-testid={`channel-limits-per-${i}`} aria-label={`Limit ${i + 1} window`}>
            {WINDOWS.map((w) => (
              <option key={w.perMs} value={String(w.perMs)}>
                per {w.label}
              </option>
            ))}
            {!WINDOWS.some((w) => w.perMs === r.perMs) && <option value={String(r.perMs)}>per {fmtWindow(r.perMs)}</option>}
          </select>
          <input
            name={`limitRequests-${r.key}`}
            defaultValue={r.requests}
            inputMode="numeric"
            placeholder="no cap"
            data-testid={`channel-limits-requests-${i}`}
            aria-label={`Limit ${i + 1} requests`}
          />
          <input
            name={`limitTokens-${r.key}`}
            defaultValue={r.tokens}
            inputMode="numeric"
            placeholder="no cap, or e.g. 400k"
            data-testid={`channel-limits-tokens-${i}`}
            aria-label={`Limit ${i + 1} tokens`}
          />
          <button
            type="button"
            className="btn btn-icon btn-ghost"
            title="Remove limit"
            aria-label="Remove limit"
            data-testid={`channel-limits-remove-${i}`}
            onClick={() => onChange(rows.filter((x) => x.key !== r.key))}
          >
            <Icon name="x" />
          </button>
        </div>
      ))}
      <button
        type="button"
        className="btn btn-sm btn-ghost"
        data-testid="channel-limits-add"
        onClick={() => onChange([...rows, { key: ++limitRowSeq, perMs: 60e3, requests: '', tokens: '' }])}
      >
        <Icon name="plus" /> Add limit
      </button>
    </div>
  );
}
