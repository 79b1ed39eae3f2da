/**
 * A shared budget of Stripe requests per second across every concurrent worker, so a payout run stays just under
 * Stripe's rate limit (25 requests/s in test mode, 100 in live mode) and finishes as fast as that limit allows.
 *
 * Virtual scheduling (the generic cell rate algorithm): the store keeps one number per budget, the time at which the
 * next request may start. Each acquisition atomically reserves the next start time and moves it on by one interval
 * (1 / rate); the worker then waits until its reserved time. Every acquisition is exactly one atomic write — no
 * retry storms however many workers share the budget — and requests are spaced evenly, never bursting.
 */
export interface RateBudgetStore {
  /** Reserves the next start time (epoch ms) of `budget`, at or after `now`, and advances it by `intervalMs`. */
  reserve(budget: string, now: number, intervalMs: number): Promise<number>;
}

export interface RateBudgetOptions {
  budget: string;
  requestsPerSecond: number;
  store: RateBudgetStore;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export function intervalMs(requestsPerSecond: number): number {
  if (!(requestsPerSecond > 0) || !Number.isFinite(requestsPerSecond))
    throw new RangeError('requestsPerSecond must be positive');
  return 1000 / requestsPerSecond;
}

export function createRateBudget(options: RateBudgetOptions): { acquire(): Promise<number> } {
  const interval = intervalMs(options.requestsPerSecond);
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  return {
    /** Resolves at the reserved start time; returns how long it waited (ms). */
    async acquire() {
      const started = now();
      const startAt = await options.store.reserve(options.budget, started, interval);
      const wait = startAt - now();
      if (wait > 0) await sleep(wait);
      return now() - started;
    },
  };
}
