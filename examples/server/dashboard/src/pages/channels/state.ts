// What a channel's status badge says, from its status and account.
import type { ChannelWithStatus } from '../../api';
import { fmtDateTime, fmtRelative, fmtUntil } from '../../format';
import type { Tone } from '../../ui';
import { accountView } from '../Accounts';

export function future(t: string | undefined): boolean {
  const ms = t ? Date.parse(t) : NaN;
  return Number.isFinite(ms) && ms > Date.now();
}

export function channelState(c: ChannelWithStatus): { label: string; tone: Tone; title?: string; key: string } {
  const s = c.status;
  if (c.disabled || (s && !s.enabled)) return { label: 'disabled', tone: 'gray', key: 'disabled' };
  if (s?.breaker === 'open')
    return { label: 'breaker open', tone: 'red', key: 'breaker-open', title: `${s.consecutiveFailures} consecutive failures` };
  if (future(s?.rateLimitedUntil))
    return { label: 'rate limited', tone: 'amber', key: 'rate-limited', title: `until ${fmtDateTime(s!.rateLimitedUntil)} (${fmtRelative(s!.rateLimitedUntil)})` };
  if (future(s?.overQuotaUntil))
    return {
      label: `over quota until ${fmtUntil(s!.overQuotaUntil)}`,
      tone: 'amber',
      key: 'over-quota',
      title: `A limit of this channel is used up; it takes requests again when the window rolls, ${fmtRelative(s!.overQuotaUntil)}.`,
    };
  if (s?.breaker === 'half-open') return { label: 'half-open', tone: 'amber', key: 'half-open', title: 'Probing after failures' };
  if (s && !s.available)
    return { label: 'unavailable', tone: 'red', key: 'unavailable', title: c.oauth ? `Account: ${accountView(c.account).title}` : undefined };
  return { label: 'available', tone: 'green', key: 'available', title: s?.consecutiveFailures ? `${s.consecutiveFailures} recent failures` : undefined };
}
