// Modal dialogs, the confirm dialog every delete goes through, and toasts.
import { useEffect, useSyncExternalStore, type ReactNode } from 'react';
import { errorMessage } from '../api';
import { Icon } from './icons';
import { ErrorBox } from './layout';
import { Toasts, toast } from './toast';

export function Modal({
  title,
  onClose,
  children,
  footer,
  wide,
  testid,
  error,
  errorTestid,
}: {
  title: ReactNode;
  onClose: () => void;
  children: ReactNode;
  footer?: ReactNode;
  wide?: boolean;
  testid?: string;
  // The dialog's error, shown under the title, outside the scrolled body:
  // in sight however long the form is.
  error?: string;
  errorTestid?: string;
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
        <ErrorBox error={error} testid={errorTestid} className="modal-error" />
        <div className="modal-body">{children}</div>
        {footer && <footer className="modal-footer">{footer}</footer>}
      </div>
    </div>
  );
}

interface ConfirmRequest {
  title: string;
  message: ReactNode;
  confirmLabel: string;
  danger: boolean;
  resolve: (ok: boolean) => void;
}

let confirmReq: ConfirmRequest | null = null;
const confirmListeners = new Set<() => void>();
let confirmVersion = 0;
function confirmEmit() {
  confirmVersion++;
  confirmListeners.forEach((l) => l());
}
function confirmSubscribe(l: () => void) {
  confirmListeners.add(l);
  return () => confirmListeners.delete(l);
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
    confirmEmit();
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

// ConfirmHost shows the question confirmDialog asked, if any.
function ConfirmHost() {
  useSyncExternalStore(confirmSubscribe, () => confirmVersion);
  const req = confirmReq;
  const close = (ok: boolean) => {
    confirmReq = null;
    confirmEmit();
    req?.resolve(ok);
  };
  if (!req) return null;
  return (
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
  );
}

// Overlays renders the app-wide confirm dialog and toasts; App mounts it once.
export function Overlays() {
  return (
    <>
      <ConfirmHost />
      <Toasts />
    </>
  );
}
