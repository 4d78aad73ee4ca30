// Toasts: short messages that say how an action went, and go away.
import { useSyncExternalStore } from 'react';
import { Icon } from './icons';

interface ToastItem {
  id: number;
  text: string;
  tone: 'ok' | 'error' | 'info';
}

let toasts: ToastItem[] = [];
let toastSeq = 0;
const listeners = new Set<() => void>();
function emit() {
  listeners.forEach((l) => l());
}
function subscribe(l: () => void) {
  listeners.add(l);
  return () => listeners.delete(l);
}

export function toast(text: string, tone: 'ok' | 'error' | 'info' = 'ok'): void {
  const id = ++toastSeq;
  toasts = [...toasts, { id, text, tone }];
  emit();
  window.setTimeout(
    () => {
      toasts = toasts.filter((t) => t.id !== id);
      emit();
    },
    tone === 'ok' ? 3500 : 7000,
  );
}

export function Toasts() {
  const list = useSyncExternalStore(subscribe, () => toasts);
  return (
    <div className="toasts" aria-live="polite">
      {list.map((t) => (
        <div key={t.id} className={'toast toast-' + t.tone} data-testid="toast">
          <Icon name={t.tone === 'ok' ? 'check' : 'alert'} />
          <span>{t.text}</span>
        </div>
      ))}
    </div>
  );
}
