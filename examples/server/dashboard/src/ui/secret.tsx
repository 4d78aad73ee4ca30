// Creating what has a secret the server shows only once: the form, then
// the secret, with a copy button and a warning that it will not be shown
// again.
import { useRef, useState, type FormEvent, type ReactNode } from 'react';
import { errorMessage } from '../api';
import { CopyBox } from './copy';
import { Modal } from './dialog';
import { Icon } from './icons';
import { Spinner } from './layout';

// CreateSecretDialog shows the form of children's fields; on submit it
// asks check what is wrong with them, if anything, then create for the new
// secret, and shows that (SecretShown). testid prefixes the test ids:
// -form, -error, -save, then SecretShown's.
export function CreateSecretDialog({
  testid,
  title,
  createLabel,
  check,
  create,
  onClose,
  children,
  createdTitle,
  warning,
  note,
}: {
  testid: string;
  title: string;
  createLabel: string;
  // check returns what to fix in the form, or '' when it may be sent.
  check: (form: HTMLFormElement | null) => string;
  // create sends the form and returns the secret the server answered with.
  create: (form: HTMLFormElement | null) => Promise<string>;
  onClose: () => void;
  children: ReactNode;
  createdTitle: string;
  warning: string;
  note?: ReactNode;
}) {
  const form = useRef<HTMLFormElement>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [secret, setSecret] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError('');
    const wrong = check(form.current);
    if (wrong) {
      setError(wrong);
      return;
    }
    setBusy(true);
    try {
      setSecret(await create(form.current));
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  if (secret !== null)
    return (
      <SecretShown title={createdTitle} secret={secret} warning={warning} testid={testid} onClose={onClose}>
        {note}
      </SecretShown>
    );

  const formId = testid + '-form';
  return (
    <Modal
      title={title}
      onClose={onClose}
      testid={formId}
      error={error}
      errorTestid={testid + '-error'}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form={formId} className="btn btn-primary" disabled={busy} data-testid={testid + '-save'}>
            {busy && <Spinner small />} {createLabel}
          </button>
        </>
      }
    >
      <form id={formId} ref={form} onSubmit={submit} noValidate>
        {children}
      </form>
    </Modal>
  );
}

// SecretShown shows a secret just created, the one time it can be copied,
// under warning, with children below. testid prefixes the test ids:
// -created (the dialog), -secret, -secret-copy and -done.
export function SecretShown({
  title,
  secret,
  warning,
  testid,
  onClose,
  children,
}: {
  title: string;
  secret: string;
  warning: string;
  testid: string;
  onClose: () => void;
  children?: ReactNode;
}) {
  return (
    <Modal
      title={title}
      onClose={onClose}
      testid={testid + '-created'}
      footer={
        <button className="btn btn-primary" onClick={onClose} data-testid={testid + '-done'}>
          Done
        </button>
      }
    >
      <div className="alert alert-warn">
        <Icon name="alert" />
        <span>{warning}</span>
      </div>
      <CopyBox value={secret} testid={testid + '-secret'} />
      {children}
    </Modal>
  );
}
