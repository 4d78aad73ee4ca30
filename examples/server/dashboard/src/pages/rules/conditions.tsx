// A rule's conditions: the yes/no ones, and how the table sums them up.
import type { ReactNode } from 'react';
import type { Condition } from '../../api';
import { fmtNum } from '../../format';

export const BOOL_FIELDS: { key: 'hasTools' | 'hasImages' | 'thinking' | 'webSearch'; label: string; testid: string }[] = [
  { key: 'hasTools', label: 'Defines tools', testid: 'rule-has-tools' },
  { key: 'hasImages', label: 'Carries images', testid: 'rule-has-images' },
  { key: 'thinking', label: 'Asks for thinking', testid: 'rule-thinking' },
  { key: 'webSearch', label: 'Uses web search', testid: 'rule-web-search' },
];

export function conditionChips(c: Condition | undefined): ReactNode[] {
  const out: ReactNode[] = [];
  if (!c) return out;
  if (c.modelPattern) out.push(<>model ~ <code>{c.modelPattern}</code></>);
  if (c.tokenThreshold) out.push(<>≥ {fmtNum(c.tokenThreshold)} tokens</>);
  if (c.keywords?.length) out.push(<>keywords: {c.keywords.join(', ')}</>);
  if (c.userPattern) out.push(<>user text ~ <code>{c.userPattern}</code></>);
  for (const b of BOOL_FIELDS) {
    const v = c[b.key];
    if (v === true) out.push(<>{b.label.toLowerCase()}</>);
    if (v === false) out.push(<>not: {b.label.toLowerCase()}</>);
  }
  if (c.header?.name)
    out.push(
      <>
        header <code>{c.header.name}</code>
        {c.header.pattern ? <> ~ <code>{c.header.pattern}</code></> : ' present'}
      </>,
    );
  if (c.custom) out.push(<>custom: <code>{c.custom}</code></>);
  return out;
}

export function boolToSelect(v: boolean | undefined): string {
  return v === true ? 'yes' : v === false ? 'no' : '';
}
