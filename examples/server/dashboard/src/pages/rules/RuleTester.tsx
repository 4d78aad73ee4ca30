// The rule tester: a dry run of a request through the rules and the balancer.
import { useState, type FormEvent } from 'react';
import { api, errorMessage, type ChannelWithStatus, type DryRun } from '../../api';
import { Badge, Card, ErrorBox, Field, Icon, KVEditor, Spinner, fromRows, type KVRow } from '../../ui';

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

export function RuleTester({ channels }: { channels: ChannelWithStatus[] }) {
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
          <ErrorBox error={error} testid="rt-error" reveal />
          {!result && !error && <div className="placeholder-box">Run the tester to see which rule matches and the order channels would be tried in.</div>}
          {result && <DryRunResult result={result} channels={channels} />}
        </div>
      </form>
    </Card>
  );
}

// DryRunResult shows what the rules and the balancer would do with a request.
export function DryRunResult({ result, channels }: { result: DryRun; channels: ChannelWithStatus[] }) {
  const name = (id: string) => {
    const c = channels.find((x) => x.id === id);
    return c?.name && c.name !== id ? `${c.name}` : id;
  };

  return (
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
      {result.passedRules && result.passedRules.length > 0 && (
        <ul className="passed-rules" data-testid="rt-passed">
          {result.passedRules.map((p, i) => (
            <li key={p.rule + i} className="warn-text" data-testid="rt-passed-rule">
              <Icon name="alert" /> rule <b>{p.rule}</b> matched but {p.reason}
            </li>
          ))}
        </ul>
      )}
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
  );
}
