import { Component, useCallback, useEffect, useRef, useState, useSyncExternalStore, type ReactNode } from 'react';
import { errorMessage } from './api';

/* ---------- icons ---------- */

const ICONS: Record<string, string> = {
  overview: 'M3 13h8V3H3v10zm0 8h8v-6H3v6zm10 0h8V11h-8v10zm0-18v6h8V3h-8z',
  channels: 'M4 6h16M4 12h16M4 18h16M8 4v4M16 10v4M11 16v4',
  rules: 'M6 3v12M6 15a3 3 0 1 0 0 6 3 3 0 0 0 0-6zM18 9a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM18 9c0 6-12 3-12 6',
  transformers: 'M4 7h11M4 7l3-3M4 7l3 3M20 17H9M20 17l-3-3M20 17l-3 3',
  analytics: 'M4 20V10M10 20V4M16 20v-7M22 20H2',
  requests: 'M8 6h13M8 12h13M8 18h13M3 6h.01M3 12h.01M3 18h.01',
  keys: 'M15 7a4 4 0 1 1-3.9 5H9v2H7v2H4v-3l5.1-5.1A4 4 0 0 1 15 7zM16 8h.01',
  settings:
    'M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM19.4 15a1.7 1.7 0 0 0 .3 1.8l.1.1a2 2 0 1 1-2.8 2.8l-.1-.1a1.7 1.7 0 0 0-1.8-.3 1.7 1.7 0 0 0-1 1.5V21a2 2 0 1 1-4 0v-.1a1.7 1.7 0 0 0-1.1-1.5 1.7 1.7 0 0 0-1.8.3l-.1.1a2 2 0 1 1-2.8-2.8l.1-.1a1.7 1.7 0 0 0 .3-1.8 1.7 1.7 0 0 0-1.5-1H3a2 2 0 1 1 0-4h.1a1.7 1.7 0 0 0 1.5-1.1 1.7 1.7 0 0 0-.3-1.8l-.1-.1a2 2 0 1 1 2.8-2.8l.1.1a1.7 1.7 0 0 0 1.8.3H9a1.7 1.7 0 0 0 1-1.5V3a2 2 0 1 1 4 0v.1a1.7 1.7 0 0 0 1 1.5 1.7 1.7 0 0 0 1.8-.3l.1-.1a2 2 0 1 1 2.8 2.8l-.1.1a1.7 1.7 0 0 0-.3 1.8V9a1.7 1.7 0 0 0 1.5 1H21a2 2 0 1 1 0 4h-.1a1.7 1.7 0 0 0-1.5 1z',
  plus: 'M12 5v14M5 12h14',
  edit: 'M12 20h9M16.5 3.5a2.1 2.1 0 0 1 3 3L7 19l-4 1 1-4 12.5-12.5z',
  trash: 'M3 6h18M8 6V4h8v2M19 6l-1 14H6L5 6M10 11v6M14 11v6',
  play: 'M6 4l14 8-14 8V4z',
  refresh: 'M21 12a9 9 0 1 1-2.6-6.4M21 4v5h-5',
  download: 'M12 3v12M7 10l5 5 5-5M4 21h16',
  upload: 'M12 21V9M7 14l5-5 5 5M4 3h16',
  copy: 'M9 9h11v11H9zM5 15H4V4h11v1',
  logout: 'M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4M16 17l5-5-5-5M21 12H9',
  x: 'M18 6L6 18M6 6l12 12',
  check: 'M20 6L9 17l-5-5',
  alert: 'M12 9v4M12 17h.01M10.3 3.9L1.8 18a2 2 0 0 0 1.7 3h17a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0z',
  chevronLeft: 'M15 18l-6-6 6-6',
  chevronRight: 'M9 18l6-6-6-6',
  reset: 'M3 12a9 9 0 1 0 3-6.7L3 8M3 3v5h5',
  search: 'M11 19a8 8 0 1 0 0-16 8 8 0 0 0 0 16zM21 21l-4.3-4.3',
  zap: 'M13 2L3 14h9l-1 8 10-12h-9l1-8z',
  login: 'M15 3h4a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2h-4M10 17l5-5-5-5M15 12H3',
  external: 'M18 13v6a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V8a2 2 0 0 1 2-2h6M15 3h6v6M10 14L21 3',
  user: 'M20 21v-2a4 4 0 0 0-4-4H8a4 4 0 0 0-4 4v2M12 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8z',
};

export function Icon({ name, size = 16 }: { name: string; size?: number }) {
  return (
    <svg
      className="icon"
      width={size}
      height={size}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth={1.8}
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
    >
      <path d={ICONS[name] ?? ''} />
    </svg>
  );
}

