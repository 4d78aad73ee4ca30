import { useMemo, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { api, errorMessage, type ChannelWithStatus, type Condition, type DryRun, type Rule } from '../api';
import { fmtNum, splitList } from '../format';
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
  Switch,
  confirmAction,
  formChecked,
  formValue,
  fromRows,
  toast,
  type KVRow,
  useLoad,
} from '../ui';

const BOOL_FIELDS: { key: 'hasTools' | 'hasImages' | 'thinking' | 'webSearch'; label: string; testid: string }[] = [
  { key: 'hasTools', label: 'Defines tools', testid: 'rule-has-tools' },
  { key: 'hasImages', label: 'Carries images', testid: 'rule-has-images' },
  { key: 'thinking', label: 'Asks for thinking', testid: 'rule-thinking' },
  { key: 'webSearch', label: 'Uses web search', testid: 'rule-web-search' },
];

export function conditionChips(c: Condition | undefined): ReactNode[] {
  const out: ReactNode[] = [];
  if (!c) return out;
  if (c.modelPattern) out.push(<>model ~ <code>{c.modelPattern}</code></>);
  if (c.tokenThreshold) out.push(<>≥ {fmtNum(c.tokenThreshold)} tokens</>);
  if (c.keywords?.length) out.push(<>keywords: {c.keywords.join(', ')}</>);
  if (c.userPattern) out.push(<>user text ~ <code>{c.userPattern}</code></>);
  for (const b of BOOL_FIELDS) {
    const v = c[b.key];
    if (v === true) out.push(<>{b.label.toLowerCase()}</>);
    if (v === false) out.push(<>not: {b.label.toLowerCase()}</>);
  }
  if (c.header?.name)
    out.push(
      <>
        header <code>{c.header.name}</code>
        {c.header.pattern ? <> ~ <code>{c.header.pattern}</code></> : ' present'}
      </>,
    );
  if (c.custom) out.push(<>custom: <code>{c.custom}</code></>);
  return out;
}

