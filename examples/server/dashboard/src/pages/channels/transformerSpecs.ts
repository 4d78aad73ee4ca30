// A channel's transformers as the dialog writes them: names, comma
// separated, or a JSON array when some take options.
import type { TransformerSpec } from '../../api';
import { splitList } from '../../format';

export function specsToText(specs: TransformerSpec[] | undefined): string {
  if (!specs || specs.length === 0) return '';
  const simple = specs.map((s) => {
    if (typeof s === 'string') return s;
    if (Array.isArray(s)) return s.length === 1 ? s[0] : s;
    if (s && typeof s === 'object') return s.options === undefined || s.options === null ? s.name : [s.name, s.options];
    return s;
  });
  if (simple.every((s) => typeof s === 'string')) return (simple as string[]).join(', ');
  return JSON.stringify(simple);
}

export function textToSpecs(text: string): TransformerSpec[] {
  const t = text.trim();
  if (!t) return [];
  if (t.startsWith('[')) {
    let v: unknown;
    try {
      v = JSON.parse(t);
    } catch {
      throw new Error('Transformers: not valid JSON.');
    }
    if (!Array.isArray(v)) throw new Error('Transformers: expected a JSON array.');
    return v as TransformerSpec[];
  }
  return splitList(t);
}
