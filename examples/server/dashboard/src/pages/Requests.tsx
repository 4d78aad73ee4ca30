import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, type RequestRecord } from '../api';
import { DASH, fmtCost, fmtDateTime, fmtMs, fmtNum } from '../format';
import { navigate } from '../router';
import { Card, Empty, ErrorBox, Icon, Loading, LoadFailed, PageHeader, Spinner, formChecked, formValue, useLoad } from '../ui';
import { RequestDetail, StatusBadge } from './requests/RequestDetail';

const LIMIT = 50;

interface Filters {
  channel: string;
  model: string;
  key: string;
  status: string;
  failed: boolean;
}

function filtersFrom(params: URLSearchParams): Filters {
  return {
    channel: params.get('channel') ?? '',
    model: params.get('model') ?? '',
    key: params.get('key') ?? '',
    status: params.get('status') ?? '',
    failed: params.get('failed') === 'true',
  };
}

export function RequestsPage({ params }: { params: URLSearchParams }) {
  const paramString = params.toString();
  const filters = filtersFrom(params);
  const [offset, setOffset] = useState(0);
  const [selected, setSelected] = useState<RequestRecord | null>(null);
  const form = useRef<HTMLFormElement>(null);
  const channels = useLoad(() => api.channels(), []);
  const keys = useLoad(() => api.keys(), []);

  useEffect(() => setOffset(0), [paramString]);

  const list = useLoad(
    () =>
      api.requests({
        limit: LIMIT,
        offset,
        channel: filters.channel,
        model: filters.model,
        key: filters.key,
        status: filters.status,
        failed: filters.failed,
      }),
    [paramString, offset],
  );

  const apply = (e?: FormEvent) => {
    e?.preventDefault();
    const f = form.current;
    const next = {
      channel: formValue(f, 'channel'),
      model: formValue(f, 'model').trim(),
      key: formValue(f, 'key'),
      status: formValue(f, 'status').trim(),
      failed: formChecked(f, 'failed') ? 'true' : '',
    };
    const same = new URLSearchParams(Object.entries(next).filter(([, v]) => v)).toString() === paramString;
    setOffset(0);
    if (same) list.reload();
    else navigate('/requests', next);
  };

  const clear = () => {
    form.current?.reset();
    setOffset(0);
    navigate('/requests');
  };

  const records = list.data?.records ?? [];
  const channelName = (id?: string) => channels.data?.find((c) => c.id === id)?.name;
  const keyName = (id?: string) => keys.data?.find((k) => k.id === id)?.name;
  const hasFilters = !!paramString;

  return (
    <div className="page">
      <PageHeader title="Request log" subtitle="Every request routex handled, newest first.">
        <button className="btn" onClick={list.reload} data-testid="requests-refresh">
          <Icon name="refresh" /> Refresh
        </button>
      </PageHeader>

      <Card>
        <form className="filters" ref={form} onSubmit={apply} key={paramString} data-testid="requests-filters">
          <div className="field">
            <label htmlFor="filter-channel">Channel</label>
            <select id="filter-channel" name="channel" data-testid="filter-channel" defaultValue={filters.channel} onChange={() => apply()}>
              <option value="">All channels</option>
              {filters.channel && !channels.data?.some((c) => c.id === filters.channel) && <option value={filters.channel}>{filters.channel}</option>}
              {channels.data?.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name && c.name !== c.id ? `${c.name} (${c.id})` : c.id}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="filter-model">Model</label>
            <input id="filter-model" name="model" data-testid="filter-model" defaultValue={filters.model} placeholder="any model" />
          </div>
          <div className="field">
            <label htmlFor="filter-key">API key</label>
            <select id="filter-key" name="key" data-testid="filter-key" defaultValue={filters.key} onChange={() => apply()}>
              <option value="">All keys</option>
              {filters.key && !keys.data?.some((k) => k.id === filters.key) && <option value={filters.key}>{filters.key}</option>}
              {keys.data?.map((k) => (
                <option key={k.id} value={k.id}>
                  {k.name || k.id}
                </option>
              ))}
            </select>
          </div>
          <div className="field field-narrow">
            <label htmlFor="filter-status">Status</label>
            <input id="filter-status" name="status" data-testid="filter-status" defaultValue={filters.status} placeholder="e.g. 429" inputMode="numeric" />
          </div>
          <label className="check filter-check">
            <input type="checkbox" name="failed" data-testid="filter-failed" defaultChecked={filters.failed} onChange={() => apply()} />
            Failed only
          </label>
          <div className="filter-actions">
            <button type="submit" className="btn btn-primary" data-testid="filter-apply">
              <Icon name="search" /> Apply
            </button>
            {hasFilters && (
              <button type="button" className="btn btn-ghost" onClick={clear} data-testid="filter-clear">
                Clear
              </button>
            )}
          </div>
        </form>
      </Card>

      <Card>
        <ErrorBox error={list.data ? list.error : ''} />
        {list.loading && !list.data ? (
          <Loading />
        ) : list.error && !list.data ? (
          <LoadFailed what="the request log" error={list.error} onRetry={list.reload} />
        ) : records.length === 0 ? (
          <Empty title={offset > 0 ? 'No more requests' : hasFilters ? 'No request matches these filters' : 'No requests yet'}>
            {hasFilters ? 'Try removing a filter.' : 'Requests appear here as soon as clients use the proxy.'}
          </Empty>
        ) : (
          <div className="table-wrap">
            <table className="table table-hover" data-testid="requests-table">
              <thead>
                <tr>
                  <th>Time</th>
                  <th>Model</th>
                  <th>Channel</th>
                  <th>Key</th>
                  <th>Status</th>
                  <th className="num">Latency</th>
                  <th className="num">TTFB</th>
                  <th className="num">Tokens in / out</th>
                  <th className="num">Cost</th>
                  <th className="num">Tries</th>
                </tr>
              </thead>
              <tbody>
                {records.map((r) => (
                  <tr key={r.requestId} onClick={() => setSelected(r)} className="clickable" data-testid="request-row">
                    <td className="nowrap">{fmtDateTime(r.time)}</td>
                    <td>
                      <div className="mono">{r.model || DASH}</div>
                      {r.upstreamModel && r.upstreamModel !== r.model && <div className="sub mono">→ {r.upstreamModel}</div>}
                    </td>
                    <td>{r.channelName || channelName(r.channelId) || r.channelId || DASH}</td>
                    <td>{r.keyId ? keyName(r.keyId) || r.keyId : DASH}</td>
                    <td>
                      <StatusBadge record={r} />
                      {r.stream && (
                        <span className="tag" title="Streamed">
                          stream
                        </span>
                      )}
                    </td>
                    <td className="num" data-testid="request-latency">{fmtMs(r.latencyMs)}</td>
                    <td className="num">{fmtMs(r.ttfbMs)}</td>
                    <td className="num">
                      {fmtNum(r.inputTokens + r.cacheReadTokens + r.cacheWriteTokens)} / {fmtNum(r.outputTokens)}
                    </td>
                    <td className="num">{r.cost === undefined || r.cost === null ? <span className="muted" title="No price for this model">{DASH}</span> : fmtCost(r.cost)}</td>
                    <td className="num">{r.attempts}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <div className="pager">
          <span className="muted small" data-testid="requests-range">
            {records.length > 0 ? `Showing ${offset + 1}–${offset + records.length}` : ''}
            {list.loading && list.data && <Spinner small />}
          </span>
          <div className="pager-buttons">
            <button className="btn btn-sm" disabled={offset === 0 || list.loading} onClick={() => setOffset(Math.max(0, offset - LIMIT))} data-testid="requests-prev">
              <Icon name="chevronLeft" /> Previous
            </button>
            <button className="btn btn-sm" disabled={records.length < LIMIT || list.loading} onClick={() => setOffset(offset + LIMIT)} data-testid="requests-next">
              Next <Icon name="chevronRight" />
            </button>
          </div>
        </div>
      </Card>
      {selected && <RequestDetail record={selected} onClose={() => setSelected(null)} />}
    </div>
  );
}
