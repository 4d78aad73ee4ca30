import { useRef, useState, type FormEvent } from 'react';
import { api, ApiError, errorMessage } from '../api';
import { ErrorBox, Field, Spinner, formValue } from '../ui';
import { BrandMark } from './setup/BrandMark';

export function Login({ onDone }: { onDone: (username: string, csrfToken: string) => void }) {
  const form = useRef<HTMLFormElement>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const username = formValue(form.current, 'username').trim();
    const password = formValue(form.current, 'password');
    if (!username || !password) {
      setError('Enter your username and password.');
      return;
    }
    setBusy(true);
    setError('');
    try {
      const res = await api.login(username, password);
      onDone(res?.username || username, res?.csrfToken ?? '');
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? 'Wrong username or password.' : errorMessage(err));
      setBusy(false);
    }
  };

  return (
    <div className="auth-screen">
      <form className="auth-card login" ref={form} onSubmit={submit} noValidate data-testid="login-form">
        <div className="auth-brand">
          <BrandMark />
          <div>
            <div className="auth-title">Sign in to routex</div>
            <div className="muted">Manage channels, rules and usage.</div>
          </div>
        </div>
        <Field label="Username" htmlFor="login-username">
          <input id="login-username" name="username" data-testid="login-username" autoComplete="username" autoFocus />
        </Field>
        <Field label="Password" htmlFor="login-password">
          <input id="login-password" name="password" type="password" data-testid="login-password" autoComplete="current-password" />
        </Field>
        <ErrorBox error={error} testid="login-error" reveal />
        <button type="submit" className="btn btn-primary btn-block" disabled={busy} data-testid="login-submit">
          {busy && <Spinner small />} Sign in
        </button>
      </form>
    </div>
  );
}
