import { useRef, useState, type FormEvent } from 'react';
import { api, errorMessage, type AccountStatus, type ChannelWithStatus, type SignInMode } from '../api';
import { fmtDateTime, fmtRelative, fmtUntil } from '../format';
import { Badge, CopyButton, Field, Icon, Modal, Spinner, confirmAction, formValue, toast, type Tone } from '../ui';

// How an OAuth channel's account stands, for its badge in the channels table.
export function accountView(a: AccountStatus | undefined): { label: string; tone: Tone; title: string; needsSignIn: boolean } {
  const state = a?.state ?? 'unknown';
  const err = a?.lastError ? `Last error: ${a.lastError}` : '';
  const lines = (...xs: (string | false | undefined)[]) => xs.filter(Boolean).join('\n');
  switch (state) {
    case 'ok':
      return {
        label: 'signed in',
        tone: 'green',
        needsSignIn: false,
        title: lines(
          a?.expiry && `Token valid until ${fmtDateTime(a.expiry)} (${fmtRelative(a.expiry)}); refreshed automatically.`,
          a?.refreshedAt && `Last refreshed ${fmtDateTime(a.refreshedAt)}.`,
        ),
      };
    case 'refreshing':
      return { label: 'refreshing', tone: 'amber', needsSignIn: false, title: 'A token refresh is under way.' };
    case 'backoff': {
      return {
        label:
          a?.nextRetry && Date.parse(a.nextRetry) > Date.now()
            ? `retry at ${fmtUntil(a.nextRetry, Date.parse(a.nextRetry) - Date.now() < 3_600_000)}`
            : 'retry pending',
        tone: 'amber',
        needsSignIn: false,
        title: lines(
          `${a?.failures ?? 1} failed ${a?.failures === 1 ? 'refresh' : 'refreshes'}; the current token is used while it is valid.`,
          a?.nextRetry && `Next retry ${fmtDateTime(a.nextRetry)} (${fmtRelative(a.nextRetry)}).`,
          err,
        ),
      };
    }
    case 'failed':
      return {
        label: 'Sign in again',
        tone: 'red',
        needsSignIn: true,
        title: lines('Refreshing the token failed for good: the channel is out of rotation until it is signed in again.', err),
      };
    case 'missing':
      return { label: 'Sign in again', tone: 'red', needsSignIn: true, title: 'No token is stored: the channel is out of rotation until it is signed in.' };
    default:
      return { label: 'not checked', tone: 'gray', needsSignIn: false, title: 'The token has not been read yet; the next request on this channel checks it.' };
  }
}

export function AccountBadge({ channel }: { channel: ChannelWithStatus }) {
  const v = accountView(channel.account);
  return (
    <span data-testid={`channel-account-${channel.id}`} data-state={channel.account?.state ?? 'unknown'} className="account-badge">
      <Badge tone={v.tone} title={v.title}>
        {v.label}
      </Badge>
    </span>
  );
}

export function signOut(c: ChannelWithStatus): Promise<boolean> {
  return confirmAction({
    title: 'Sign out account',
    message: (
      <>
        Sign <b>{c.name || c.id}</b> out? Its stored token is deleted and the channel takes no requests until it is signed in again.
      </>
    ),
    confirmLabel: 'Sign out',
    run: () => api.signOut(c.id),
    done: `Signed out ${c.name || c.id}`,
  });
}

const MODES: { mode: SignInMode; title: string; tag: string; desc: string }[] = [
  {
    mode: 'subscription',
    title: 'Claude subscription',
    tag: 'Pro / Max',
    desc: 'Requests use your Claude plan. routex keeps the OAuth tokens and refreshes them before they expire.',
  },
  {
    mode: 'console',
    title: 'Console',
    tag: 'API key',
    desc: 'Sign in to the Anthropic Console; routex creates an API key there and stores it as this channel’s key.',
  },
];

