// The dialog that adds or edits a rule.
import { useRef, useState, type FormEvent } from 'react';
import { api, errorMessage, type ChannelWithStatus, type Condition, type Rule } from '../../api';
import { splitList } from '../../format';
import { ErrorBox, Field, Loading, Modal, Spinner, formChecked, formValue } from '../../ui';
import { BOOL_FIELDS, boolToSelect } from './conditions';

export function RuleForm({
  rule,
  channels,
  channelsError,
  onClose,
  onSaved,
}: {
  rule: Rule | null;
  channels: ChannelWithStatus[] | undefined;
  channelsError: string;
  onClose: () => void;
  onSaved: (r: Rule, created: boolean) => void;
}) {
  const isNew = !rule;
  const form = useRef<HTMLFormElement>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const c = rule?.condition ?? {};

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const f = form.current;
    setError('');
    try {
      const id = isNew ? formValue(f, 'id').trim() : rule!.id;
      const channel = formValue(f, 'targetChannel').trim();
      if (!channel) throw new Error('Choose the target channel.');
      const cond: Condition = {};
      const threshold = formValue(f, 'tokenThreshold').trim();
      if (threshold) {
        const n = Number(threshold);
        if (!Number.isInteger(n) || n < 0) throw new Error('Token threshold must be a whole number.');
        if (n > 0) cond.tokenThreshold = n;
      }
      const keywords = splitList(formValue(f, 'keywords'));
      if (keywords.length) cond.keywords = keywords;
      const userPattern = formValue(f, 'userPattern').trim();
      if (userPattern) cond.userPattern = userPattern;
      const modelPattern = formValue(f, 'modelPattern').trim();
      if (modelPattern) cond.modelPattern = modelPattern;
      for (const b of BOOL_FIELDS) {
        const v = formValue(f, b.key);
        if (v === 'yes') cond[b.key] = true;
        if (v === 'no') cond[b.key] = false;
      }
      const headerName = formValue(f, 'headerName').trim();
      const headerPattern = formValue(f, 'headerPattern').trim();
      if (headerName) cond.header = { name: headerName, pattern: headerPattern };
      else if (headerPattern) throw new Error('Give the header name for the header pattern.');
      const custom = formValue(f, 'custom').trim();
      if (custom) cond.custom = custom;
      const prio = formValue(f, 'priority').trim();
      const priority = prio ? Number(prio) : 0;
      if (!Number.isInteger(priority)) throw new Error('Priority must be a whole number.');
      const r: Rule = {
        id,
        name: formValue(f, 'name').trim(),
        priority,
        disabled: !formChecked(f, 'enabled'),
        condition: cond,
        target: { channel, model: formValue(f, 'targetModel').trim() },
      };
      if (!r.target.model) delete r.target.model;
      if (!r.name) delete r.name;
      setBusy(true);
      const saved = isNew ? await api.createRule(r) : await api.updateRule(rule!.id, r);
      onSaved(saved ?? r, isNew);
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };

  const currentTarget = rule?.target?.channel ?? '';

  return (
    <Modal
      title={isNew ? 'Add rule' : `Edit rule ${rule!.name || rule!.id}`}
      onClose={onClose}
      wide
      testid="rule-form"
      error={error}
      errorTestid="rule-error"
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form="rule-form" className="btn btn-primary" disabled={busy || !channels} data-testid="rule-save" id="rule-save">
            {busy && <Spinner small />} {isNew ? 'Add rule' : 'Save rule'}
          </button>
        </>
      }
    >
      {!channels ? (
        channelsError ? <ErrorBox error={channelsError} /> : <Loading />
      ) : (
        <form id="rule-form" ref={form} onSubmit={submit} noValidate>
          <div className="grid-3">
            <Field label="Id" htmlFor="rule-id" hint={isNew ? 'Optional: generated when empty.' : 'The id cannot be changed.'}>
              <input id="rule-id" name="id" data-testid="rule-id" defaultValue={rule?.id ?? ''} disabled={!isNew} placeholder="long-context" spellCheck={false} autoFocus={isNew} />
            </Field>
            <Field label="Name" htmlFor="rule-name">
              <input id="rule-name" name="name" data-testid="rule-name" defaultValue={rule?.name ?? ''} placeholder="Long prompts to GPT-4.1" />
            </Field>
            <Field label="Priority" htmlFor="rule-priority" hint="Higher is evaluated first.">
              <input id="rule-priority" name="priority" type="number" data-testid="rule-priority" defaultValue={rule?.priority ?? 0} />
            </Field>
          </div>

          <fieldset className="fieldset">
            <legend>When — every filled condition must hold</legend>
            <div className="grid-2">
              <Field label="Model pattern" htmlFor="rule-model-pattern" hint={<>Glob (<code>claude-*</code>) or regexp (<code>/^gpt-4/</code>).</>}>
                <input id="rule-model-pattern" name="modelPattern" data-testid="rule-model-pattern" defaultValue={c.modelPattern ?? ''} placeholder="claude-*" spellCheck={false} />
              </Field>
              <Field label="Token threshold" htmlFor="rule-token-threshold" hint="Estimated input tokens at least this many.">
                <input
                  id="rule-token-threshold"
                  name="tokenThreshold"
                  type="number"
                  min={0}
                  data-testid="rule-token-threshold"
                  defaultValue={c.tokenThreshold || ''}
                  placeholder="60000"
                />
              </Field>
              <Field label="Keywords" htmlFor="rule-keywords" hint="Comma separated; any one in the user text, ignoring case.">
                <input id="rule-keywords" name="keywords" data-testid="rule-keywords" defaultValue={(c.keywords ?? []).join(', ')} placeholder="translate, traduire" />
              </Field>
              <Field label="User text pattern" htmlFor="rule-user-pattern" hint="Regular expression (RE2) searched in the user text.">
                <input id="rule-user-pattern" name="userPattern" data-testid="rule-user-pattern" defaultValue={c.userPattern ?? ''} placeholder="(?i)\bsql\b" spellCheck={false} />
              </Field>
            </div>
            <div className="grid-4">
              {BOOL_FIELDS.map((b) => (
                <Field key={b.key} label={b.label} htmlFor={b.testid}>
                  <select id={b.testid} name={b.key} data-testid={b.testid} defaultValue={boolToSelect(c[b.key])}>
                    <option value="">Any</option>
                    <option value="yes">Yes</option>
                    <option value="no">No</option>
                  </select>
                </Field>
              ))}
            </div>
            <div className="grid-3">
              <Field label="Header name" htmlFor="rule-header-name">
                <input id="rule-header-name" name="headerName" data-testid="rule-header-name" defaultValue={c.header?.name ?? ''} placeholder="x-team" spellCheck={false} />
              </Field>
              <Field label="Header pattern" htmlFor="rule-header-pattern" hint="RE2; empty means the header is present.">
                <input id="rule-header-pattern" name="headerPattern" data-testid="rule-header-pattern" defaultValue={c.header?.pattern ?? ''} placeholder="^research$" spellCheck={false} />
              </Field>
              <Field label="Custom condition" htmlFor="rule-custom" hint="Name of a condition registered in Go.">
                <input id="rule-custom" name="custom" data-testid="rule-custom" defaultValue={c.custom ?? ''} spellCheck={false} />
              </Field>
            </div>
          </fieldset>

          <fieldset className="fieldset">
            <legend>Then</legend>
            <div className="grid-2">
              <Field label="Target channel" htmlFor="rule-target-channel">
                <select id="rule-target-channel" name="targetChannel" data-testid="rule-target-channel" defaultValue={currentTarget}>
                  <option value="">Choose a channel…</option>
                  {currentTarget && !channels.some((x) => x.id === currentTarget) && <option value={currentTarget}>{currentTarget} (missing)</option>}
                  {channels.map((x) => (
                    <option key={x.id} value={x.id}>
                      {x.id}
                      {x.name && x.name !== x.id ? ` — ${x.name}` : ''}
                    </option>
                  ))}
                </select>
              </Field>
              <Field label="Target model" htmlFor="rule-target-model" hint="Optional: replaces the requested model.">
                <input id="rule-target-model" name="targetModel" data-testid="rule-target-model" defaultValue={rule?.target?.model ?? ''} placeholder="keep requested model" spellCheck={false} />
              </Field>
            </div>
          </fieldset>
          <label className="check">
            <input type="checkbox" name="enabled" data-testid="rule-enabled" defaultChecked={!rule?.disabled} /> Enabled
          </label>
          </form>
      )}
    </Modal>
  );
}