/* ---------- data loading ---------- */

export interface Loaded<T> {
  data: T | undefined;
  error: string;
  loading: boolean;
  reload: () => void;
  setData: (d: T) => void;
}

export function useLoad<T>(fn: () => Promise<T>, deps: unknown[], intervalMs = 0): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState('');
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  useEffect(() => {
    let alive = true;
    setLoading(true);
    fnRef
      .current()
      .then((d) => {
        if (!alive) return;
        setData(d);
        setError('');
      })
      .catch((e) => alive && setError(errorMessage(e)))
      .finally(() => alive && setLoading(false));
    return () => {
      alive = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  useEffect(() => {
    if (!intervalMs) return;
    const t = window.setInterval(() => {
      if (document.visibilityState === 'hidden') return;
      fnRef
        .current()
        .then((d) => {
          setData(d);
          setError('');
        })
        .catch((e) => setError(errorMessage(e)));
    }, intervalMs);
    return () => window.clearInterval(t);
  }, [intervalMs]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload, setData };
}

/* ---------- small building blocks ---------- */

export function PageHeader({ title, subtitle, children }: { title: string; subtitle?: ReactNode; children?: ReactNode }) {
  return (
    <div className="page-header">
      <div>
        <h1>{title}</h1>
        {subtitle && <p className="muted">{subtitle}</p>}
      </div>
      {children && <div className="page-actions">{children}</div>}
    </div>
  );
}

export function Card({
  title,
  actions,
  children,
  className,
  testid,
}: {
  title?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
  testid?: string;
}) {
  return (
    <section className={'card ' + (className ?? '')} data-testid={testid}>
      {(title || actions) && (
        <header className="card-header">
          {title && <h2>{title}</h2>}
          {actions && <div className="card-actions">{actions}</div>}
        </header>
      )}
      {children}
    </section>
  );
}

export function Spinner({ small }: { small?: boolean }) {
  return <span className={'spinner' + (small ? ' spinner-sm' : '')} role="status" aria-label="Loading" />;
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="loading" data-testid="loading">
      <Spinner /> <span>{label}</span>
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty" data-testid="empty">
      <div className="empty-title">{title}</div>
      {children && <div className="empty-body">{children}</div>}
    </div>
  );
}

export function ErrorBox({ error, testid }: { error: string | undefined | null; testid?: string }) {
  if (!error) return null;
  return (
    <div className="alert alert-error" role="alert" data-testid={testid ?? 'error'}>
      <Icon name="alert" />
      <span>{error}</span>
    </div>
  );
}

export type Tone = 'green' | 'red' | 'amber' | 'gray' | 'blue' | 'violet';

export function Badge({ tone, children, title, testid }: { tone: Tone; children: ReactNode; title?: string; testid?: string }) {
  return (
    <span className={'badge badge-' + tone} title={title} data-testid={testid}>
      {children}
    </span>
  );
}

export function StatCard({
  label,
  value,
  sub,
  testid,
  tone,
  title,
}: {
  label: string;
  value: ReactNode;
  sub?: ReactNode;
  testid?: string;
  tone?: Tone;
  title?: string;
}) {
  return (
    <div className={'stat' + (tone ? ' stat-' + tone : '')}>
      <div className="stat-label">{label}</div>
      <div className={'stat-value' + (title ? ' has-tip' : '')} data-testid={testid} title={title}>
        {value}
      </div>
      {sub !== undefined && <div className="stat-sub">{sub}</div>}
    </div>
  );
}

export function Switch({
  checked,
  onChange,
  disabled,
  testid,
  label,
}: {
  checked: boolean;
  onChange: (v: boolean) => void;
  disabled?: boolean;
  testid?: string;
  label?: string;
}) {
  return (
    <button
      type="button"
      role="switch"
      aria-checked={checked}
      aria-label={label}
      title={label}
      className={'switch' + (checked ? ' on' : '')}
      disabled={disabled}
      data-testid={testid}
      onClick={() => onChange(!checked)}
    >
      <span className="switch-knob" />
    </button>
  );
}

export function Field({
  label,
  hint,
  children,
  htmlFor,
  className,
}: {
  label: ReactNode;
  hint?: ReactNode;
  children: ReactNode;
  htmlFor?: string;
  className?: string;
}) {
  return (
    <div className={'field ' + (className ?? '')}>
      <label htmlFor={htmlFor}>{label}</label>
      {children}
      {hint && <div className="hint">{hint}</div>}
    </div>
  );
}

/* ---------- key/value rows ---------- */

export interface KVRow {
  k: string;
  v: string;
}

export function toRows(m: Record<string, string> | undefined | null): KVRow[] {
  const rows = Object.entries(m ?? {}).map(([k, v]) => ({ k, v }));
  return rows;
}

export function fromRows(rows: KVRow[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of rows) if (r.k.trim()) out[r.k.trim()] = r.v;
  return out;
}

export function KVEditor({
  rows,
  onChange,
  keyPlaceholder = 'name',
  valuePlaceholder = 'value',
  testid,
  addLabel = 'Add row',
}: {
  rows: KVRow[];
  onChange: (rows: KVRow[]) => void;
  keyPlaceholder?: string;
  valuePlaceholder?: string;
  testid: string;
  addLabel?: string;
}) {
  return (
    <div className="kv" data-testid={testid}>
      {rows.map((r, i) => (
        <div className="kv-row" key={i}>
          <input
            value={r.k}
            placeholder={keyPlaceholder}
            data-testid={`${testid}-key-${i}`}
            onChange={(e) => onChange(rows.map((x, j) => (j === i ? { ...x, k: e.target.value } : x)))}
          />
          <input
            value={r.v}
            placeholder={valuePlaceholder}
            data-testid={`${testid}-value-${i}`}
            onChange={(e) => onChange(rows.map((x, j) => (j === i ? { ...x, v: e.target.value } : x)))}
          />
          <button
            type="button"
            className="btn btn-icon btn-ghost"
            title="Remove"
            aria-label="Remove row"
            onClick={() => onChange(rows.filter((_, j) => j !== i))}
          >
            <Icon name="x" />
          </button>
        </div>
      ))}
      <button type="button" className="btn btn-sm btn-ghost" data-testid={`${testid}-add`} onClick={() => onChange([...rows, { k: '', v: '' }])}>
        <Icon name="plus" /> {addLabel}
      </button>
    </div>
  );
}

/* ---------- modal ---------- */

export function Modal({
  title,
  onClose,
  children,
  footer,
  wide,
  testid,
}: {
  title: ReactNode;
  onClose: () => void;
  children: ReactNode;
  footer?: ReactNode;
  wide?: boolean;
  testid?: string;
}) {
  useEffect(() => {
    const on = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', on);
    return () => window.removeEventListener('keydown', on);
  }, [onClose]);
  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className={'modal' + (wide ? ' modal-wide' : '')} role="dialog" aria-modal="true" data-testid={testid}>
        <header className="modal-header">
          <h2>{title}</h2>
          <button type="button" className="btn btn-icon btn-ghost" onClick={onClose} aria-label="Close" data-testid="modal-close">
            <Icon name="x" />
          </button>
        </header>
        <div className="modal-body">{children}</div>
        {footer && <footer className="modal-footer">{footer}</footer>}
      </div>
    </div>
  );
}

