import type { ChannelWithStatus, TestResult } from '../../api';
import { fmtDateTime, fmtMs } from '../../format';
import { Badge, CONFIG_TIP, ConfigBadge, DeleteButton, Icon, Spinner, fromConfig } from '../../ui';
import { AccountBadge } from '../Accounts';
import { LimitsSummary } from './Limits';
import { ModelChips } from './ModelChips';
import { channelState, future } from './state';

// ChannelRow is one channel in the channels table: its status, its last
// test, and its actions.
export function ChannelRow({
  c,
  test: t,
  onTest,
  onReset,
  onEdit,
  onDelete,
  onSignIn,
  onSignOut,
}: {
  c: ChannelWithStatus;
  test: TestResult | 'running' | undefined;
  onTest: () => void;
  onReset: () => void;
  onEdit: () => void;
  onDelete: () => void;
  onSignIn: () => void;
  onSignOut: () => void;
}) {
  const st = channelState(c);
  const canReset = c.status && (c.status.breaker !== 'closed' || st.key === 'rate-limited' || c.status.consecutiveFailures > 0);
  const locked = fromConfig(c);
  return (
    <tr data-testid={`channel-row-${c.id}`}>
      <td>
        <div className="strong">
          {c.name || c.id} {locked && <ConfigBadge testid={`channel-config-${c.id}`} />}
        </div>
        <div className="sub mono">{c.id}</div>
        <div className="sub mono ellipsis channel-url" title={c.baseUrl}>
          {c.baseUrl}
        </div>
      </td>
      <td>
        <div className="auth-cell">
          <Badge tone={c.type === 'anthropic' ? 'violet' : 'blue'}>{c.type}</Badge>
          {c.oauth ? (
            <AccountBadge channel={c} />
          ) : (
            <span className="sub mono" title="API key">
              {c.apiKey ? `key ${c.apiKey}` : 'no key'}
            </span>
          )}
          {c.type === 'anthropic' && (
            <div className="auth-actions">
              <button
                type="button"
                className="link-btn"
                onClick={onSignIn}
                data-testid={`channel-signin-${c.id}`}
                title={c.oauth ? 'Sign in again, with this or another account' : 'Sign in with a Claude subscription or a Console account'}
              >
                {c.oauth ? 'Sign in' : 'Sign in account'}
              </button>
              {c.oauth && c.account?.state !== 'missing' && (
                <button type="button" className="link-btn link-btn-danger" onClick={onSignOut} data-testid={`channel-signout-${c.id}`}>
                  Sign out
                </button>
              )}
            </div>
          )}
        </div>
      </td>
      <td>
        <ModelChips models={c.models} />
      </td>
      <td>
        <div className="routing-cell">
          <span className="nowrap" title="Priority (lower is tried first) and weight (share for the weighted strategy)">
            priority <b>{c.priority ?? 0}</b> · weight <b>{c.weight || 1}</b>
          </span>
          <span data-testid={`channel-limits-${c.id}`}>
            {c.limits && c.limits.length > 0 ? <LimitsSummary limits={c.limits} /> : <span className="muted">no limits</span>}
          </span>
        </div>
      </td>
      <td>
        <div className="status-cell">
          <Badge tone={st.tone} title={st.title} testid={`channel-status-${c.id}`}>
            {st.label}
          </Badge>
          {future(c.status?.lowHeadroomUntil) && st.key !== 'disabled' && (
            <Badge
              tone="amber"
              testid={`channel-headroom-${c.id}`}
              title={`The provider says a rate limit is nearly used up; the channel is tried after the others until ${fmtDateTime(c.status!.lowHeadroomUntil)}.`}
            >
              low headroom
            </Badge>
          )}
          {c.status && c.status.consecutiveFailures > 0 && st.key !== 'disabled' && (
            <div className="sub">{c.status.consecutiveFailures} failures</div>
          )}
          <div className="test-result" data-testid={`channel-test-result-${c.id}`}>
            {t === 'running' ? (
              <>
                <Spinner small /> <span className="sub">testing…</span>
              </>
            ) : t ? (
              t.ok ? (
                <span className="ok-text" title="Last test">
                  <Icon name="check" /> test {t.latencyMs !== undefined ? fmtMs(t.latencyMs) : 'ok'}
                </span>
              ) : (
                <span className="err-text" title={t.error}>
                  <Icon name="alert" /> test {t.status ? `HTTP ${t.status}` : 'failed'}
                  {t.error && <span className="sub block ellipsis">{t.error}</span>}
                </span>
              )
            ) : null}
          </div>
        </div>
      </td>
      <td className="actions-col">
        <div className="row-actions">
          <button
            className="btn btn-sm"
            onClick={onTest}
            disabled={t === 'running'}
            data-testid={`channel-test-${c.id}`}
            title="Send a one-token request"
          >
            <Icon name="play" /> Test
          </button>
          <button
            className="btn btn-sm btn-icon"
            onClick={onReset}
            disabled={!canReset}
            title="Reset breaker"
            aria-label="Reset breaker"
            data-testid={`channel-reset-${c.id}`}
          >
            <Icon name="reset" />
          </button>
          <button
            className="btn btn-sm btn-icon"
            onClick={onEdit}
            title={locked ? CONFIG_TIP : 'Edit'}
            aria-label="Edit"
            disabled={locked}
            data-testid={`channel-edit-${c.id}`}
          >
            <Icon name="edit" />
          </button>
          <DeleteButton onClick={onDelete} testid={`channel-delete-${c.id}`} disabled={locked} title={locked ? CONFIG_TIP : undefined} />
        </div>
      </td>
    </tr>
  );
}
