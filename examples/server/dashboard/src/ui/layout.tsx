// Page and card layout, status blocks (loading, empty, error) and badges.
import { useEffect, useRef, type ReactNode } from 'react';
import { Icon } from './icons';

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

// ErrorBox shows an error. With reveal, a new error scrolls into view, so
// that an error under the fold of a long form is seen.
export function ErrorBox({ error, testid, reveal, className }: { error: string | undefined | null; testid?: string; reveal?: boolean; className?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (reveal && error) ref.current?.scrollIntoView({ block: 'nearest' });
  }, [reveal, error]);
  if (!error) return null;
  return (
    <div ref={ref} className={'alert alert-error' + (className ? ' ' + className : '')} role="alert" data-testid={testid ?? 'error'}>
      <Icon name="alert" />
      <span>{error}</span>
    </div>
  );
}

// LoadFailed stands where a list would be when it could not be loaded, so
// that a failed load never reads as an empty list.
export function LoadFailed({ what, error, onRetry }: { what: string; error: string; onRetry: () => void }) {
  return (
    <div className="empty load-failed" role="alert" data-testid="load-failed">
      <div className="empty-title">
        <Icon name="alert" /> Could not load {what}
      </div>
      <div className="empty-body">
        <span>{error}</span>
        <button type="button" className="btn btn-primary" onClick={onRetry} data-testid="load-retry">
          <Icon name="refresh" /> Retry
        </button>
      </div>
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

/** The trash-can button that ends a table row: a delete, or a "forget". */
export function DeleteButton({
  onClick,
  testid,
  label = 'Delete',
  disabled,
  title,
}: {
  onClick: () => void;
  testid: string;
  label?: string;
  disabled?: boolean;
  title?: string;
}) {
  return (
    <button
      className="btn btn-sm btn-icon btn-danger-ghost"
      title={title ?? label}
      aria-label={label}
      onClick={onClick}
      data-testid={testid}
      disabled={disabled}
    >
      <Icon name="trash" />
    </button>
  );
}

// What a read-only item's controls say: the config file owns it.
export const CONFIG_TIP = 'Defined in the server’s config file: edit it there, then restart the server.';

// fromConfig reports whether the server's config file defines an item.
export function fromConfig(item: { source?: string } | null | undefined): boolean {
  return item?.source === 'config';
}

/** ConfigBadge marks a channel, rule or key that the server's config file defines. */
export function ConfigBadge({ testid }: { testid?: string }) {
  return (
    <Badge tone="gray" title={CONFIG_TIP} testid={testid}>
      config file
    </Badge>
  );
}
