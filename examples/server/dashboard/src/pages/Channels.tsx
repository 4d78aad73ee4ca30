import { Fragment, useRef, useState, type FormEvent } from 'react';
import { api, errorMessage, type Channel, type ChannelWithStatus, type Limit, type TestResult, type TransformerSpec } from '../api';
import { fmtDateTime, fmtMs, fmtNum, fmtRelative, fmtUntil, fmtWindow, limitsSummary, parseCount, splitList, WINDOWS } from '../format';
import { AccountBadge, accountView, SignInModal, signOut } from './Accounts';
import {
  Badge,
  Card,
  DeleteButton,
  Empty,
  ErrorBox,
  Field,
  Icon,
  KVEditor,
  Loading,
  Modal,
  PageHeader,
  Spinner,
  confirmAction,
  downloadJSON,
  formChecked,
  formValue,
  fromRows,
  toRows,
  toast,
  type KVRow,
  type Tone,
  useLoad,
} from '../ui';

function future(t: string | undefined): boolean {
  const ms = t ? Date.parse(t) : NaN;
  return Number.isFinite(ms) && ms > Date.now();
}

export function channelState(c: ChannelWithStatus): { label: string; tone: Tone; title?: string; key: string } {
  const s = c.status;
  if (c.disabled || (s && !s.enabled)) return { label: 'disabled', tone: 'gray', key: 'disabled' };
  if (s?.breaker === 'open')
    return { label: 'breaker open', tone: 'red', key: 'breaker-open', title: `${s.consecutiveFailures} consecutive failures` };
  if (future(s?.rateLimitedUntil))
    return { label: 'rate limited', tone: 'amber', key: 'rate-limited', title: `until ${fmtDateTime(s!.rateLimitedUntil)} (${fmtRelative(s!.rateLimitedUntil)})` };
  if (future(s?.overQuotaUntil))
    return {
      label: `over quota until ${fmtUntil(s!.overQuotaUntil)}`,
      tone: 'amber',
      key: 'over-quota',
      title: `A limit of this channel is used up; it takes requests again when the window rolls, ${fmtRelative(s!.overQuotaUntil)}.`,
    };
  if (s?.breaker === 'half-open') return { label: 'half-open', tone: 'amber', key: 'half-open', title: 'Probing after failures' };
  if (s && !s.available)
    return { label: 'unavailable', tone: 'red', key: 'unavailable', title: c.oauth ? `Account: ${accountView(c.account).title}` : undefined };
  return { label: 'available', tone: 'green', key: 'available', title: s?.consecutiveFailures ? `${s.consecutiveFailures} recent failures` : undefined };
}

