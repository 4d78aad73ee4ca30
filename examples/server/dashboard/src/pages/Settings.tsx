import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, ApiError, errorMessage } from '../api';
import { fmtDateTime, fmtInt, fmtRelative } from '../format';
import { Card, DeleteButton, Empty, ErrorBox, Field, Icon, Loading, PageHeader, Spinner, confirmAction, formValue, toast, useLoad } from '../ui';
import { STRATEGIES } from './Setup';

export function SettingsPage({ onLogout }: { onLogout: () => void }) {
  return (
    <div className="page">
      <PageHeader title="Settings" />
      <div className="two-col">
        <div className="stack">
          <StrategyCard />
          <PasswordCard />
        </div>
        <div className="stack">
          <ServerCard onLogout={onLogout} />
          <RecordsCard />
          <SessionsCard />
        </div>
      </div>
    </div>
  );
}

function StrategyCard() {
  const info = useLoad(() => api.strategy(), []);
  const [value, setValue] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');

  useEffect(() => {
    if (info.data) setValue(info.data.strategy);
  }, [info.data]);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const res = await api.setStrategy(value);
      info.setData(res);
      toast(`Strategy set to ${value}`);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const available = info.data?.available?.length ? info.data.available : STRATEGIES.map((s) => s.name);
  const desc = STRATEGIES.find((s) => s.name === value)?.desc;

  return (
    <Card title="Balancing strategy">
      {info.loading && !info.data ? (
        <Loading />
      ) : (
        <form onSubmit={save}>
          <ErrorBox error={info.error} />
          <Field label="Strategy" htmlFor="settings-strategy" hint={desc}>
            <select id="settings-strategy" data-testid="settings-strategy" value={value} onChange={(e) => setValue(e.target.value)}>
              {available.map((s) => (
                <option key={s} value={s}>
                  {STRATEGIES.find((x) => x.name === s)?.title ?? s} ({s})
                </option>
              ))}
            </select>
          </Field>
          <ErrorBox error={error} testid="settings-strategy-error" />
          <button type="submit" className="btn btn-primary" disabled={busy || !value || value === info.data?.strategy} data-testid="settings-strategy-save">
            {busy && <Spinner small />} Save strategy
          </button>
        </form>
      )}
    </Card>
  );
}

function PasswordCard() {
  const form = useRef<HTMLFormElement>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const f = form.current;
    const current = formValue(f, 'current');
    const next = formValue(f, 'new');
    const confirm = formValue(f, 'confirm');
    if (!current) return setError('Enter your current password.');
    if (next.length < 8) return setError('The new password needs at least 8 characters.');
    if (next !== confirm) return setError('The new passwords do not match.');
    setBusy(true);
    setError('');
    try {
      await api.changePassword(current, next);
      f?.reset();
      toast('Password changed');
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? 'The current password is wrong.' : errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card title="Change password">
      <form ref={form} onSubmit={submit} noValidate>
        <Field label="Current password" htmlFor="password-current">
          <input id="password-current" name="current" type="password" data-testid="password-current" autoComplete="current-password" />
        </Field>
        <div className="grid-2">
          <Field label="New password" htmlFor="password-new" hint="At least 8 characters.">
            <input id="password-new" name="new" type="password" data-testid="password-new" autoComplete="new-password" />
          </Field>
          <Field label="Confirm new password" htmlFor="password-confirm">
            <input id="password-confirm" name="confirm" type="password" data-testid="password-confirm" autoComplete="new-password" />
          </Field>
        </div>
        <ErrorBox error={error} testid="password-error" />
        <button type="submit" className="btn btn-primary" disabled={busy} data-testid="password-save">
          {busy && <Spinner small />} Change password
        </button>
      </form>
    </Card>
  );
}

