import { useRef, useState, type FormEvent } from 'react';
import { ApiError, api, errorMessage, type Channel, type TestResult } from '../api';
import { slugify, splitList } from '../format';
import { ErrorBox, Field, Icon, Spinner, formValue } from '../ui';
import { BrandMark } from './setup/BrandMark';
import { CHANNEL_KINDS, DEFAULT_URLS, MODEL_HINTS, STEPS, STRATEGIES, StrategyChoice } from './setup/choices';
import { TestOutcome } from './setup/TestOutcome';

interface ChannelDraft {
  kind: string;
  name: string;
  baseUrl: string;
  apiKey: string;
  models: string;
}

// tokenRefused reports whether e is the server refusing the setup token.
const tokenRefused = (e: unknown) => e instanceof ApiError && e.status === 401;

const TOKEN_REFUSED = 'The server did not accept this setup token. Copy it again from the server’s log, from the line that says “paste the setup token”.';

export function SetupWizard({ onDone }: { onDone: (username: string, csrfToken: string) => void }) {
  const [step, setStep] = useState(0);
  const [draft, setDraft] = useState<ChannelDraft>({
    kind: 'anthropic',
    name: '',
    baseUrl: 'https://api.anthropic.com',
    apiKey: '',
    models: '',
  });
  const [token, setToken] = useState('');
  const [strategy, setStrategy] = useState('priority');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [test, setTest] = useState<TestResult | null>(null);
  const [testing, setTesting] = useState(false);
  const form0 = useRef<HTMLFormElement>(null);
  const form1 = useRef<HTMLFormElement>(null);
  const form2 = useRef<HTMLFormElement>(null);
  const form3 = useRef<HTMLFormElement>(null);
  const [kind, setKind] = useState(draft.kind);

  const readDraft = (): ChannelDraft => {
    const f = form1.current;
    return {
      kind: formValue(f, 'kind') || 'anthropic',
      name: formValue(f, 'name').trim(),
      baseUrl: formValue(f, 'baseUrl').trim(),
      apiKey: formValue(f, 'apiKey').trim(),
      models: formValue(f, 'models'),
    };
  };

  const toChannel = (d: ChannelDraft): Channel => {
    const k = CHANNEL_KINDS.find((x) => x.value === d.kind) ?? CHANNEL_KINDS[0];
    const ch: Channel = {
      id: slugify(d.name) || k.value,
      name: d.name || k.label,
      type: k.type,
      baseUrl: d.baseUrl.replace(/\/+$/, ''),
      apiKey: d.apiKey,
    };
    const models = splitList(d.models);
    if (models.length) ch.models = models;
    return ch;
  };

  const validate1 = (d: ChannelDraft): string => {
    if (!d.name) return 'Give the channel a name, e.g. “Anthropic”.';
    if (!d.baseUrl) return 'Enter the provider’s base URL.';
    if (!/^https?:\/\/[^\s]+$/i.test(d.baseUrl)) return 'The base URL must start with http:// or https://.';
    if (!d.apiKey && d.kind !== 'openai-compatible') return 'Enter the API key of this provider.';
    return '';
  };

  const onKind = (value: string) => {
    setKind(value);
    const input = form1.current?.elements.namedItem('baseUrl') as HTMLInputElement | null;
    const next = CHANNEL_KINDS.find((k) => k.value === value);
    if (input && next && (input.value.trim() === '' || DEFAULT_URLS.has(input.value.trim().replace(/\/+$/, '')))) {
      input.value = next.baseUrl;
    }
    setTest(null);
  };

  const runTest = async () => {
    const d = readDraft();
    const v = validate1(d);
    setError(v);
    setTest(null);
    if (v) return;
    setTesting(true);
    try {
      setTest(await api.setupTestChannel(toChannel(d), token));
    } catch (e) {
      if (tokenRefused(e)) return tokenLost();
      setTest({ channelId: '', ok: false, error: errorMessage(e) });
    } finally {
      setTesting(false);
    }
  };

  // The token stopped working (the server restarted and made a new one):
  // back to the first step to paste it again.
  const tokenLost = () => {
    if (form1.current) setDraft(readDraft());
    setToken('');
    setStep(0);
    setError(TOKEN_REFUSED);
  };

  const next0 = async (e?: FormEvent) => {
    e?.preventDefault();
    const t = formValue(form0.current, 'setupToken').trim();
    if (!t) return setError('Paste the setup token from the server’s log.');
    setError('');
    setBusy(true);
    try {
      await api.setupCheckToken(t);
      setToken(t);
      setStep(1);
    } catch (err) {
      setError(tokenRefused(err) ? TOKEN_REFUSED : errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const next1 = (e?: FormEvent) => {
    e?.preventDefault();
    const d = readDraft();
    const v = validate1(d);
    setError(v);
    if (v) return;
    setDraft(d);
    setStep(2);
  };

  const next2 = (e?: FormEvent) => {
    e?.preventDefault();
    const chosen = formValue(form2.current, 'strategy') || strategy;
    setStrategy(chosen);
    setError('');
    setStep(3);
  };

  const finish = async (e?: FormEvent) => {
    e?.preventDefault();
    const f = form3.current;
    const username = formValue(f, 'username').trim() || 'admin';
    const password = formValue(f, 'password');
    const confirm = formValue(f, 'confirm');
    if (password.length < 8) return setError('The password needs at least 8 characters.');
    if (password !== confirm) return setError('The two passwords do not match.');
    setError('');
    setBusy(true);
    try {
      const res = await api.setup({ channel: toChannel(draft), strategy, admin: { username, password } }, token);
      onDone(res?.username || username, res?.csrfToken ?? '');
    } catch (err) {
      setBusy(false);
      if (tokenRefused(err)) return tokenLost();
      setError(errorMessage(err));
    }
  };

  const back = () => {
    setError('');
    setStep((s) => Math.max(0, s - 1));
  };

  return (
    <div className="auth-screen">
      <div className="auth-card wizard" data-testid="wizard">
        <div className="auth-brand">
          <BrandMark />
          <div>
            <div className="auth-title">Welcome to routex</div>
            <div className="muted">Four short steps and your proxy is ready.</div>
          </div>
        </div>

        <ol className="steps" data-testid="wizard-steps">
          {STEPS.map((s, i) => (
            <li key={s} className={i < step ? 'done' : i === step ? 'current' : ''} data-testid={`wizard-step-${i + 1}`}>
              <span className="step-dot">{i < step ? <Icon name="check" size={14} /> : i + 1}</span>
              <span className="step-label">{s}</span>
            </li>
          ))}
        </ol>

        {step === 0 && (
          <form ref={form0} onSubmit={next0} noValidate>
            <h2 className="wizard-h">Paste the setup token</h2>
            <p className="muted wizard-p">
              So that only whoever runs this server can set it up, routex printed a one-time setup token in its log when it started.
            </p>
            <Field
              label="Setup token"
              htmlFor="wizard-setup-token"
              hint={
                <>
                  It is printed in the server’s log (the terminal, <code>docker logs</code> or your platform’s log view), on the line{' '}
                  <code>open http://…/ and paste the setup token: …</code>. A token set in <code>ROUTEX_SETUP_TOKEN</code> works too.
                </>
              }
            >
              <input
                id="wizard-setup-token"
                name="setupToken"
                data-testid="wizard-setup-token"
                defaultValue={token}
                autoComplete="off"
                spellCheck={false}
                autoFocus
              />
            </Field>
            <ErrorBox error={error} testid="wizard-error" reveal />
            <div className="wizard-actions">
              <span />
              <button type="submit" className="btn btn-primary" disabled={busy} data-testid="wizard-next">
                {busy ? <Spinner small /> : null} Next <Icon name="chevronRight" />
              </button>
            </div>
          </form>
        )}

        {step === 1 && (
          <form ref={form1} onSubmit={next1} noValidate>
            <h2 className="wizard-h">Connect your first provider</h2>
            <div className="grid-2">
              <Field label="Provider" htmlFor="wizard-channel-type">
                <select
                  id="wizard-channel-type"
                  name="kind"
                  data-testid="wizard-channel-type"
                  defaultValue={draft.kind}
                  onChange={(e) => onKind(e.target.value)}
                >
                  {CHANNEL_KINDS.map((k) => (
                    <option key={k.value} value={k.value}>
                      {k.label}
                    </option>
                  ))}
                </select>
              </Field>
              <Field label="Name" htmlFor="wizard-channel-name">
                <input
                  id="wizard-channel-name"
                  name="name"
                  data-testid="wizard-channel-name"
                  defaultValue={draft.name}
                  placeholder="Anthropic"
                  autoComplete="off"
                  autoFocus
                />
              </Field>
            </div>
            <Field label="Base URL" htmlFor="wizard-channel-baseurl" hint="The provider’s API root. Change it for proxies and compatible providers.">
              <input
                id="wizard-channel-baseurl"
                name="baseUrl"
                data-testid="wizard-channel-baseurl"
                defaultValue={draft.baseUrl}
                autoComplete="off"
                spellCheck={false}
              />
            </Field>
            <Field label="API key" htmlFor="wizard-channel-key" hint={kind === 'openai-compatible' ? 'Optional for local servers.' : 'Stored on the server; never shown again in full.'}>
              <input
                id="wizard-channel-key"
                name="apiKey"
                type="password"
                data-testid="wizard-channel-key"
                defaultValue={draft.apiKey}
                placeholder={kind === 'anthropic' ? 'sk-ant-…' : 'sk-…'}
                autoComplete="off"
                spellCheck={false}
              />
            </Field>
            <Field label="Models" htmlFor="wizard-channel-models" hint="Comma separated; globs like claude-* work. Leave empty to accept any model.">
              <input
                id="wizard-channel-models"
                name="models"
                data-testid="wizard-channel-models"
                defaultValue={draft.models}
                placeholder={MODEL_HINTS[kind]}
                autoComplete="off"
                spellCheck={false}
              />
            </Field>

            <div className="test-row">
              <button type="button" className="btn" onClick={runTest} disabled={testing} data-testid="wizard-test">
                {testing ? <Spinner small /> : <Icon name="zap" />} Test connection
              </button>
              {test && <TestOutcome result={test} testid="wizard-test-result" />}
            </div>

            <ErrorBox error={error} testid="wizard-error" reveal />
            <div className="wizard-actions">
              <span />
              <button type="submit" className="btn btn-primary" data-testid="wizard-next">
                Next <Icon name="chevronRight" />
              </button>
            </div>
          </form>
        )}

        {step === 2 && (
          <form ref={form2} onSubmit={next2}>
            <h2 className="wizard-h">How should requests be spread?</h2>
            <p className="muted wizard-p">You can change this any time in Settings. With one channel, all strategies behave the same.</p>
            <StrategyChoice value={strategy} onChange={setStrategy} />
            <ErrorBox error={error} testid="wizard-error" reveal />
            <div className="wizard-actions">
              <button type="button" className="btn btn-ghost" onClick={back} data-testid="wizard-back">
                <Icon name="chevronLeft" /> Back
              </button>
              <button type="submit" className="btn btn-primary" data-testid="wizard-next">
                Next <Icon name="chevronRight" />
              </button>
            </div>
          </form>
        )}

        {step === 3 && (
          <form ref={form3} onSubmit={finish} noValidate>
            <h2 className="wizard-h">Create the administrator</h2>
            <p className="muted wizard-p">This account signs in to this dashboard.</p>
            <Field label="Username" htmlFor="wizard-username" hint="Defaults to “admin” when left empty.">
              <input id="wizard-username" name="username" data-testid="wizard-username" placeholder="admin" autoComplete="username" autoFocus />
            </Field>
            <div className="grid-2">
              <Field label="Password" htmlFor="wizard-password" hint="At least 8 characters.">
                <input id="wizard-password" name="password" type="password" data-testid="wizard-password" autoComplete="new-password" />
              </Field>
              <Field label="Confirm password" htmlFor="wizard-password-confirm">
                <input
                  id="wizard-password-confirm"
                  name="confirm"
                  type="password"
                  data-testid="wizard-password-confirm"
                  autoComplete="new-password"
                />
              </Field>
            </div>
            <div className="summary">
              <div>
                <span className="muted">Channel</span> {draft.name} · {CHANNEL_KINDS.find((k) => k.value === draft.kind)?.label} ·{' '}
                <code>{draft.baseUrl}</code>
              </div>
              <div>
                <span className="muted">Strategy</span> {STRATEGIES.find((s) => s.name === strategy)?.title}
              </div>
            </div>
            <ErrorBox error={error} testid="wizard-error" reveal />
            <div className="wizard-actions">
              <button type="button" className="btn btn-ghost" onClick={back} data-testid="wizard-back" disabled={busy}>
                <Icon name="chevronLeft" /> Back
              </button>
              <button type="submit" className="btn btn-primary" disabled={busy} data-testid="wizard-finish">
                {busy ? <Spinner small /> : <Icon name="check" />} Finish setup
              </button>
            </div>
          </form>
        )}
      </div>
    </div>
  );
}