export function ChannelsPage() {
  const list = useLoad(() => api.channels(), [], 5000);
  const [editing, setEditing] = useState<ChannelWithStatus | 'new' | null>(null);
  const [tests, setTests] = useState<Record<string, TestResult | 'running'>>({});
  const [testingAll, setTestingAll] = useState(false);
  const [signingIn, setSigningIn] = useState<ChannelWithStatus | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);

  const channels = list.data ?? [];

  const testOne = async (id: string) => {
    setTests((t) => ({ ...t, [id]: 'running' }));
    try {
      const r = await api.testChannel(id);
      setTests((t) => ({ ...t, [id]: r }));
    } catch (e) {
      setTests((t) => ({ ...t, [id]: { channelId: id, ok: false, error: errorMessage(e) } }));
    }
    list.reload();
  };

  const testAll = async () => {
    setTestingAll(true);
    setTests(Object.fromEntries(channels.map((c) => [c.id, 'running' as const])));
    try {
      const results = await api.testAllChannels();
      const map: Record<string, TestResult> = {};
      for (const r of results) map[r.channelId] = r;
      setTests(map);
      const ok = results.filter((r) => r.ok).length;
      toast(`${ok} of ${results.length} channels answered`, ok === results.length ? 'ok' : 'error');
    } catch (e) {
      setTests({});
      toast(errorMessage(e), 'error');
    } finally {
      setTestingAll(false);
      list.reload();
    }
  };

  const reset = async (c: ChannelWithStatus) => {
    try {
      await api.resetChannel(c.id);
      toast(`Breaker of ${c.name || c.id} reset`);
      list.reload();
    } catch (e) {
      toast(errorMessage(e), 'error');
    }
  };

  const remove = async (c: ChannelWithStatus) => {
    const deleted = await confirmAction({
      title: 'Delete channel',
      message: (
        <>
          Delete <b>{c.name || c.id}</b> (<code>{c.id}</code>)? Rules that target it stop matching. This cannot be undone.
        </>
      ),
      confirmLabel: 'Delete',
      run: () => api.deleteChannel(c.id),
      done: `Deleted ${c.name || c.id}`,
    });
    if (deleted) list.reload();
  };

  const doSignOut = async (c: ChannelWithStatus) => {
    if (await signOut(c)) list.reload();
  };

  const exportAll = async () => {
    try {
      const data = await api.exportChannels();
      downloadJSON('routex-channels.json', data);
    } catch (e) {
      toast(errorMessage(e), 'error');
    }
  };

  const importFile = async (file: File) => {
    try {
      const parsed = JSON.parse(await file.text());
      const body = Array.isArray(parsed) ? { channels: parsed } : parsed;
      if (!body || !Array.isArray(body.channels)) throw new Error('The file must hold {"channels": [...]}, as exported.');
      const res = await api.importChannels(body);
      toast(`Imported ${res?.imported ?? body.channels.length} channels`);
      list.reload();
    } catch (e) {
      toast(e instanceof SyntaxError ? 'That file is not valid JSON.' : errorMessage(e), 'error');
    } finally {
      if (fileInput.current) fileInput.current.value = '';
    }
  };

  return (
    <div className="page">
      <PageHeader title="Channels" subtitle="Upstream providers routex sends requests to.">
        <input
          ref={fileInput}
          type="file"
          accept="application/json,.json"
          hidden
          data-testid="channels-import-file"
          onChange={(e) => e.target.files?.[0] && importFile(e.target.files[0])}
        />
        <button className="btn" onClick={() => fileInput.current?.click()} data-testid="channels-import">
          <Icon name="upload" /> Import
        </button>
        <button className="btn" onClick={exportAll} data-testid="channels-export" disabled={channels.length === 0}>
          <Icon name="download" /> Export
        </button>
        <button className="btn" onClick={testAll} disabled={testingAll || channels.length === 0} data-testid="channels-test-all">
          {testingAll ? <Spinner small /> : <Icon name="zap" />} Test all
        </button>
        <button className="btn btn-primary" onClick={() => setEditing('new')} data-testid="channel-add">
          <Icon name="plus" /> Add channel
        </button>
      </PageHeader>

      <Card>
        <ErrorBox error={list.error} />
        {list.loading && !list.data ? (
          <Loading />
        ) : channels.length === 0 ? (
          <Empty title="No channels yet">
            <button className="btn btn-primary" onClick={() => setEditing('new')}>
              <Icon name="plus" /> Add your first channel
            </button>
          </Empty>
        ) : (
          <div className="table-wrap">
            <table className="table" data-testid="channels-table">
              <thead>
                <tr>
                  <th>Channel</th>
                  <th>Type · auth</th>
                  <th>Models</th>
                  <th>Routing</th>
                  <th>Status</th>
                  <th className="actions-col" />
                </tr>
              </thead>
              <tbody>
                {channels.map((c) => {
                  const st = channelState(c);
                  const t = tests[c.id];
                  const canReset = c.status && (c.status.breaker !== 'closed' || st.key === 'rate-limited' || c.status.consecutiveFailures > 0);
                  return (
                    <tr key={c.id} data-testid={`channel-row-${c.id}`}>
                      <td>
                        <div className="strong">{c.name || c.id}</div>
                        <div className="sub mono">{c.id}</div>
                        <div className="sub mono ellipsis channel-url" title={c.baseUrl}>
                          {c.baseUrl}
                        </div>
                      </td>
                      <td>
                        <div className="auth-cell">
                          <Badge tone={c.type === 'anthropic' ? 'violet' : 'blue'}>{c.type}</Badge>
                          {c.oauth ? (
                            <AccountBadge channel={c} />
                          ) : (
                            <span className="sub mono" title="API key">
                              {c.apiKey ? `key ${c.apiKey}` : 'no key'}
                            </span>
                          )}
                          {c.type === 'anthropic' && (
                            <div className="auth-actions">
                              <button
                                type="button"
                                className="link-btn"
                                onClick={() => setSigningIn(c)}
                                data-testid={`channel-signin-${c.id}`}
                                title={c.oauth ? 'Sign in again, with this or another account' : 'Sign in with a Claude subscription or a Console account'}
                              >
                                {c.oauth ? 'Sign in' : 'Sign in account'}
                              </button>
                              {c.oauth && c.account?.state !== 'missing' && (
                                <button type="button" className="link-btn link-btn-danger" onClick={() => doSignOut(c)} data-testid={`channel-signout-${c.id}`}>
                                  Sign out
                                </button>
                              )}
                            </div>
                          )}
                        </div>
                      </td>
                      <td>
                        <ModelChips models={c.models} />
                      </td>
                      <td>
                        <div className="routing-cell">
                          <span className="nowrap" title="Priority (lower is tried first) and weight (share for the weighted strategy)">
                            priority <b>{c.priority ?? 0}</b> · weight <b>{c.weight || 1}</b>
                          </span>
                          <span data-testid={`channel-limits-${c.id}`}>
                            {c.limits && c.limits.length > 0 ? <LimitsSummary limits={c.limits} /> : <span className="muted">no limits</span>}
                          </span>
                        </div>
                      </td>
                      <td>
                        <div className="status-cell">
                          <Badge tone={st.tone} title={st.title} testid={`channel-status-${c.id}`}>
                            {st.label}
                          </Badge>
                          {future(c.status?.lowHeadroomUntil) && st.key !== 'disabled' && (
                            <Badge
                              tone="amber"
                              testid={`channel-headroom-${c.id}`}
                              title={`The provider says a rate limit is nearly used up; the channel is tried after the others until ${fmtDateTime(c.status!.lowHeadroomUntil)}.`}
                            >
                              low headroom
                            </Badge>
                          )}
                          {c.status && c.status.consecutiveFailures > 0 && st.key !== 'disabled' && (
                            <div className="sub">{c.status.consecutiveFailures} failures</div>
                          )}
                          <div className="test-result" data-testid={`channel-test-result-${c.id}`}>
                            {t === 'running' ? (
                              <>
                                <Spinner small /> <span className="sub">testing…</span>
                              </>
                            ) : t ? (
                              t.ok ? (
                                <span className="ok-text" title="Last test">
                                  <Icon name="check" /> test {t.latencyMs !== undefined ? fmtMs(t.latencyMs) : 'ok'}
                                </span>
                              ) : (
                                <span className="err-text" title={t.error}>
                                  <Icon name="alert" /> test {t.status ? `HTTP ${t.status}` : 'failed'}
                                  {t.error && <span className="sub block ellipsis">{t.error}</span>}
                                </span>
                              )
                            ) : null}
                          </div>
                        </div>
                      </td>
                      <td className="actions-col">
                        <div className="row-actions">
                          <button
                            className="btn btn-sm"
                            onClick={() => testOne(c.id)}
                            disabled={t === 'running'}
                            data-testid={`channel-test-${c.id}`}
                            title="Send a one-token request"
                          >
                            <Icon name="play" /> Test
                          </button>
                          <button
                            className="btn btn-sm btn-icon"
                            onClick={() => reset(c)}
                            disabled={!canReset}
                            title="Reset breaker"
                            aria-label="Reset breaker"
                            data-testid={`channel-reset-${c.id}`}
                          >
                            <Icon name="reset" />
                          </button>
                          <button className="btn btn-sm btn-icon" onClick={() => setEditing(c)} title="Edit" aria-label="Edit" data-testid={`channel-edit-${c.id}`}>
                            <Icon name="edit" />
                          </button>
                          <DeleteButton onClick={() => remove(c)} testid={`channel-delete-${c.id}`} />
                        </div>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      {editing && (
        <ChannelForm
          channel={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={(c, created, signIn) => {
            setEditing(null);
            toast(created ? `Added ${c.name || c.id}` : `Saved ${c.name || c.id}`);
            list.reload();
            if (signIn) setSigningIn(c);
          }}
        />
      )}
      {signingIn && (
        <SignInModal
          channel={signingIn}
          onClose={() => {
            setSigningIn(null);
            list.reload();
          }}
          onDone={() => {
            setSigningIn(null);
            list.reload();
          }}
        />
      )}
    </div>
  );
}

export function ModelChips({ models, max = 3 }: { models?: string[] | null; max?: number }) {
  if (!models || models.length === 0) return <span className="muted">any model</span>;
  return (
    <div className="chips" title={models.join(', ')}>
      {models.slice(0, max).map((m) => (
        <span key={m} className="chip mono">
          {m}
        </span>
      ))}
      {models.length > max && <span className="chip chip-more">+{models.length - max}</span>}
    </div>
  );
}

function LimitsSummary({ limits }: { limits: Limit[] }) {
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

interface LimitRow {
  key: number;
  perMs: number;
  requests: string;
  tokens: string;
}

let limitRowSeq = 0;

function toLimitRows(limits: Limit[] | null | undefined): LimitRow[] {
  return (limits ?? []).map((l) => ({
    key: ++limitRowSeq,
    perMs: l.perMs,
    requests: l.requests ? String(l.requests) : '',
    tokens: l.tokens ? String(l.tokens) : '',
  }));
}

// Reads the limit rows from the form; rows with neither cap are dropped.
function readLimits(f: HTMLFormElement | null, rows: LimitRow[]): Limit[] {
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

function LimitsEditor({ rows, onChange }: { rows: LimitRow[]; onChange: (rows: LimitRow[]) => void }) {
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

const DEFAULT_BASE: Record<string, string> = {
  anthropic: 'https://api.anthropic.com',
  'anthropic-account': 'https://api.anthropic.com',
  openai: 'https://api.openai.com',
  'openai-responses': 'https://api.openai.com',
  gemini: 'https://generativelanguage.googleapis.com',
};

function specsToText(specs: TransformerSpec[] | undefined): string {
  if (!specs || specs.length === 0) return '';
  const simple = specs.map((s) => {
    if (typeof s === 'string') return s;
    if (Array.isArray(s)) return s.length === 1 ? s[0] : s;
    if (s && typeof s === 'object') return s.options === undefined || s.options === null ? s.name : [s.name, s.options];
    return s;
  });
  if (simple.every((s) => typeof s === 'string')) return (simple as string[]).join(', ');
  return JSON.stringify(simple);
}

function textToSpecs(text: string): TransformerSpec[] {
  const t = text.trim();
  if (!t) return [];
  if (t.startsWith('[')) {
    let v: unknown;
    try {
      v = JSON.parse(t);
    } catch {
      throw new Error('Transformers: not valid JSON.');
    }
    if (!Array.isArray(v)) throw new Error('Transformers: expected a JSON array.');
    return v as TransformerSpec[];
  }
  return splitList(t);
}

function ChannelForm({
  channel,
  onClose,
  onSaved,
}: {
  channel: ChannelWithStatus | null;
  onClose: () => void;
  onSaved: (c: ChannelWithStatus, created: boolean, signIn: boolean) => void;
}) {
  const isNew = !channel;
  const form = useRef<HTMLFormElement>(null);
  const initialKind = channel?.oauth ? 'anthropic-account' : (channel?.type ?? 'anthropic');
  const [kind, setKind] = useState(initialKind);
  const [modelMap, setModelMap] = useState<KVRow[]>(() => toRows(channel?.modelMap));
  const [headers, setHeaders] = useState<KVRow[]>(() => toRows(channel?.headers));
  const [limits, setLimits] = useState<LimitRow[]>(() => toLimitRows(channel?.limits));
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const known = useLoad(() => api.transformers(), []);

  const onType = (type: string) => {
    setKind(type);
    const input = form.current?.elements.namedItem('baseUrl') as HTMLInputElement | null;
    if (!input) return;
    const cur = input.value.trim().replace(/\/+$/, '');
    if (!cur || Object.values(DEFAULT_BASE).includes(cur)) input.value = DEFAULT_BASE[type] ?? '';
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const f = form.current;
    setError('');
    try {
      const name = formValue(f, 'name').trim();
      const id = isNew ? formValue(f, 'id').trim() : channel!.id;
      const baseUrl = formValue(f, 'baseUrl').trim().replace(/\/+$/, '');
      if (!name && !id) throw new Error('Give the channel a name or an id.');
      if (!baseUrl) throw new Error('The base URL is required.');
      const num = (field: string, label: string): number => {
        const raw = formValue(f, field).trim();
        if (!raw) return 0;
        const n = Number(raw);
        if (!Number.isFinite(n)) throw new Error(`${label} must be a number.`);
        return n;
      };
      const timeoutSec = num('timeout', 'Timeout');
      const typeValue = formValue(f, 'type') || 'anthropic';
      const account = typeValue === 'anthropic-account';
      const ch: Channel = {
        id,
        name,
        type: (account ? 'anthropic' : typeValue) as Channel['type'],
        baseUrl,
        apiKey: account ? '' : formValue(f, 'apiKey').trim(),
        oauth: account,
        limits: readLimits(f, limits),
        models: splitList(formValue(f, 'models')),
        modelMap: fromRows(modelMap),
        priority: Math.trunc(num('priority', 'Priority')),
        weight: Math.trunc(num('weight', 'Weight')),
        disabled: !formChecked(f, 'enabled'),
        headers: fromRows(headers),
        timeoutMs: Math.round(timeoutSec * 1e3),
        streamIdleTimeoutMs: channel?.streamIdleTimeoutMs ?? 0,
        transformers: textToSpecs(formValue(f, 'transformers')),
      };
      if (!account && channel?.oauth && !ch.apiKey && !channel.apiKey) throw new Error('Enter the API key the channel uses instead of its account.');
      if (!ch.id) delete (ch as Partial<Channel>).id;
      setBusy(true);
      const saved = isNew ? await api.createChannel(ch) : await api.updateChannel(channel!.id, ch);
      // A channel just switched to an account signs in next.
      onSaved(saved ?? ch, isNew, account && !channel?.oauth);
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };

  return (
    <Modal
      title={isNew ? 'Add channel' : `Edit ${channel!.name || channel!.id}`}
      onClose={onClose}
      wide
      testid="channel-form"
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form="channel-form" className="btn btn-primary" disabled={busy} data-testid="channel-save">
            {busy && <Spinner small />} {isNew ? 'Add channel' : 'Save changes'}
          </button>
        </>
      }
    >
      <form id="channel-form" ref={form} onSubmit={submit} noValidate>
        <div className="grid-2">
          <Field label="Name" htmlFor="channel-name">
            <input id="channel-name" name="name" data-testid="channel-name" defaultValue={channel?.name ?? ''} placeholder="Anthropic main" autoFocus />
          </Field>
          <Field label="Id" htmlFor="channel-id" hint={isNew ? 'Optional: generated from the name.' : 'The id cannot be changed.'}>
            <input
              id="channel-id"
              name="id"
              data-testid="channel-id"
              defaultValue={channel?.id ?? ''}
              disabled={!isNew}
              placeholder="anthropic-main"
              spellCheck={false}
            />
          </Field>
          <Field label="Type" htmlFor="channel-type">
            <select id="channel-type" name="type" data-testid="channel-type" defaultValue={initialKind} onChange={(e) => onType(e.target.value)}>
              <option value="anthropic">Anthropic (API key)</option>
              <option value="anthropic-account">Anthropic account (sign in)</option>
              <option value="openai">OpenAI / OpenAI-compatible</option>
              <option value="openai-responses">OpenAI Responses API</option>
              <option value="gemini">Google Gemini</option>
            </select>
          </Field>
          <Field label="Base URL" htmlFor="channel-baseurl">
            <input
              id="channel-baseurl"
              name="baseUrl"
              data-testid="channel-baseurl"
              defaultValue={channel?.baseUrl ?? DEFAULT_BASE.anthropic}
              spellCheck={false}
            />
          </Field>
        </div>
        {kind === 'anthropic-account' ? (
          <div className="alert alert-info" data-testid="channel-account-note">
            <Icon name="user" />
            <span>
              {channel?.oauth ? (
                <>This channel signs in with an Anthropic account. Sign it in again or out from the channels table.</>
              ) : (
                <>
                  No API key: after saving, you sign in with a Claude subscription (Pro or Max) or a Console account. Requests skip the
                  channel until then.
                </>
              )}
            </span>
          </div>
        ) : (
          <Field
            label="API key"
            htmlFor="channel-key"
            hint={
              isNew
                ? undefined
                : channel?.oauth
                  ? 'The channel will use this key instead of its account.'
                  : `Stored key ${channel?.apiKey || '(none)'}. Leave empty to keep it.`
            }
          >
            <input
              id="channel-key"
              name="apiKey"
              type="password"
              data-testid="channel-key"
              placeholder={isNew || channel?.oauth ? 'sk-…' : 'unchanged'}
              autoComplete="off"
              spellCheck={false}
            />
          </Field>
        )}
        <Field label="Models" htmlFor="channel-models" hint="Comma separated; globs like claude-* work. Empty accepts any model.">
          <input
            id="channel-models"
            name="models"
            data-testid="channel-models"
            defaultValue={(channel?.models ?? []).join(', ')}
            placeholder="claude-sonnet-4-5, claude-haiku-*"
            spellCheck={false}
          />
        </Field>
        <div className="grid-3">
          <Field label="Priority" htmlFor="channel-priority" hint="Lower is tried first (priority strategy).">
            <input id="channel-priority" name="priority" type="number" data-testid="channel-priority" defaultValue={channel?.priority ?? 0} />
          </Field>
          <Field label="Weight" htmlFor="channel-weight" hint="Share for the weighted strategy.">
            <input id="channel-weight" name="weight" type="number" min={0} data-testid="channel-weight" defaultValue={channel?.weight || 1} />
          </Field>
          <Field label="Timeout (seconds)" htmlFor="channel-timeout" hint="Wait for the first byte; 0 = default.">
            <input
              id="channel-timeout"
              name="timeout"
              type="number"
              min={0}
              step="any"
              data-testid="channel-timeout"
              defaultValue={channel?.timeoutMs ? channel.timeoutMs / 1e3 : 0}
            />
          </Field>
        </div>
        <Field
          label="Limits"
          hint="Quotas per window of UTC time, such as an account’s requests per minute or tokens per day. A channel over one is skipped until the window rolls."
        >
          <LimitsEditor rows={limits} onChange={setLimits} />
        </Field>
        <Field label="Model map" hint="Rename a requested model to this channel’s own name for it.">
          <KVEditor rows={modelMap} onChange={setModelMap} keyPlaceholder="requested model" valuePlaceholder="channel model" testid="channel-modelmap" addLabel="Add mapping" />
        </Field>
        <Field label="Extra headers" hint="Sent with every upstream request. Sensitive values are shown masked.">
          <KVEditor rows={headers} onChange={setHeaders} keyPlaceholder="Header-Name" valuePlaceholder="value" testid="channel-headers" addLabel="Add header" />
        </Field>
        <Field
          label="Transformers"
          htmlFor="channel-transformers"
          hint={
            <>
              Names, comma separated, or a JSON array such as <code>["cleancache", ["maxtoken", {'{'}"max": 8192{'}'}]]</code>.
              {known.data && known.data.length > 0 && <> Available: {known.data.join(', ')}.</>}
            </>
          }
        >
          <input
            id="channel-transformers"
            name="transformers"
            data-testid="channel-transformers"
            defaultValue={specsToText(channel?.transformers)}
            placeholder="cleancache"
            spellCheck={false}
            className="mono"
          />
        </Field>
        <label className="check">
          <input type="checkbox" name="enabled" data-testid="channel-enabled" defaultChecked={!channel?.disabled} /> Enabled (takes traffic)
        </label>
        <ErrorBox error={error} testid="channel-error" />
      </form>
    </Modal>
  );
}
