// The foot of each wizard step: its error, then Back (but on the first
// steps) and the button that goes on.
import type { ReactNode } from 'react';
import { ErrorBox, Icon } from '../../ui';

export function StepActions({ error, onBack, backDisabled, children }: { error: string; onBack?: () => void; backDisabled?: boolean; children: ReactNode }) {
  return (
    <>
      <ErrorBox error={error} testid="wizard-error" reveal />
      <div className="wizard-actions">
        {onBack ? (
          <button type="button" className="btn btn-ghost" onClick={onBack} data-testid="wizard-back" disabled={backDisabled}>
            <Icon name="chevronLeft" /> Back
          </button>
        ) : (
          <span />
        )}
        {children}
      </div>
    </>
  );
}