// The headless sign-in: start a flow, open its URL, paste the code back.
export function SignInModal({
  channel,
  onClose,
  onDone,
}: {
  channel: ChannelWithStatus;
  onClose: () => void;
  onDone: (c: ChannelWithStatus) => void;
}) {
  const [mode, setMode] = useState<SignInMode>('subscription');
  const [url, setUrl] = useState('');
  const [starting, setStarting] = useState(false);
  const [finishing, setFinishing] = useState(false);
  const [error, setError] = useState('');
  const form = useRef<HTMLFormElement>(null);
  const name = channel.name || channel.id;

  const choose = (m: SignInMode) => {
    if (m === mode) return;
    setMode(m);
    // A started flow belongs to one mode: start again for the other.
    setUrl('');
    setError('');
  };

  const start = async () => {
    setStarting(true);
    setError('');
    try {
      const r = await api.startSignIn(channel.id, mode);
      setUrl(r.url);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setStarting(false);
    }
  };

  const finish = async (e: FormEvent) => {
    e.preventDefault();
    const code = formValue(form.current, 'code').trim();
    if (!url) return setError('Open the sign-in page first.');
    if (!code) return setError('Paste the code shown after signing in.');
    setFinishing(true);
    setError('');
    try {
      const c = await api.finishSignIn(channel.id, code);
      toast(mode === 'console' ? `${name} now uses a new Console API key` : `Signed in ${name}`);
      onDone(c);
    } catch (err) {
      setError(errorMessage(err).replace(/^routex\/oauth: /, ''));
      setFinishing(false);
    }
  };

  return (
    <Modal
      title={`Sign in account · ${name}`}
      onClose={onClose}
      testid="signin-dialog"
      error={error}
      errorTestid="signin-error"
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form="signin-form" className="btn btn-primary" disabled={!url || finishing} data-testid="signin-finish">
            {finishing && <Spinner small />} Finish
          </button>
        </>
      }
    >
      <form id="signin-form" ref={form} onSubmit={finish} noValidate>
        <div className="radio-cards signin-modes" role="radiogroup" aria-label="Account">
          {MODES.map((m) => (
            <label key={m.mode} className={'radio-card' + (mode === m.mode ? ' selected' : '')} data-testid={`signin-mode-${m.mode}`}>
              <input type="radio" name="mode" value={m.mode} checked={mode === m.mode} onChange={() => choose(m.mode)} />
              <span className="radio-card-body">
                <span className="radio-card-title">
                  {m.title} <span className="tag">{m.tag}</span>
                </span>
                <span className="radio-card-desc">{m.desc}</span>
              </span>
            </label>
          ))}
        </div>

        <ol className="signin-steps">
          <li>
            <div className="signin-step-title">Open the sign-in page and sign in.</div>
            {url ? (
              <div className="copybox signin-url">
                <a href={url} target="_blank" rel="noopener" data-testid="signin-url" title={url}>
                  <Icon name="external" /> <span className="ellipsis-line">{url}</span>
                </a>
                <CopyButton value={url} testid="signin-url-copy" />
              </div>
            ) : null}
            <button type="button" className={'btn' + (url ? ' btn-sm btn-ghost' : ' btn-primary')} onClick={start} disabled={starting} data-testid="signin-start">
              {starting ? <Spinner small /> : <Icon name={url ? 'refresh' : 'login'} />} {url ? 'Start over' : 'Open sign-in page'}
            </button>
          </li>
          <li className={url ? '' : 'pending'}>
            <Field
              label={<span className="signin-step-title">Paste the code shown after signing in</span>}
              htmlFor="signin-code"
              hint="It looks like code#state. The whole address of the page you land on works too."
            >
              <input
                id="signin-code"
                name="code"
                data-testid="signin-code"
                className="mono"
                autoComplete="off"
                spellCheck={false}
                disabled={!url}
                placeholder={url ? 'code#state' : 'open the sign-in page first'}
              />
            </Field>
          </li>
        </ol>
      </form>
    </Modal>
  );
}
