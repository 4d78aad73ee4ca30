// Step 3 of the wizard: the balancing strategy.
import type { FormEvent, Ref } from 'react';
import { Icon } from '../../ui';
import { StrategyChoice } from './choices';
import { StepActions } from './StepActions';

export function StrategyStep({
  formRef,
  onSubmit,
  strategy,
  onStrategy,
  onBack,
  error,
}: {
  formRef: Ref<HTMLFormElement>;
  onSubmit: (e: FormEvent) => void;
  strategy: string;
  onStrategy: (s: string) => void;
  onBack: () => void;
  error: string;
}) {
  return (
    <form ref={formRef} onSubmit={onSubmit}>
      <h2 className="wizard-h">How should requests be spread?</h2>
      <p className="muted wizard-p">You can change this any time in Settings. With one channel, all strategies behave the same.</p>
      <StrategyChoice value={strategy} onChange={onStrategy} />
      <StepActions error={error} onBack={onBack}>
        <button type="submit" className="btn btn-primary" data-testid="wizard-next">
          Next <Icon name="chevronRight" />
        </button>
      </StepActions>
    </form>
  );
}
