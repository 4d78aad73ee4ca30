import { useRef, useState, type FormEvent } from 'react';
import { api, ApiError, errorMessage } from '../../api';
import { Card, ErrorBox, Field, Icon, Spinner, formValue, toast, useLoad } from '../../ui';

export function PasswordCard() {
  const form = useRef<HTMLFormElement>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const settings = useLoad(() => api.settings(), []);
  const fromEnv = !!settings.data?.passwordFromEnv;

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
      {fromEnv && (
        <div className="alert alert-info" data-testid="password-from-env">
          <Icon name="alert" />
          <span>
            The password comes from the <code>ROUTEX_ADMIN_PASSWORD</code> environment variable: change it there, then restart the server.
          </span>
        </div>
      )}
      <form ref={form} onSubmit={submit} noValidate>
        <fieldset className="plain-fieldset" disabled={fromEnv}>
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
          <ErrorBox error={error} testid="password-error" reveal />
          <button type="submit" className="btn btn-primary" disabled={busy} data-testid="password-save">
            {busy && <Spinner small />} Change password
          </button>
        </fieldset>
      </form>
    </Card>
  );
}
