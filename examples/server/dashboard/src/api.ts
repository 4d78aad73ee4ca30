// Client for the routex management API (see examples/server/API.md).

export type ChannelType = 'anthropic' | 'openai' | 'openai-responses' | 'gemini';

export type TransformerSpec = string | [string] | [string, unknown] | { name: string; options?: unknown };

export interface Channel {
  id: string;
  name?: string;
  type: ChannelType;
  baseUrl: string;
  apiKey?: string;
  models?: string[];
  modelMap?: Record<string, string>;
  priority?: number;
  weight?: number;
  disabled?: boolean;
  headers?: Record<string, string>;
  timeoutMs?: number;
  streamIdleTimeoutMs?: number;
  transformers?: TransformerSpec[];
  oauth?: boolean;
  limits?: Limit[] | null;
  // Keep the models list in sync with the provider's listing.
  syncModels?: boolean;
  // "config" when the server's config file defines the channel: read-only here.
  source?: string;
}

// A quota per fixed window of UTC time; perMs is the window in milliseconds.
export interface Limit {
  perMs: number;
  requests?: number;
  tokens?: number;
}

export type AccountState = 'ok' | 'refreshing' | 'backoff' | 'failed' | 'missing' | 'unknown';

export interface AccountStatus {
  channelId: string;
  provider?: string;
  state: AccountState | string;
  expiry?: string;
  failures?: number;
  lastError?: string;
  nextRetry?: string;
  refreshedAt?: string;
}

export type SignInMode = 'subscription' | 'console';

export interface ChannelStatus {
  id: string;
  name: string;
  type: ChannelType;
  enabled: boolean;
  breaker: 'closed' | 'open' | 'half-open' | string;
  consecutiveFailures: number;
  rateLimitedUntil?: string;
  overQuotaUntil?: string;
  lowHeadroomUntil?: string;
  available: boolean;
}

export interface ChannelWithStatus extends Channel {
  status?: ChannelStatus;
  account?: AccountStatus;
}

export interface RecordStats {
  written: number;
  dropped: number;
  failed: number;
}

export interface ServerStatus {
  channels: ChannelStatus[] | null;
  records: RecordStats;
}

export interface TestResult {
  channelId: string;
  ok: boolean;
  status?: number;
  latencyMs?: number;
  model?: string;
  error?: string;
}

export interface Condition {
  tokenThreshold?: number;
  keywords?: string[];
  userPattern?: string;
  modelPattern?: string;
  hasTools?: boolean;
  hasImages?: boolean;
  thinking?: boolean;
  webSearch?: boolean;
  header?: { name: string; pattern: string };
  custom?: string;
}

export interface Rule {
  id: string;
  name?: string;
  priority?: number;
  disabled?: boolean;
  condition: Condition;
  target: { channel: string; model?: string };
  // Why the rule, though saved, takes no request (its target channel does not exist, …).
  notice?: string;
  // "config" when the server's config file defines the rule: read-only here.
  source?: string;
}

// A rule that matched a dry run's request but could not take it, and why.
export interface PassedRule {
  rule: string;
  reason: string;
}

export interface DryRun {
  format?: string;
  model?: string;
  rule?: string;
  targetModel?: string;
  channels?: string[] | null;
  passedRules?: PassedRule[] | null;
  error?: string;
}

export interface Aggregate {
  bucket?: string;
  group?: string;
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  cost?: number | null;
  unpriced?: number;
  latencyP50Ms: number;
  latencyP95Ms: number;
  latencyP99Ms: number;
  ttfbP50Ms: number;
}

export interface Overview {
  hour: Aggregate;
  day: Aggregate;
  rps: number;
  channels: { total: number; available: number };
}

export interface RequestRecord {
  time: string;
  requestId: string;
  channelId?: string;
  channelName?: string;
  keyId?: string;
  model: string;
  upstreamModel?: string;
  inboundFormat: string;
  upstreamFormat?: string;
  stream: boolean;
  status: number;
  latencyMs: number;
  ttfbMs: number;
  attempts: number;
  error?: string;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  cost?: number | null;
  rule?: string;
  session?: string;
}

export interface StatsEvent {
  time: string;
  rps: number;
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cost?: number | null;
  latencyP50Ms: number;
  latencyP95Ms: number;
}

