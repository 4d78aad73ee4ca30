// The wizard's choices: channel kinds, strategies and its steps.
export const STRATEGIES: { name: string; title: string; desc: string }[] = [
  { name: 'priority', title: 'Priority', desc: 'Always use the lowest-priority-number channel; others only as fallback.' },
  { name: 'round_robin', title: 'Round robin', desc: 'Take turns: each request goes to the next channel in order.' },
  { name: 'weighted', title: 'Weighted', desc: 'Spread requests randomly in proportion to each channel’s weight.' },
  { name: 'least_used', title: 'Least used', desc: 'Send each request to the channel with the fewest requests in flight.' },
  { name: 'latency', title: 'Lowest latency', desc: 'Prefer the channel that has been answering fastest lately.' },
];

export const CHANNEL_KINDS = [
  { value: 'anthropic', label: 'Anthropic', type: 'anthropic' as const, baseUrl: 'https://api.anthropic.com' },
  { value: 'openai', label: 'OpenAI', type: 'openai' as const, baseUrl: 'https://api.openai.com' },
  { value: 'openai-compatible', label: 'OpenAI-compatible', type: 'openai' as const, baseUrl: 'https://api.openai.com' },
  { value: 'gemini', label: 'Google Gemini', type: 'gemini' as const, baseUrl: 'https://generativelanguage.googleapis.com' },
];

export const DEFAULT_URLS = new Set(CHANNEL_KINDS.map((k) => k.baseUrl));

export const MODEL_HINTS: Record<string, string> = {
  anthropic: 'claude-sonnet-4-5, claude-haiku-4-5',
  openai: 'gpt-4.1, gpt-4.1-mini',
  'openai-compatible': 'llama-3.3-70b, qwen-2.5-72b',
  gemini: 'gemini-2.5-pro, gemini-2.5-flash',
};

export const STEPS = ['Setup token', 'Channel', 'Balancing', 'Administrator'];

// StrategyChoice is the balancing strategies as clickable cards.
export function StrategyChoice({ value: strategy, onChange: setStrategy }: { value: string; onChange: (s: string) => void }) {
  return (
    <div className="radio-cards" role="radiogroup">
      {STRATEGIES.map((s) => (
        <label
          key={s.name}
          className={'radio-card' + (strategy === s.name ? ' selected' : '')}
          data-testid={`wizard-strategy-${s.name}`}
        >
          <input
            type="radio"
            name="strategy"
            value={s.name}
            checked={strategy === s.name}
            onChange={() => setStrategy(s.name)}
          />
          <span className="radio-card-body">
            <span className="radio-card-title">
              {s.title} <code>{s.name}</code>
            </span>
            <span className="radio-card-desc">{s.desc}</span>
          </span>
        </label>
      ))}
    </div>
  );
}