export function RulesPage() {
  const rules = useLoad(() => api.rules(), []);
  const channels = useLoad(() => api.channels(), []);
  const [editing, setEditing] = useState<Rule | 'new' | null>(null);
  const [pending, setPending] = useState<string | null>(null);

  const sorted = useMemo(
    () => [...(rules.data ?? [])].sort((a, b) => (b.priority ?? 0) - (a.priority ?? 0) || a.id.localeCompare(b.id)),
    [rules.data],
  );

  const toggle = async (r: Rule, enabled: boolean) => {
    setPending(r.id);
    try {
      const updated = await api.setRuleEnabled(r.id, enabled);
      rules.setData((rules.data ?? []).map((x) => (x.id === r.id ? (updated ?? { ...x, disabled: !enabled }) : x)));
    } catch (e) {
      toast(errorMessage(e), 'error');
    } finally {
      setPending(null);
    }
  };

  const remove = async (r: Rule) => {
    const deleted = await confirmAction({
      title: 'Delete rule',
      message: (
        <>
          Delete rule <b>{r.name || r.id}</b>? Matching requests go back to the balancer.
        </>
      ),
      confirmLabel: 'Delete',
      run: () => api.deleteRule(r.id),
      done: `Deleted ${r.name || r.id}`,
    });
    if (deleted) rules.reload();
  };

  const channelLabel = (id: string) => {
    const c = channels.data?.find((x) => x.id === id);
    return c ? c.name || c.id : id;
  };

  return (
    <div className="page">
      <PageHeader title="Rules" subtitle="Send matching requests to a chosen channel, before the balancer decides.">
        <button className="btn btn-primary" onClick={() => setEditing('new')} data-testid="rule-add" id="rule-add">
          <Icon name="plus" /> Add rule
        </button>
      </PageHeader>

      <Card title="Rules" actions={<span className="muted small">in evaluation order: highest priority first</span>}>
        <ErrorBox error={rules.error} />
        {rules.loading && !rules.data ? (
          <Loading />
        ) : sorted.length === 0 ? (
          <Empty title="No rules">All requests are spread by the balancing strategy. Add a rule to route by model, size, tools, headers and more.</Empty>
        ) : (
          <div className="table-wrap">
            <table className="table" data-testid="rules-table">
              <thead>
                <tr>
                  <th style={{ width: 70 }}>Enabled</th>
                  <th className="num" style={{ width: 70 }}>
                    Priority
                  </th>
                  <th>Rule</th>
                  <th>When</th>
                  <th>Target</th>
                  <th className="actions-col" />
                </tr>
              </thead>
              <tbody>
                {sorted.map((r) => {
                  const chips = conditionChips(r.condition);
                  const known = !channels.data || channels.data.some((c) => c.id === r.target?.channel);
                  return (
                    <tr key={r.id} className={r.disabled ? 'row-disabled' : ''} data-testid={`rule-row-${r.id}`}>
                      <td>
                        <Switch
                          checked={!r.disabled}
                          disabled={pending === r.id}
                          onChange={(v) => toggle(r, v)}
                          testid={`rule-toggle-${r.id}`}
                          label={r.disabled ? 'Enable rule' : 'Disable rule'}
                        />
                      </td>
                      <td className="num">{r.priority ?? 0}</td>
                      <td>
                        <div className="strong">{r.name || r.id}</div>
                        <div className="sub mono">{r.id}</div>
                      </td>
                      <td>
                        {chips.length === 0 ? (
                          <span className="muted">every request</span>
                        ) : (
                          <div className="chips">
                            {chips.map((c, i) => (
                              <span className="chip" key={i}>
                                {c}
                              </span>
                            ))}
                          </div>
                        )}
                      </td>
                      <td>
                        <span className={known ? '' : 'err-text'} title={known ? undefined : 'No channel with this id'}>
                          {channelLabel(r.target?.channel)}
                        </span>
                        {r.target?.model && (
                          <div className="sub">
                            as <code>{r.target.model}</code>
                          </div>
                        )}
                      </td>
                      <td className="actions-col">
                        <div className="row-actions">
                          <button className="btn btn-sm btn-icon" title="Edit" aria-label="Edit" onClick={() => setEditing(r)} data-testid={`rule-edit-${r.id}`}>
                            <Icon name="edit" />
                          </button>
                          <DeleteButton onClick={() => remove(r)} testid={`rule-delete-${r.id}`} />
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

      <RuleTester channels={channels.data ?? []} />

      {editing && (
        <RuleForm
          rule={editing === 'new' ? null : editing}
          channels={channels.data}
          channelsError={channels.error}
          onClose={() => setEditing(null)}
          onSaved={(r, created) => {
            setEditing(null);
            toast(created ? `Added rule ${r.name || r.id}` : `Saved rule ${r.name || r.id}`);
            rules.reload();
          }}
        />
      )}
    </div>
  );
}

function boolToSelect(v: boolean | undefined): string {
  return v === true ? 'yes' : v === false ? 'no' : '';
}

function RuleForm({
  rule,
  channels,
  channelsError,
  onClose,
  onSaved,
}: {
  rule: Rule | null;
  channels: ChannelWithStatus[] | undefined;
  channelsError: string;
  onClose: () => void;
  onSaved: (r: Rule, created: boolean) => void;
}) {
  const isNew = !rule;
  const form = useRef<HTMLFormElement>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const c = rule?.condition ?? {};

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const f = form.current;
    setError('');
    try {
      const id = isNew ? formValue(f, 'id').trim() : rule!.id;
      const channel = formValue(f, 'targetChannel').trim();
      if (!channel) throw new Error('Choose the target channel.');
      const cond: Condition = {};
      const threshold = formValue(f, 'tokenThreshold').trim();
      if (threshold) {
        const n = Number(threshold);
        if (!Number.isInteger(n) || n < 0) throw new Error('Token threshold must be a whole number.');
        if (n > 0) cond.tokenThreshold = n;
      }
      const keywords = splitList(formValue(f, 'keywords'));
      if (keywords.length) cond.keywords = keywords;
      const userPattern = formValue(f, 'userPattern').trim();
      if (userPattern) cond.userPattern = userPattern;
      const modelPattern = formValue(f, 'modelPattern').trim();
      if (modelPattern) cond.modelPattern = modelPattern;
      for (const b of BOOL_FIELDS) {
        const v = formValue(f, b.key);
        if (v === 'yes') cond[b.key] = true;
        if (v === 'no') cond[b.key] = false;
      }
      const headerName = formValue(f, 'headerName').trim();
      const headerPattern = formValue(f, 'headerPattern').trim();
      if (headerName) cond.header = { name: headerName, pattern: headerPattern };
      else if (headerPattern) throw new Error('Give the header name for the header pattern.');
      const custom = formValue(f, 'custom').trim();
      if (custom) cond.custom = custom;
      const prio = formValue(f, 'priority').trim();
      const priority = prio ? Number(prio) : 0;
      if (!Number.isInteger(priority)) throw new Error('Priority must be a whole number.');
      const r: Rule = {
        id,
        name: formValue(f, 'name').trim(),
        priority,
        disabled: !formChecked(f, 'enabled'),
        condition: cond,
        target: { channel, model: formValue(f, 'targetModel').trim() },
      };
      if (!r.target.model) delete r.target.model;
      if (!r.name) delete r.name;
      setBusy(true);
      const saved = isNew ? await api.createRule(r) : await api.updateRule(rule!.id, r);
      onSaved(saved ?? r, isNew);
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };

  const currentTarget = rule?.target?.channel ?? '';

  return (
    <Modal
      title={isNew ? 'Add rule' : `Edit rule ${rule!.name || rule!.id}`}
      onClose={onClose}
      wide
      testid="rule-form"
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form="rule-form" className="btn btn-primary" disabled={busy || !channels} data-testid="rule-save" id="rule-save">
            {busy && <Spinner small />} {isNew ? 'Add rule' : 'Save rule'}
          </button>
        </>
      }
    >
      {!channels ? (
        channelsError ? <ErrorBox error={channelsError} /> : <Loading />
      ) : (
        <form id="rule-form" ref={form} onSubmit={submit} noValidate>
          <div className="grid-3">
            <Field label="Id" htmlFor="rule-id" hint={isNew ? 'Optional: generated when empty.' : 'The id cannot be changed.'}>
              <input id="rule-id" name="id" data-testid="rule-id" defaultValue={rule?.id ?? ''} disabled={!isNew} placeholder="long-context" spellCheck={false} autoFocus={isNew} />
            </Field>
            <Field label="Name" htmlFor="rule-name">
              <input id="rule-name" name="name" data-testid="rule-name" defaultValue={rule?.name ?? ''} placeholder="Long prompts to GPT-4.1" />
            </Field>
            <Field label="Priority" htmlFor="rule-priority" hint="Higher is evaluated first.">
              <input id="rule-priority" name="priority" type="number" data-testid="rule-priority" defaultValue={rule?.priority ?? 0} />
            </Field>
          </div>

          <fieldset className="fieldset">
            <legend>When — every filled condition must hold</legend>
            <div className="grid-2">
              <Field label="Model pattern" htmlFor="rule-model-pattern" hint={<>Glob (<code>claude-*</code>) or regexp (<code>/^gpt-4/</code>).</>}>
                <input id="rule-model-pattern" name="modelPattern" data-testid="rule-model-pattern" defaultValue={c.modelPattern ?? ''} placeholder="claude-*" spellCheck={false} />
              </Field>
              <Field label="Token threshold" htmlFor="rule-token-threshold" hint="Estimated input tokens at least this many.">
                <input
                  id="rule-token-threshold"
                  name="tokenThreshold"
                  type="number"
                  min={0}
                  data-testid="rule-token-threshold"
                  defaultValue={c.tokenThreshold || ''}
                  placeholder="60000"
                />
              </Field>
              <Field label="Keywords" htmlFor="rule-keywords" hint="Comma separated; any one in the user text, ignoring case.">
                <input id="rule-keywords" name="keywords" data-testid="rule-keywords" defaultValue={(c.keywords ?? []).join(', ')} placeholder="translate, traduire" />
              </Field>
              <Field label="User text pattern" htmlFor="rule-user-pattern" hint="Regular expression (RE2) searched in the user text.">
                <input id="rule-user-pattern" name="userPattern" data-testid="rule-user-pattern" defaultValue={c.userPattern ?? ''} placeholder="(?i)\bsql\b" spellCheck={false} />
              </Field>
            </div>
            <div className="grid-4">
              {BOOL_FIELDS.map((b) => (
                <Field key={b.key} label={b.label} htmlFor={b.testid}>
                  <select id={b.testid} name={b.key} data-testid={b.testid} defaultValue={boolToSelect(c[b.key])}>
                    <option value="">Any</option>
                    <option value="yes">Yes</option>
                    <option value="no">No</option>
                  </select>
                </Field>
              ))}
            </div>
            <div className="grid-3">
              <Field label="Header name" htmlFor="rule-header-name">
                <input id="rule-header-name" name="headerName" data-testid="rule-header-name" defaultValue={c.header?.name ?? ''} placeholder="x-team" spellCheck={false} />
              </Field>
              <Field label="Header pattern" htmlFor="rule-header-pattern" hint="RE2; empty means the header is present.">
                <input id="rule-header-pattern" name="headerPattern" data-testid="rule-header-pattern" defaultValue={c.header?.pattern ?? ''} placeholder="^research$" spellCheck={false} />
              </Field>
              <Field label="Custom condition" htmlFor="rule-custom" hint="Name of a condition registered in Go.">
                <input id="rule-custom" name="custom" data-testid="rule-custom" defaultValue={c.custom ?? ''} spellCheck={false} />
              </Field>
            </div>
          </fieldset>

          <fieldset className="fieldset">
            <legend>Then</legend>
            <div className="grid-2">
              <Field label="Target channel" htmlFor="rule-target-channel">
                <select id="rule-target-channel" name="targetChannel" data-testid="rule-target-channel" defaultValue={currentTarget}>
                  <option value="">Choose a channel…</option>
                  {currentTarget && !channels.some((x) => x.id === currentTarget) && <option value={currentTarget}>{currentTarget} (missing)</option>}
                  {channels.map((x) => (
                    <option key={x.id} value={x.id}>
                      {x.id}
                      {x.name && x.name !== x.id ? ` — ${x.name}` : ''}
                    </option>
                  ))}
                </select>
              </Field>
              <Field label="Target model" htmlFor="rule-target-model" hint="Optional: replaces the requested model.">
                <input id="rule-target-model" name="targetModel" data-testid="rule-target-model" defaultValue={rule?.target?.model ?? ''} placeholder="keep requested model" spellCheck={false} />
              </Field>
            </div>
          </fieldset>
          <label className="check">
            <input type="checkbox" name="enabled" data-testid="rule-enabled" defaultChecked={!rule?.disabled} /> Enabled
          </label>
          <ErrorBox error={error} testid="rule-error" />
        </form>
      )}
    </Modal>
  );
}

const SAMPLES: Record<string, string> = {
  '/v1/messages': JSON.stringify(
    {
      model: 'claude-sonnet-4-5',
      max_tokens: 1024,
      messages: [{ role: 'user', content: 'Summarise the attached research notes in three bullet points.' }],
    },
    null,
    2,
  ),
  '/v1/chat/completions': JSON.stringify(
    {
      model: 'gpt-4.1',
      messages: [
        { role: 'system', content: 'You are a helpful assistant.' },
        { role: 'user', content: 'Summarise the attached research notes in three bullet points.' },
      ],
    },
    null,
    2,
  ),
};

function RuleTester({ channels }: { channels: ChannelWithStatus[] }) {
  const [path, setPath] = useState('/v1/messages');
  const [headers, setHeaders] = useState<KVRow[]>([{ k: 'x-team', v: 'research' }]);
  const [body, setBody] = useState(SAMPLES['/v1/messages']);
  const [result, setResult] = useState<DryRun | null>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const changePath = (p: string) => {
    setPath(p);
    if (Object.values(SAMPLES).includes(body) || !body.trim()) setBody(SAMPLES[p]);
  };

  const run = async (e: FormEvent) => {
    e.preventDefault();
    setError('');
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch (err) {
      setError('The body is not valid JSON: ' + errorMessage(err));
      return;
    }
    setBusy(true);
    try {
      setResult(await api.testRules({ path, headers: fromRows(headers), body: parsed }));
    } catch (err) {
      setResult(null);
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const name = (id: string) => {
    const c = channels.find((x) => x.id === id);
    return c?.name && c.name !== id ? `${c.name}` : id;
  };

  return (
    <Card title="Rule tester" actions={<span className="muted small">dry run: nothing is sent upstream</span>} testid="rule-tester">
      <form className="tester" onSubmit={run}>
        <div className="tester-inputs">
          <Field label="Endpoint" htmlFor="rt-path">
            <select id="rt-path" data-testid="rt-path" value={path} onChange={(e) => changePath(e.target.value)}>
              <option value="/v1/messages">POST /v1/messages (Anthropic)</option>
              <option value="/v1/chat/completions">POST /v1/chat/completions (OpenAI)</option>
            </select>
          </Field>
          <Field label="Headers">
            <KVEditor rows={headers} onChange={setHeaders} keyPlaceholder="header" valuePlaceholder="value" testid="rt-headers" addLabel="Add header" />
          </Field>
          <Field
            label={
              <span className="label-row">
                Request body
                <button type="button" className="link-btn" onClick={() => setBody(SAMPLES[path])}>
                  Reset sample
                </button>
              </span>
            }
            htmlFor="rt-body"
          >
            <textarea id="rt-body" data-testid="rt-body" className="mono code-area" rows={12} value={body} onChange={(e) => setBody(e.target.value)} spellCheck={false} />
          </Field>
          <div>
            <button type="submit" className="btn btn-primary" disabled={busy} data-testid="rt-run">
              {busy ? <Spinner small /> : <Icon name="play" />} Run dry run
            </button>
          </div>
        </div>
        <div className="tester-output" data-testid="rt-result">
          <ErrorBox error={error} testid="rt-error" />
          {!result && !error && <div className="placeholder-box">Run the tester to see which rule matches and the order channels would be tried in.</div>}
          {result && (
            <div className="dry-run">
              {result.error && (
                <div className="alert alert-warn" data-testid="rt-refusal">
                  <Icon name="alert" />
                  <span>{result.error}</span>
                </div>
              )}
              <dl className="details compact">
                <div>
                  <dt>Format</dt>
                  <dd>{result.format || '—'}</dd>
                </div>
                <div>
                  <dt>Requested model</dt>
                  <dd>
                    <code>{result.model || '—'}</code>
                  </dd>
                </div>
                <div>
                  <dt>Matched rule</dt>
                  <dd data-testid="rt-rule">{result.rule ? <Badge tone="violet">{result.rule}</Badge> : <span className="muted">none: the balancer decides</span>}</dd>
                </div>
                <div>
                  <dt>Target model</dt>
                  <dd data-testid="rt-target-model">
                    <code>{result.targetModel || result.model || '—'}</code>
                  </dd>
                </div>
              </dl>
              <div className="order-title">Channel order</div>
              {result.channels && result.channels.length > 0 ? (
                <ol className="order" data-testid="rt-channels">
                  {result.channels.map((id, i) => (
                    <li key={id + i}>
                      <span className="order-n">{i + 1}</span>
                      <span className="strong">{name(id)}</span>
                      {name(id) !== id && <span className="sub mono">{id}</span>}
                      {i === 0 && <Badge tone="green">first</Badge>}
                    </li>
                  ))}
                </ol>
              ) : (
                <div className="muted" data-testid="rt-channels">
                  No channel would be tried.
                </div>
              )}
            </div>
          )}
        </div>
      </form>
    </Card>
  );
}