/* ---------- confirm dialog & toasts (global) ---------- */

interface ConfirmRequest {
  title: string;
  message: ReactNode;
  confirmLabel: string;
  danger: boolean;
  resolve: (ok: boolean) => void;
}

interface ToastItem {
  id: number;
  text: string;
  tone: 'ok' | 'error' | 'info';
}

let confirmReq: ConfirmRequest | null = null;
let toasts: ToastItem[] = [];
let toastSeq = 0;
const uiListeners = new Set<() => void>();
let uiVersion = 0;
function uiEmit() {
  uiVersion++;
  uiListeners.forEach((l) => l());
}
function uiSubscribe(l: () => void) {
  uiListeners.add(l);
  return () => uiListeners.delete(l);
}

export function confirmDialog(opts: { title: string; message: ReactNode; confirmLabel?: string; danger?: boolean }): Promise<boolean> {
  return new Promise((resolve) => {
    confirmReq = {
      title: opts.title,
      message: opts.message,
      confirmLabel: opts.confirmLabel ?? 'Confirm',
      danger: opts.danger ?? true,
      resolve,
    };
    uiEmit();
  });
}

// confirmAction asks first, then runs the action and says how it went; it
// reports whether the action was confirmed and succeeded.
export async function confirmAction(
  opts: { title: string; message: ReactNode; confirmLabel?: string; run: () => Promise<unknown>; done: string },
): Promise<boolean> {
  if (!(await confirmDialog(opts))) return false;
  try {
    await opts.run();
    toast(opts.done);
    return true;
  } catch (e) {
    toast(errorMessage(e), 'error');
    return false;
  }
}

