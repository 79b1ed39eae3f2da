export type KeyMode = 'live' | 'test';

/** Stripe's documented defaults: 100 requests/s in live mode, 25 in test mode, and 25/s for each endpoint. */
export const STRIPE_DEFAULT_RATE_LIMITS = { global: { live: 100, test: 25 }, endpointDefault: 25 } as const;

export interface RateLimitConfig {
  /** Requests per second across all endpoints, per key mode; null = unlimited. */
  global: Record<KeyMode, number | null>;
  /** Requests per second of every endpoint without an override (each named operation separately); null = none. */
  endpointDefault: number | null;
  /**
   * Overrides per endpoint name (`POST /v1/transfers`, `GET /v1/accounts/:id`) or path prefix ending in `*`: a raised
   * (or lowered) limit; null = that endpoint has no limit of its own.
   */
  endpoints: Record<string, number | null>;
}

/** What `setRateLimit` accepts: a number (or null) for `global` sets both modes. */
export interface RateLimitUpdate {
  global?: number | null | Partial<Record<KeyMode, number | null>>;
  endpointDefault?: number | null;
  endpoints?: Record<string, number | null>;
}

export function defaultRateLimits(): RateLimitConfig {
  return {
    global: { ...STRIPE_DEFAULT_RATE_LIMITS.global },
    endpointDefault: STRIPE_DEFAULT_RATE_LIMITS.endpointDefault,
    endpoints: {},
  };
}

/** No limit at all (the emulator's own fidelity tests, benches that seed data). */
export function unlimitedRateLimits(): RateLimitConfig {
  return { global: { live: null, test: null }, endpointDefault: null, endpoints: {} };
}

/** `sk_live_…`/`rk_live_…` keys are live mode; the rest test mode. Stripe keeps their limits apart. */
export function keyModeOf(apiKey: string): KeyMode {
  return /^(sk|rk)_live_/.test(apiKey) ? 'live' : 'test';
}

/**
 * Strict limits over a sliding second, on the real (monotonic) clock: a request is admitted only if fewer than
 * `limit` requests were admitted in the 1,000 ms before it — so no window of one second, wherever it starts, ever
 * holds more than the limit. (Stripe's own limiter allows some burst; a strict one makes a client that stays under
 * the limit prove it.) Rate limits are about wall-clock load, not emulator time. A refused request counts nowhere.
 */
export class RateLimiter {
  config: RateLimitConfig;
  private readonly windows = new Map<string, number[]>();

  constructor(
    initial: RateLimitConfig = defaultRateLimits(),
    private readonly now: () => number = () => performance.timeOrigin + performance.now(),
  ) {
    this.config = structuredClone(initial);
  }

  configure(update: RateLimitUpdate): RateLimitConfig {
    if (update.global !== undefined) {
      if (update.global === null || typeof update.global === 'number') {
        const value = update.global || null;
        this.config.global = { live: value, test: value };
      } else {
        this.config.global = { ...this.config.global, ...update.global };
      }
    }
    if (update.endpointDefault !== undefined) this.config.endpointDefault = update.endpointDefault || null;
    if (update.endpoints) this.config.endpoints = { ...this.config.endpoints, ...update.endpoints };
    this.windows.clear();
    return this.config;
  }

  replace(config: RateLimitConfig): RateLimitConfig {
    this.config = structuredClone(config);
    this.windows.clear();
    return this.config;
  }

  /** Returns the limiter that refused (`global-rate` or `endpoint-rate`), or null when the request may go on. */
  check(endpoint: string, mode: KeyMode = 'test', now = this.now()): 'global-rate' | 'endpoint-rate' | null {
    const globalLimit = this.config.global[mode];
    const endpointLimit = this.endpointLimit(endpoint);
    const globalKey = `${mode}:*`;
    const endpointKey = `${mode}:e:${endpoint}`;
    if (globalLimit && !this.hasRoom(globalKey, globalLimit, now)) return 'global-rate';
    if (endpointLimit && !this.hasRoom(endpointKey, endpointLimit, now)) return 'endpoint-rate';
    if (globalLimit) this.admit(globalKey, now);
    if (endpointLimit) this.admit(endpointKey, now);
    return null;
  }

  endpointLimit(endpoint: string): number | null {
    const exact = this.config.endpoints[endpoint];
    if (exact !== undefined) return exact;
    for (const [pattern, limit] of Object.entries(this.config.endpoints)) {
      if (pattern.endsWith('*') && endpoint.startsWith(pattern.slice(0, -1))) return limit;
    }
    return this.config.endpointDefault;
  }

  private hasRoom(key: string, limit: number, now: number): boolean {
    const window = this.windows.get(key);
    if (!window) return limit >= 1;
    while (window.length > 0 && (window[0] ?? 0) <= now - 1000) window.shift();
    return window.length < Math.floor(limit);
  }

  private admit(key: string, now: number): void {
    let window = this.windows.get(key);
    if (!window) {
      window = [];
      this.windows.set(key, window);
    }
    window.push(now);
  }
}
