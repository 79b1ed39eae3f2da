export interface RateLimitConfig {
  /** Requests per second across all endpoints; null or 0 = unlimited. Test mode is 25, live mode 100. */
  global: number | null;
  /** Per endpoint name (`POST /v1/transfers`, `GET /v1/accounts/:id`) or path prefix ending in `*`. */
  endpoints: Record<string, number | null>;
}

interface Bucket {
  tokens: number;
  updated: number;
}

/**
 * Token buckets refilled at the configured rate with one second of burst, on the real (monotonic) clock: rate limits
 * are about wall-clock load, not emulator time.
 */
export class RateLimiter {
  config: RateLimitConfig;
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    global: number | null,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.config = { global, endpoints: {} };
  }

  configure(update: Partial<RateLimitConfig>): RateLimitConfig {
    if (update.global !== undefined) this.config.global = update.global;
    if (update.endpoints) this.config.endpoints = { ...this.config.endpoints, ...update.endpoints };
    this.buckets.clear();
    return this.config;
  }

  /** Returns the limiter that refused (`global-rate` or `endpoint-rate`), or null when the request may go on. */
  check(endpoint: string): 'global-rate' | 'endpoint-rate' | null {
    const endpointLimit = this.endpointLimit(endpoint);
    const g = this.config.global;
    const globalOk = !g || this.peek('*', g);
    const endpointOk = !endpointLimit || this.peek(`e:${endpoint}`, endpointLimit);
    if (!globalOk) return 'global-rate';
    if (!endpointOk) return 'endpoint-rate';
    if (g) this.take('*');
    if (endpointLimit) this.take(`e:${endpoint}`);
    return null;
  }

  private endpointLimit(endpoint: string): number | null {
    const exact = this.config.endpoints[endpoint];
    if (exact !== undefined) return exact;
    for (const [pattern, limit] of Object.entries(this.config.endpoints)) {
      if (pattern.endsWith('*') && endpoint.startsWith(pattern.slice(0, -1))) return limit;
    }
    return null;
  }

  private peek(key: string, rate: number): boolean {
    const now = this.now();
    let b = this.buckets.get(key);
    if (!b) {
      b = { tokens: rate, updated: now };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(rate, b.tokens + ((now - b.updated) / 1000) * rate);
    b.updated = now;
    return b.tokens >= 1;
  }

  private take(key: string): void {
    const b = this.buckets.get(key);
    if (b) b.tokens -= 1;
  }
}
