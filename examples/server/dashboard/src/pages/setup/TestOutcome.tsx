import type { TestResult } from '../../api';
import { fmtMs } from '../../format';
import { Icon } from '../../ui';

// TestOutcome says how a connection test went, and the model it tested with.
export function TestOutcome({ result, testid }: { result: TestResult; testid?: string }) {
  const latency = result.latencyMs !== undefined && result.latencyMs !== null ? fmtMs(result.latencyMs) : '';
  if (result.ok)
    return (
      <div className="test-outcome ok" data-testid={testid} data-ok="true">
        <Icon name="check" />
        <span>
          Connected{latency && <> · {latency}</>}
          {result.model && (
            <>
              {' '}
              · tested with <code data-testid={testid ? testid + '-model' : undefined}>{result.model}</code>
            </>
          )}
        </span>
      </div>
    );
  return (
    <div className="test-outcome fail" data-testid={testid} data-ok="false">
      <Icon name="alert" />
      <span>
        Failed{result.status ? ` (HTTP ${result.status})` : ''}
        {latency && <> · {latency}</>}
        {result.model && <> · tested with <code>{result.model}</code></>}
        {result.error && <>: {result.error}</>}
      </span>
    </div>
  );
}
