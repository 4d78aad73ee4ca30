import { useMemo, useState } from 'react';
import { api, errorMessage, type Rule } from '../api';
import { Card, Empty, ErrorBox, Icon, Loading, LoadFailed, PageHeader, confirmAction, toast, useLoad } from '../ui';
import { RuleForm } from './rules/RuleForm';
import { RuleRow } from './rules/RuleRow';
import { RuleTester } from './rules/RuleTester';

export function RulesPage() {
  const rules = useLoad(() => api.rules(), []);
  const channels = useLoad(() => api.channels(), []);
  const [editing, setEditing] = useState<Rule | 'new' | null>(null);
  const [pending, setPending] = useState<string | null>(null);

  const sorted = useMemo(
    () => [...(rules.data ?? [])].sort((a, b) => (b.priority ?? 0) - (a.priority ?? 0) || a.id.localeCompare(b.id)),
    [rules.data],
  );

  const toggle = async (r: Rule, enabled: boolean) => {
    setPending(r.id);
    try {
      const updated = await api.setRuleEnabled(r.id, enabled);
      rules.setData((rules.data ?? []).map((x) => (x.id === r.id ? (updated ?? { ...x, disabled: !enabled }) : x)));
    } catch (e) {
      toast(errorMessage(e), 'error');
    } finally {
      setPending(null);
    }
  };

  const remove = async (r: Rule) => {
    const deleted = await confirmAction({
      title: 'Delete rule',
      message: (
        <>
          Delete rule <b>{r.name || r.id}</b>? Matching requests go back to the balancer.
        </>
      ),
      confirmLabel: 'Delete',
      run: () => api.deleteRule(r.id),
      done: `Deleted ${r.name || r.id}`,
    });
    if (deleted) rules.reload();
  };

  return (
    <div className="page">
      <PageHeader title="Rules" subtitle="Send matching requests to a chosen channel, before the balancer decides.">
        <button className="btn btn-primary" onClick={() => setEditing('new')} data-testid="rule-add" id="rule-add">
          <Icon name="plus" /> Add rule
        </button>
      </PageHeader>

      <Card title="Rules" actions={<span className="muted small">in evaluation order: highest priority first</span>}>
        <ErrorBox error={rules.data ? rules.error : ''} />
        {rules.loading && !rules.data ? (
          <Loading />
        ) : rules.error && !rules.data ? (
          <LoadFailed what="the rules" error={rules.error} onRetry={rules.reload} />
        ) : sorted.length === 0 ? (
          <Empty title="No rules">All requests are spread by the balancing strategy. Add a rule to route by model, size, tools, headers and more.</Empty>
        ) : (
          <div className="table-wrap">
            <table className="table" data-testid="rules-table">
              <thead>
                <tr>
                  <th style={{ width: 70 }}>Enabled</th>
                  <th className="num" style={{ width: 70 }}>
                    Priority
                  </th>
                  <th>Rule</th>
                  <th>When</th>
                  <th>Target</th>
                  <th className="actions-col" />
                </tr>
              </thead>
              <tbody>
                {sorted.map((r) => (
                  <RuleRow
                    key={r.id}
                    r={r}
                    channels={channels.data}
                    pending={pending === r.id}
                    onToggle={(v) => toggle(r, v)}
                    onEdit={() => setEditing(r)}
                    onDelete={() => remove(r)}
                  />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>

      <RuleTester channels={channels.data ?? []} />

      {editing && (
        <RuleForm
          rule={editing === 'new' ? null : editing}
          channels={channels.data}
          channelsError={channels.error}
          onClose={() => setEditing(null)}
          onSaved={(r, created) => {
            setEditing(null);
            toast(created ? `Added rule ${r.name || r.id}` : `Saved rule ${r.name || r.id}`);
            if (r.notice) toast(r.notice, 'info');
            rules.reload();
          }}
        />
      )}
    </div>
  );
}
