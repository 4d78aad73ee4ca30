// ModelChips lists a channel's or key's models, the first few as chips.
export function ModelChips({ models, max = 3 }: { models?: string[] | null; max?: number }) {
  if (!models || models.length === 0) return <span className="muted">any model</span>;
  return (
    <div className="chips" title={models.join(', ')}>
      {models.slice(0, max).map((m) => (
        <span key={m} className="chip mono">
          {m}
        </span>
      ))}
      {models.length > max && <span className="chip chip-more">+{models.length - max}</span>}
    </div>
  );
}
