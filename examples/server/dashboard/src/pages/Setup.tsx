import { useRef, useState, type FormEvent } from 'react';
import { ApiError, api, errorMessage, type TestResult } from '../api';
import { Icon, formValue } from '../ui';
import { AdminStep } from './setup/AdminStep';
import { BrandMark } from './setup/BrandMark';
import { ChannelStep, FIRST_DRAFT, checkDraft, readDraft, toChannel, type ChannelDraft } from './setup/ChannelStep';
import { CHANNEL_KINDS, DEFAULT_URLS, STEPS } from './setup/choices';
import { StrategyStep } from './setup/StrategyStep';
import { TokenStep } from './setup/TokenStep';

// tokenRefused reports whether e is the server refusing the setup token.
const tokenRefused = (e: unknown) => e instanceof ApiError && e.status === 401;

const TOKEN_REFUSED = 'The server did not accept this setup token. Copy it again from the server’s log, from the line that says “paste the setup token”.';

export function SetupWizard({ onDone }: { onDone: (username: string, csrfToken: string) => void }) {
  const [step, setStep] = useState(0);
  const [draft, setDraft] = useState<ChannelDraft>(FIRST_DRAFT);
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
    const d = readDraft(form1.current);
    const v = checkDraft(d);
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
    if (form1.current) setDraft(readDraft(form1.current));
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
    const d = readDraft(form1.current);
    const v = checkDraft(d);
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

        {step === 0 && <TokenStep formRef={form0} onSubmit={next0} token={token} busy={busy} error={error} />}
        {step === 1 && (
          <ChannelStep
            formRef={form1}
            onSubmit={next1}
            draft={draft}
            kind={kind}
            onKind={onKind}
            onTest={runTest}
            testing={testing}
            test={test}
            error={error}
          />
        )}
        {step === 2 && <StrategyStep formRef={form2} onSubmit={next2} strategy={strategy} onStrategy={setStrategy} onBack={back} error={error} />}
        {step === 3 && <AdminStep formRef={form3} onSubmit={finish} draft={draft} strategy={strategy} onBack={back} busy={busy} error={error} />}
      </div>
    </div>
  );
}