export interface ProxyKey {
  id: string;
  name: string;
  hint: string;
  models?: string[] | null;
  disabled?: boolean;
  createdAt?: string;
  key?: string;
  // "config" when the server's config file defines the key: read-only here.
  source?: string;
}

export interface SessionInfo {
  setupNeeded: boolean;
  authenticated: boolean;
  username?: string;
  csrfToken?: string;
}

export interface Settings {
  username?: string;
  addr?: string;
  dataDir?: string;
  version?: string;
  // True when the password comes from ROUTEX_ADMIN_PASSWORD: it cannot be changed here.
  passwordFromEnv?: boolean;
}

// An admin token, as listed: the secret itself is shown once, when created.
export interface AdminToken {
  id: string;
  name: string;
  prefix: string;
  createdAt?: string;
  lastUsedAt?: string;
  token?: string;
}

export interface StickySession {
  key: string;
  channelId: string;
  expiresAt: string;
}

export interface StrategyInfo {
  strategy: string;
  available: string[];
}

export class ApiError extends Error {
  status: number;
  code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

let csrfToken = '';
let unauthorizedHandler: (() => void) | null = null;

export function setCsrfToken(token: string | undefined): void {
  csrfToken = token ?? '';
}

export function onUnauthorized(handler: (() => void) | null): void {
  unauthorizedHandler = handler;
}

interface RequestOptions {
  body?: unknown;
  // When true, a 401 is returned to the caller instead of ending the session.
  allow401?: boolean;
  headers?: Record<string, string>;
}

async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers };
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
  } catch {
    throw new ApiError(0, 'network', 'Cannot reach the routex server. Is it running?');
  }
  const text = await res.text();
  let data: unknown = undefined;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
  }
  if (!res.ok) {
    const err = (data as { error?: { code?: string; message?: string } } | undefined)?.error;
    const message = err?.message || (text && !data ? text.trim().slice(0, 300) : '') || `${res.status} ${res.statusText}`;
    const apiErr = new ApiError(res.status, err?.code || 'http_' + res.status, message);
    if (res.status === 401 && !opts.allow401 && unauthorizedHandler) unauthorizedHandler();
    throw apiErr;
  }
  return data as T;
}

function qs(params: Record<string, string | number | boolean | undefined | null>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '' || v === false) continue;
    p.set(k, String(v));
  }
  const s = p.toString();
  return s ? '?' + s : '';
}

const enc = encodeURIComponent;

function setupAuth(token: string): RequestOptions {
  return { headers: { 'X-Setup-Token': token }, allow401: true };
}

