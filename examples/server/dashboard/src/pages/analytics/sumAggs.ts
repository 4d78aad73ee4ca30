import type { Aggregate } from '../../api';

// sumAggs adds aggregates up; latency percentiles are averaged, weighted by requests.
export function sumAggs(aggs: Aggregate[]): Aggregate {
  const out: Aggregate = {
    requests: 0,
    errors: 0,
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    cost: null,
    unpriced: 0,
    latencyP50Ms: 0,
    latencyP95Ms: 0,
    latencyP99Ms: 0,
    ttfbP50Ms: 0,
  };
  let weight = 0;
  for (const a of aggs) {
    out.requests += a.requests;
    out.errors += a.errors;
    out.inputTokens += a.inputTokens;
    out.outputTokens += a.outputTokens;
    out.cacheReadTokens += a.cacheReadTokens;
    out.cacheWriteTokens += a.cacheWriteTokens;
    out.unpriced = (out.unpriced ?? 0) + (a.unpriced ?? 0);
    if (a.cost !== null && a.cost !== undefined) out.cost = (out.cost ?? 0) + a.cost;
    // Percentiles do not add up; a request-weighted mean is the best estimate.
    out.latencyP50Ms += a.latencyP50Ms * a.requests;
    out.latencyP95Ms += a.latencyP95Ms * a.requests;
    out.latencyP99Ms += a.latencyP99Ms * a.requests;
    out.ttfbP50Ms += a.ttfbP50Ms * a.requests;
    weight += a.requests;
  }
  if (weight > 0) {
    out.latencyP50Ms /= weight;
    out.latencyP95Ms /= weight;
    out.latencyP99Ms /= weight;
    out.ttfbP50Ms /= weight;
  }
  return out;
}