export function toast(text: string, tone: 'ok' | 'error' | 'info' = 'ok'): void {
  const id = ++toastSeq;
  toasts = [...toasts, { id, text, tone }];
  uiEmit();
  window.setTimeout(
    () => {
      toasts = toasts.filter((t) => t.id !== id);
      uiEmit();
    },
    tone === 'error' ? 7000 : 3500,
  );
}

export function Overlays() {
  useSyncExternalStore(uiSubscribe, () => uiVersion);
  const req = confirmReq;
  const close = (ok: boolean) => {
    confirmReq = null;
    uiEmit();
    req?.resolve(ok);
  };
  return (
    <>
      {req && (
        <Modal
          title={req.title}
          onClose={() => close(false)}
          testid="confirm-dialog"
          footer={
            <>
              <button type="button" className="btn" data-testid="confirm-cancel" onClick={() => close(false)}>
                Cancel
              </button>
              <button
                type="button"
                className={'btn ' + (req.danger ? 'btn-danger' : 'btn-primary')}
                data-testid="confirm-ok"
                autoFocus
                onClick={() => close(true)}
              >
                {req.confirmLabel}
              </button>
            </>
          }
        >
          <div className="confirm-message">{req.message}</div>
        </Modal>
      )}
      <div className="toasts" aria-live="polite">
        {toasts.map((t) => (
          <div key={t.id} className={'toast toast-' + t.tone} data-testid="toast">
            <Icon name={t.tone === 'error' ? 'alert' : 'check'} />
            <span>{t.text}</span>
          </div>
        ))}
      </div>
    </>
  );
}

/* ---------- copy ---------- */

export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    /* fall through */
  }
  const ta = document.createElement('textarea');
  ta.value = text;
  ta.setAttribute('readonly', '');
  ta.style.position = 'fixed';
  ta.style.opacity = '0';
  document.body.appendChild(ta);
  ta.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  document.body.removeChild(ta);
  return ok;
}

export function CopyButton({ value, testid }: { value: string; testid?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      className="btn btn-sm"
      data-testid={testid}
      onClick={async () => {
        const ok = await copyText(value);
        setCopied(ok);
        if (!ok) toast('Copy failed: select the text and copy it by hand', 'error');
        window.setTimeout(() => setCopied(false), 2000);
      }}
    >
      <Icon name={copied ? 'check' : 'copy'} /> {copied ? 'Copied' : 'Copy'}
    </button>
  );
}

export function CopyBox({ value, testid }: { value: string; testid?: string }) {
  return (
    <div className="copybox">
      <code data-testid={testid}>{value}</code>
      <CopyButton value={value} testid={testid ? testid + '-copy' : undefined} />
    </div>
  );
}

/* ---------- form helpers ---------- */

// Reads the current value of a named control in a form, whatever way it was set.
export function formValue(form: HTMLFormElement | null, name: string): string {
  if (!form) return '';
  const el = form.elements.namedItem(name);
  if (!el) return '';
  if (el instanceof RadioNodeList) return el.value;
  if (el instanceof HTMLInputElement && el.type === 'checkbox') return el.checked ? 'on' : '';
  return (el as HTMLInputElement).value ?? '';
}

export function formChecked(form: HTMLFormElement | null, name: string): boolean {
  if (!form) return false;
  const el = form.elements.namedItem(name);
  return el instanceof HTMLInputElement ? el.checked : false;
}

export function downloadJSON(filename: string, data: unknown): void {
  const blob = new Blob([JSON.stringify(data, null, 2) + '\n'], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  document.body.removeChild(a);
  window.setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/* ---------- error boundary ---------- */

export class PageBoundary extends Component<{ children: ReactNode; resetKey: string }, { error: string }> {
  state = { error: '' };

  static getDerivedStateFromError(e: unknown) {
    return { error: errorMessage(e) };
  }

  componentDidUpdate(prev: { resetKey: string }) {
    if (prev.resetKey !== this.props.resetKey && this.state.error) this.setState({ error: '' });
  }

  render() {
    if (!this.state.error) return this.props.children;
    return (
      <div className="page">
        <div className="card">
          <Empty title="This page failed to load">
            <span>{this.state.error}</span>
            <button className="btn btn-primary" onClick={() => window.location.reload()}>
              <Icon name="refresh" /> Reload
            </button>
          </Empty>
        </div>
      </div>
    );
  }
}

/** The trash-can button that ends a table row: a delete, or a "forget". */
export function DeleteButton({ onClick, testid, label = 'Delete' }: { onClick: () => void; testid: string; label?: string }) {
  return (
    <button className="btn btn-sm btn-icon btn-danger-ghost" title={label} aria-label={label} onClick={onClick} data-testid={testid}>
      <Icon name="trash" />
    </button>
  );
}