export const api = {
  session: () => request<SessionInfo>('GET', '/api/session'),
  login: (username: string, password: string) =>
    request<{ username: string; csrfToken: string }>('POST', '/api/login', { body: { username, password }, allow401: true }),
  logout: () => request<void>('POST', '/api/logout', { allow401: true }),

  // The setup calls carry the one-time setup token the server printed in its log.
  setupCheckToken: (token: string) => request<void>('POST', '/api/setup/token', { ...setupAuth(token) }),
  setupTestChannel: (ch: Channel, token: string) =>
    request<TestResult>('POST', '/api/setup/test-channel', { body: ch, ...setupAuth(token) }),
  setup: (body: { channel: Channel; strategy: string; admin: { username: string; password: string } }, token: string) =>
    request<{ username: string; csrfToken: string }>('POST', '/api/setup', { body, ...setupAuth(token) }),

  channels: () => request<ChannelWithStatus[] | null>('GET', '/api/channels').then((r) => r ?? []),
  createChannel: (ch: Channel) => request<ChannelWithStatus>('POST', '/api/channels', { body: ch }),
  updateChannel: (id: string, ch: Channel) => request<ChannelWithStatus>('PUT', `/api/channels/${enc(id)}`, { body: ch }),
  deleteChannel: (id: string) => request<void>('DELETE', `/api/channels/${enc(id)}`),
  // The models the provider lists: for an unsaved channel, or a saved one with its stored key.
  fetchModels: (ch: Channel) => request<{ models: string[] | null }>('POST', '/api/channels/models', { body: ch }),
  channelModels: (id: string) => request<{ models: string[] | null }>('POST', `/api/channels/${enc(id)}/models`),
  testChannel: (id: string) => request<TestResult>('POST', `/api/channels/${enc(id)}/test`),
  testAllChannels: () => request<TestResult[] | null>('POST', '/api/channels/test').then((r) => r ?? []),
  resetChannel: (id: string) => request<ChannelStatus>('POST', `/api/channels/${enc(id)}/reset`),
  exportChannels: () => request<{ channels: Channel[] }>('GET', '/api/channels/export'),
  importChannels: (body: { channels: Channel[] }) => request<{ imported: number }>('POST', '/api/channels/import', { body }),
  startSignIn: (id: string, mode: SignInMode) =>
    request<{ url: string; mode: SignInMode }>('POST', `/api/channels/${enc(id)}/signin`, { body: { mode } }),
  finishSignIn: (id: string, code: string) =>
    request<ChannelWithStatus>('POST', `/api/channels/${enc(id)}/signin/finish`, { body: { code } }),
  signOut: (id: string) => request<void>('DELETE', `/api/channels/${enc(id)}/signin`),
  accounts: () => request<AccountStatus[] | null>('GET', '/api/accounts').then((r) => r ?? []),
  status: () => request<ServerStatus>('GET', '/api/status'),

  rules: () => request<Rule[] | null>('GET', '/api/rules').then((r) => r ?? []),
  createRule: (r: Rule) => request<Rule>('POST', '/api/rules', { body: r }),
  updateRule: (id: string, r: Rule) => request<Rule>('PUT', `/api/rules/${enc(id)}`, { body: r }),
  deleteRule: (id: string) => request<void>('DELETE', `/api/rules/${enc(id)}`),
  setRuleEnabled: (id: string, enabled: boolean) =>
    request<Rule>('POST', `/api/rules/${enc(id)}/${enabled ? 'enable' : 'disable'}`),
  testRules: (body: { path: string; headers: Record<string, string>; body: unknown }) =>
    request<DryRun>('POST', '/api/rules/test', { body }),

  transformers: () => request<string[] | null>('GET', '/api/transformers').then((r) => r ?? []),
  testTransformer: (body: { name: string; direction: string; body: unknown; options?: unknown }) =>
    request<{ body: unknown }>('POST', '/api/transformers/test', { body }),

  strategy: () => request<StrategyInfo>('GET', '/api/strategy'),
  setStrategy: (strategy: string) => request<StrategyInfo>('PUT', '/api/strategy', { body: { strategy } }),

  sessions: () => request<StickySession[] | null>('GET', '/api/sessions').then((r) => r ?? []),
  // By query: a key that is a dot segment would be resolved away in a path.
  deleteSession: (key: string) => request<void>('DELETE', '/api/sessions?key=' + enc(key)),

  analytics: (q: { from?: string; to?: string; bucket?: string; group?: string; channel?: string; model?: string; key?: string }) =>
    request<Aggregate[] | null>('GET', '/api/analytics' + qs(q)).then((r) => r ?? []),
  overview: () => request<Overview>('GET', '/api/overview'),
  requests: (q: {
    limit?: number;
    offset?: number;
    channel?: string;
    model?: string;
    key?: string;
    status?: string;
    failed?: boolean;
    from?: string;
    to?: string;
  }) =>
    request<{ records: RequestRecord[] | null; limit: number; offset: number }>('GET', '/api/requests' + qs(q)).then((r) => ({
      ...r,
      records: r?.records ?? [],
    })),

  keys: () => request<ProxyKey[] | null>('GET', '/api/keys').then((r) => r ?? []),
  createKey: (name: string, models: string[]) => request<ProxyKey>('POST', '/api/keys', { body: { name, models } }),
  updateKey: (id: string, k: { name: string; models: string[]; disabled: boolean }) =>
    request<ProxyKey>('PUT', `/api/keys/${enc(id)}`, { body: k }),
  deleteKey: (id: string) => request<void>('DELETE', `/api/keys/${enc(id)}`),

  settings: () => request<Settings>('GET', '/api/settings'),
  adminTokens: () => request<AdminToken[] | null>('GET', '/api/settings/tokens').then((r) => r ?? []),
  createAdminToken: (name: string) => request<AdminToken>('POST', '/api/settings/tokens', { body: { name } }),
  revokeAdminToken: (id: string) => request<void>('DELETE', `/api/settings/tokens/${enc(id)}`),
  changePassword: (current: string, next: string) =>
    request<void>('PUT', '/api/settings/password', { body: { current, new: next }, allow401: true }),
};

export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}
