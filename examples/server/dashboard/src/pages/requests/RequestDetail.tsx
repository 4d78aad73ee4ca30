// A request's status badge, and the dialog with everything its record holds.
import type { ReactNode } from 'react';
import type { RequestRecord } from '../../api';
import { DASH, fmtCost, fmtDateTime, fmtInt, fmtMs } from '../../format';
import { Badge, Icon, Modal } from '../../ui';

export function failed(r: RequestRecord): boolean {
  return r.status >= 400 || !!r.error || r.status === 0;
}

export function StatusBadge({ record }: { record: RequestRecord }) {
  const s = record.status;
  if (!failed(record))
    return (
      <Badge tone="green" testid="status-badge">
        {s || 'ok'}
      </Badge>
    );
  return (
    <Badge tone={s === 429 ? 'amber' : 'red'} title={record.error} testid="status-badge">
      {s || 'error'}
    </Badge>
  );
}

export function RequestDetail({ record: r, onClose }: { record: RequestRecord; onClose: () => void }) {
  const rows: [string, ReactNode][] = [
    ['Time', fmtDateTime(r.time)],
    ['Request id', <code>{r.requestId}</code>],
    ['Status', <StatusBadge record={r} />],
    ['Model', <code>{r.model || DASH}</code>],
    ['Upstream model', r.upstreamModel ? <code>{r.upstreamModel}</code> : DASH],
    ['Channel', r.channelId ? `${r.channelName || r.channelId}${r.channelName && r.channelName !== r.channelId ? ` (${r.channelId})` : ''}` : DASH],
    ['Format', `${r.inboundFormat || DASH}${r.upstreamFormat && r.upstreamFormat !== r.inboundFormat ? ` → ${r.upstreamFormat}` : ''}${r.stream ? ' · stream' : ''}`],
    ['Rule', r.rule ? <code>{r.rule}</code> : 'none (balancer)'],
    ['Key', r.keyId || DASH],
    ['Session', r.session ? <code>{r.session}</code> : DASH],
    ['Latency', fmtMs(r.latencyMs)],
    ['Time to first byte', fmtMs(r.ttfbMs)],
    ['Attempts', String(r.attempts)],
    ['Input tokens', fmtInt(r.inputTokens)],
    ['Output tokens', fmtInt(r.outputTokens)],
    ['Cache read / write', `${fmtInt(r.cacheReadTokens)} / ${fmtInt(r.cacheWriteTokens)}`],
    ['Cost', r.cost === undefined || r.cost === null ? 'unknown (no price for this model)' : fmtCost(r.cost)],
  ];
  return (
    <Modal title="Request details" onClose={onClose} testid="request-detail">
      {r.error && (
        <div className="alert alert-error">
          <Icon name="alert" />
          <span>{r.error}</span>
        </div>
      )}
      <dl className="details">
        {rows.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
    </Modal>
  );
}
