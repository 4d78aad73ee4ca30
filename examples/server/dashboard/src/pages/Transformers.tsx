import { useEffect, useState, type FormEvent } from 'react';
import { api, errorMessage } from '../api';
import { Card, Empty, ErrorBox, Field, Icon, Loading, LoadFailed, PageHeader, Spinner, useLoad } from '../ui';

const INFO: Record<string, { desc: string; options?: string; prefill?: string }> = {
  cleancache: { desc: 'Removes every prompt-cache marker (cache_control), for providers that refuse them.' },
  maxtoken: {
    desc: 'Caps the output tokens a request may ask for, and sets a default when it asks for none.',
    options: '{"max": 8192, "default": 1024}',
    prefill: '{"max": 8192}',
  },
  sampling: {
    desc: 'Drops or clamps sampling parameters a provider rejects. Without options it does what the target format needs.',
    options: '{"drop": ["top_k"], "maxTemperature": 1}',
  },
};

const SAMPLE_REQUEST = JSON.stringify(
  {
    model: 'claude-sonnet-4-5',
    max_tokens: 64000,
    temperature: 1.5,
    top_k: 40,
    system: [{ type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } }],
    messages: [{ role: 'user', content: 'Hello' }],
  },
  null,
  2,
);

const SAMPLE_RESPONSE = JSON.stringify(
  {
    id: 'msg_01',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4-5',
    content: [{ type: 'text', text: 'Hi!' }],
    stop_reason: 'end_turn',
    usage: { input_tokens: 10, output_tokens: 3 },
  },
  null,
  2,
);

export function TransformersPage() {
  const names = useLoad(() => api.transformers(), []);
  const [name, setName] = useState('');
  const [direction, setDirection] = useState<'request' | 'response'>('request');
  const [body, setBody] = useState(SAMPLE_REQUEST);
  const [options, setOptions] = useState('');
  const [output, setOutput] = useState<string | null>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const selected = name || names.data?.[0] || '';

  useEffect(() => {
    const first = names.data?.[0];
    if (!name && first) setOptions(INFO[first]?.prefill ?? '');
  }, [names.data, name]);

  const choose = (n: string) => {
    setName(n);
    setOptions(INFO[n]?.prefill ?? '');
    setOutput(null);
    setError('');
  };

  const changeDirection = (d: 'request' | 'response') => {
    setDirection(d);
    if (body === SAMPLE_REQUEST || body === SAMPLE_RESPONSE || !body.trim()) setBody(d === 'request' ? SAMPLE_REQUEST : SAMPLE_RESPONSE);
  };

  const run = async (e: FormEvent) => {
    e.preventDefault();
    setError('');
    setOutput(null);
    let parsedBody: unknown;
    let parsedOptions: unknown = undefined;
    try {
      parsedBody = JSON.parse(body);
    } catch (err) {
      setError('Body is not valid JSON: ' + errorMessage(err));
      return;
    }
    if (options.trim()) {
      try {
        parsedOptions = JSON.parse(options);
      } catch (err) {
        setError('Options are not valid JSON: ' + errorMessage(err));
        return;
      }
    }
    setBusy(true);
    try {
      const res = await api.testTransformer({ name: selected, direction, body: parsedBody, options: parsedOptions });
      setOutput(JSON.stringify(res?.body ?? null, null, 2));
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="page">
      <PageHeader title="Transformers" subtitle="Body edits a channel can apply to requests and responses, in order." />
      <div className="two-col">
        <Card title="Available">
          <ErrorBox error={names.data ? names.error : ''} />
          {names.loading && !names.data ? (
            <Loading />
          ) : names.error && !names.data ? (
            <LoadFailed what="the transformers" error={names.error} onRetry={names.reload} />
          ) : !names.data?.length ? (
            <Empty title="No transformers registered" />
          ) : (
            <ul className="tf-list" data-testid="transformers-list">
              {names.data.map((n) => (
                <li key={n} className={n === selected ? 'active' : ''} onClick={() => choose(n)} data-testid={`transformer-${n}`}>
                  <div className="strong mono">{n}</div>
                  <div className="sub">{INFO[n]?.desc ?? 'Registered by the embedding program.'}</div>
                  {INFO[n]?.options && (
                    <div className="sub">
                      options: <code>{INFO[n].options}</code>
                    </div>
                  )}
                </li>
              ))}
            </ul>
          )}
          <p className="muted small">
            Add them to a channel on the <a href="#/channels">Channels</a> page. Conversion between Anthropic and OpenAI formats is automatic and needs no entry.
          </p>
        </Card>

        <Card title="Tester" testid="transformer-tester">
          <form onSubmit={run}>
            <div className="grid-2">
              <Field label="Transformer" htmlFor="tt-name">
                <select id="tt-name" data-testid="tt-name" value={selected} onChange={(e) => choose(e.target.value)}>
                  {(names.data ?? []).map((n) => (
                    <option key={n} value={n}>
                      {n}
                    </option>
                  ))}
                </select>
              </Field>
              <Field label="Direction" htmlFor="tt-direction">
                <select id="tt-direction" data-testid="tt-direction" value={direction} onChange={(e) => changeDirection(e.target.value as 'request' | 'response')}>
                  <option value="request">Request (to the upstream)</option>
                  <option value="response">Response (to the caller)</option>
                </select>
              </Field>
            </div>
            <Field label="Options (JSON)" htmlFor="tt-options" hint="Leave empty for none.">
              <textarea id="tt-options" data-testid="tt-options" className="mono code-area" rows={2} value={options} onChange={(e) => setOptions(e.target.value)} spellCheck={false} placeholder="{}" />
            </Field>
            <Field label="Body (JSON)" htmlFor="tt-body">
              <textarea id="tt-body" data-testid="tt-body" className="mono code-area" rows={12} value={body} onChange={(e) => setBody(e.target.value)} spellCheck={false} />
            </Field>
            <button type="submit" className="btn btn-primary" disabled={busy || !selected} data-testid="tt-run">
              {busy ? <Spinner small /> : <Icon name="play" />} Transform
            </button>
          </form>
          <ErrorBox error={error} testid="tt-error" reveal />
          {output !== null && (
            <div className="output">
              <div className="order-title">Output</div>
              <pre className="code-block" data-testid="tt-output">
                {output}
              </pre>
            </div>
          )}
        </Card>
      </div>
    </div>
  );
}
