// Form controls: fields, switches, key/value rows, and reading a form's values.
import type { ReactNode } from 'react';
import { Icon } from './icons';

export function Switch({
  checked,
  onChange,
  disabled,
  testid,
  label,
  title,
}: {
  checked: boolean;
  onChange: (v: boolean) => void;
  disabled?: boolean;
  testid?: string;
  label?: string;
  title?: string;
}) {
  return (
    <button
      type="button"
      role="switch"
      aria-checked={checked}
      aria-label={label}
      title={title ?? label}
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