function ServerCard({ onLogout }: { onLogout: () => void }) {
  const s = useLoad(() => api.settings(), []);
  return (
    <Card title="Server">
      <ErrorBox error={s.error} />
      {s.loading && !s.data ? (
        <Loading />
      ) : (
        <dl className="details compact">
          <div>
            <dt>Signed in as</dt>
            <dd className="strong">{s.data?.username || '—'}</dd>
          </div>
          <div>
            <dt>Listening on</dt>
            <dd>
              <code>{s.data?.addr || '—'}</code>
            </dd>
          </div>
          <div>
            <dt>Data directory</dt>
            <dd>
              <code>{s.data?.dataDir || '—'}</code>
            </dd>
          </div>
          <div>
            <dt>Version</dt>
            <dd>{s.data?.version || '—'}</dd>
          </div>
        </dl>
      )}
      <button className="btn" onClick={onLogout} data-testid="settings-logout">
        <Icon name="logout" /> Sign out
      </button>
    </Card>
  );
}

function RecordsCard() {
  const st = useLoad(() => api.status(), [], 5000);
  const r = st.data?.records;
  const counter = (label: string, value: number | undefined, testid: string, tone: 'ok' | 'bad', hint: string) => (
    <div className={'counter' + (tone === 'bad' && value ? ' counter-bad' : '')} title={hint}>
      <div className="counter-value" data-testid={testid}>
        {value === undefined ? '—' : fmtInt(value)}
      </div>
      <div className="counter-label">{label}</div>
    </div>
  );
  return (
    <Card
      title="Usage records"
      testid="records-card"
      actions={
        <button className="btn btn-sm btn-icon" onClick={st.reload} title="Refresh" aria-label="Refresh" data-testid="records-refresh">
          <Icon name="refresh" />
        </button>
      }
    >
      <p className="muted small card-intro">What the background writer did with the usage records since the server started.</p>
      <ErrorBox error={st.error} />
      {st.loading && !st.data ? (
        <Loading />
      ) : (
        <>
          <div className="counters">
            {counter('written', r?.written, 'records-written', 'ok', 'Saved to the database')}
            {counter('dropped', r?.dropped, 'records-dropped', 'bad', 'Not queued: the queue was full')}
            {counter('failed', r?.failed, 'records-failed', 'bad', 'Queued, but the database refused them')}
          </div>
          {r && (r.dropped > 0 || r.failed > 0) && (
            <div className="alert alert-warn">
              <Icon name="alert" />
              <span>
                Some requests are missing from analytics and the request log
                {r.failed > 0 ? ': the database refused records; see the server log.' : ': the record queue overflowed under load.'}
              </span>
            </div>
          )}
        </>
      )}
    </Card>
  );
}

function SessionsCard() {
  const list = useLoad(() => api.sessions(), []);
  const sessions = list.data ?? [];

  const remove = async (key: string) => {
    const forgotten = await confirmAction({
      title: 'Forget session',
      message: (
        <>
          Forget the sticky session <code>{key}</code>? Its next request may go to another channel.
        </>
      ),
      confirmLabel: 'Forget',
      run: () => api.deleteSession(key),
      done: 'Session forgotten',
    });
    if (forgotten) list.setData(sessions.filter((s) => s.key !== key));
  };

  return (
    <Card
      title="Sticky sessions"
      actions={
        <button className="btn btn-sm btn-icon" onClick={list.reload} title="Refresh" aria-label="Refresh" data-testid="sessions-refresh">
          <Icon name="refresh" />
        </button>
      }
    >
      <p className="muted small card-intro">Conversations pinned to a channel so that prompt caches stay warm.</p>
      <ErrorBox error={list.error} />
      {list.loading && !list.data ? (
        <Loading />
      ) : sessions.length === 0 ? (
        <Empty title="No active sessions" />
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="sessions-table">
            <thead>
              <tr>
                <th>Session</th>
                <th>Channel</th>
                <th>Expires</th>
                <th className="actions-col" />
              </tr>
            </thead>
            <tbody>
              {sessions.map((s) => (
                <tr key={s.key}>
                  <td className="mono ellipsis" title={s.key}>
                    {s.key}
                  </td>
                  <td>{s.channelId}</td>
                  <td className="nowrap" title={fmtDateTime(s.expiresAt)}>
                    {fmtRelative(s.expiresAt)}
                  </td>
                  <td className="actions-col">
                    <DeleteButton onClick={() => remove(s.key)} testid="session-delete" label="Forget session" />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}
