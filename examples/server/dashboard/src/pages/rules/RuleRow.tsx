import type { ChannelWithStatus, Rule } from '../../api';
import { CONFIG_TIP, ConfigBadge, DeleteButton, Icon, Switch, fromConfig } from '../../ui';
import { conditionChips } from './conditions';

// RuleRow is one rule in the rules table.
export function RuleRow({
  r,
  channels,
  pending,
  onToggle,
  onEdit,
  onDelete,
}: {
  r: Rule;
  channels: ChannelWithStatus[] | undefined;
  pending: boolean;
  onToggle: (enabled: boolean) => void;
  onEdit: () => void;
  onDelete: () => void;
}) {
  const chips = conditionChips(r.condition);
  const c = channels?.find((x) => x.id === r.target?.channel);
  const known = !channels || !!c;
  const channelLabel = c ? c.name || c.id : r.target?.channel;
  const locked = fromConfig(r);
  return (
    <tr className={r.disabled ? 'row-disabled' : ''} data-testid={`rule-row-${r.id}`}>
      <td>
        <Switch
          checked={!r.disabled}
          disabled={pending || locked}
          title={locked ? CONFIG_TIP : undefined}
          onChange={onToggle}
          testid={`rule-toggle-${r.id}`}
          label={r.disabled ? 'Enable rule' : 'Disable rule'}
        />
      </td>
      <td className="num">{r.priority ?? 0}</td>
      <td>
        <div className="strong">
          {r.name || r.id} {locked && <ConfigBadge testid={`rule-config-${r.id}`} />}
        </div>
        <div className="sub mono">{r.id}</div>
      </td>
      <td>
        {chips.length === 0 ? (
          <span className="muted">every request</span>
        ) : (
          <div className="chips">
            {chips.map((c, i) => (
              <span className="chip" key={i}>
                {c}
              </span>
            ))}
          </div>
        )}
      </td>
      <td>
        <span className={known ? '' : 'err-text'} title={known ? undefined : 'No channel with this id'}>
          {channelLabel}
        </span>
        {r.target?.model && (
          <div className="sub">
            as <code>{r.target.model}</code>
          </div>
        )}
        {r.notice && (
          <div className="warn-text rule-notice" data-testid={`rule-notice-${r.id}`}>
            <Icon name="alert" /> {r.notice}
          </div>
        )}
      </td>
      <td className="actions-col">
        <div className="row-actions">
          <button
            className="btn btn-sm btn-icon"
            title={locked ? CONFIG_TIP : 'Edit'}
            aria-label="Edit"
            onClick={onEdit}
            disabled={locked}
            data-testid={`rule-edit-${r.id}`}
          >
            <Icon name="edit" />
          </button>
          <DeleteButton onClick={onDelete} testid={`rule-delete-${r.id}`} disabled={locked} title={locked ? CONFIG_TIP : undefined} />
        </div>
      </td>
    </tr>
  );
}
