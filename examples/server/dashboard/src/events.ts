// One shared EventSource on /api/events, kept while the app is open so the
// live charts keep their history across page changes.
import { useSyncExternalStore } from 'react';
import type { RequestRecord, StatsEvent } from './api';

const STATS_WINDOW_MS = 5 * 60 * 1000;
const MAX_REQUESTS = 50;

export interface LiveState {
  connected: boolean;
  stats: StatsEvent[];
  requests: RequestRecord[];
  seq: number;
}

let state: LiveState = { connected: false, stats: [], requests: [], seq: 0 };
let source: EventSource | null = null;
const listeners = new Set<() => void>();

function emit(next: Partial<LiveState>) {
  state = { ...state, ...next };
  listeners.forEach((l) => l());
}

export function startEvents(): void {
  if (source || typeof EventSource === 'undefined') return;
  const es = new EventSource('/api/events');
  source = es;
  es.onopen = () => emit({ connected: true });
  es.onerror = () => emit({ connected: false });
  es.addEventListener('stats', (ev) => {
    let s: StatsEvent;
    try {
      s = JSON.parse((ev as MessageEvent).data);
    } catch {
      return;
    }
    const now = Date.parse(s.time) || Date.now();
    const cutoff = now - STATS_WINDOW_MS;
    const stats = state.stats.filter((x) => (Date.parse(x.time) || 0) >= cutoff);
    stats.push(s);
    emit({ stats, connected: true });
  });
  es.addEventListener('request', (ev) => {
    let r: RequestRecord;
    try {
      r = JSON.parse((ev as MessageEvent).data);
    } catch {
      return;
    }
    const requests = [r, ...state.requests.filter((x) => x.requestId !== r.requestId)].slice(0, MAX_REQUESTS);
    emit({ requests, seq: state.seq + 1, connected: true });
  });
}

export function stopEvents(): void {
  source?.close();
  source = null;
  state = { connected: false, stats: [], requests: [], seq: 0 };
  listeners.forEach((l) => l());
}

export function seedRequests(records: RequestRecord[]): void {
  const seen = new Set(state.requests.map((r) => r.requestId));
  const merged = [...state.requests, ...records.filter((r) => !seen.has(r.requestId))];
  merged.sort((a, b) => (Date.parse(b.time) || 0) - (Date.parse(a.time) || 0));
  emit({ requests: merged.slice(0, MAX_REQUESTS) });
}

function subscribe(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

export function useLive(): LiveState {
  return useSyncExternalStore(subscribe, () => state);
}
