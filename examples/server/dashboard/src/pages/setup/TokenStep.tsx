// Step 1 of the wizard: the setup token from the server's log.
import type { FormEvent, Ref } from 'react';
import { Field, Icon, Spinner } from '../../ui';
import { StepActions } from './StepActions';

export function TokenStep({
  formRef,
  onSubmit,
  token,
  busy,
  error,
}: {
  formRef: Ref<HTMLFormElement>;
  onSubmit: (e: FormEvent) => void;
  token: string;
  busy: boolean;
  error: string;
}) {
  return (
    <form ref={formRef} onSubmit={onSubmit} noValidate>
      <h2 className="wizard-h">Paste the setup token</h2>
      <p className="muted wizard-p">So that only whoever runs this server can set it up, routex printed a one-time setup token in its log when it started.</p>
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
        <input id="wizard-setup-token" name="setupToken" data-testid="wizard-setup-token" defaultValue={token} autoComplete="off" spellCheck={false} autoFocus />
      </Field>
      <StepActions error={error}>
        <button type="submit" className="btn btn-primary" disabled={busy} data-testid="wizard-next">
          {busy ? <Spinner small /> : null} Next <Icon name="chevronRight" />
        </button>
      </StepActions>
    </form>
  );
}
