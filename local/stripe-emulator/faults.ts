export interface LatencyDistribution {
  /** Uniform between min and max milliseconds… */
  minMs: number;
  maxMs: number;
  /** …except this share of requests (0..1), which take `spikeMs` (a long tail). */
  spikeRate?: number;
  spikeMs?: number;
}

export interface FaultRule {
  /** `POST /v1/transfers` (an endpoint name), `POST /v1/transfers*` (prefix), `/v1/transfers` (any method) or `*`. */
  endpoint: string;
  /** Share of requests (0..1) answered 429 rate_limit before anything runs. */
  rateLimitRate?: number;
  /** Share of requests (0..1) answered 500 api_error before anything runs (nothing committed, safe to retry). */
  serverErrorRate?: number;
  /** Share of requests (0..1) that commit and then lose the connection before the response is written. */
  ambiguousRate?: number;
  latency?: LatencyDistribution;
  /** The rule retires after injecting this many faults (latency does not count). */
  times?: number;
}

export type InjectedFault = 'rate_limit' | 'server_error' | 'ambiguous';

export interface FaultDecision {
  before: 'rate_limit' | 'server_error' | null;
  ambiguous: boolean;
  latencyMs: number;
}

function matches(pattern: string, endpoint: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('*')) return endpoint.startsWith(pattern.slice(0, -1));
  if (pattern.startsWith('/')) return endpoint.slice(endpoint.indexOf(' ') + 1) === pattern;
  return pattern === endpoint;
}

/** Decides, per request, which configured faults to inject (seeded dice, so runs are reproducible). */
export class FaultInjector {
  private rules: Array<FaultRule & { injected: number }> = [];

  constructor(private readonly random: () => number) {}

  set(rules: FaultRule[]): void {
    this.rules = rules.map((r) => ({ ...r, injected: 0 }));
  }

  add(rule: FaultRule): void {
    this.rules.push({ ...rule, injected: 0 });
  }

  clear(): void {
    this.rules = [];
  }

  list(): FaultRule[] {
    return this.rules.map(({ injected: _, ...r }) => r);
  }

  decide(endpoint: string): FaultDecision {
    const decision: FaultDecision = { before: null, ambiguous: false, latencyMs: 0 };
    for (const rule of this.rules) {
      if (!matches(rule.endpoint, endpoint)) continue;
      if (rule.latency) decision.latencyMs = Math.max(decision.latencyMs, this.latency(rule.latency));
      if (rule.times !== undefined && rule.injected >= rule.times) continue;
      if (!decision.before && rule.rateLimitRate && this.random() < rule.rateLimitRate) {
        decision.before = 'rate_limit';
        rule.injected++;
      } else if (!decision.before && rule.serverErrorRate && this.random() < rule.serverErrorRate) {
        decision.before = 'server_error';
        rule.injected++;
      } else if (!decision.before && !decision.ambiguous && rule.ambiguousRate && this.random() < rule.ambiguousRate) {
        decision.ambiguous = true;
        rule.injected++;
      }
    }
    this.rules = this.rules.filter((r) => r.times === undefined || r.injected < r.times || r.latency !== undefined);
    return decision;
  }

  private latency(d: LatencyDistribution): number {
    if (d.spikeRate && d.spikeMs !== undefined && this.random() < d.spikeRate) return d.spikeMs;
    return Math.round(d.minMs + this.random() * Math.max(0, d.maxMs - d.minMs));
  }
}
