/**
 * A shared budget of Stripe requests per second across every concurrent worker, so a payout run stays just under
 * Stripe's rate limit (25 requests/s in test mode, 100 in live mode) and finishes as fast as that limit allows.
 *
 * Virtual scheduling (the generic cell rate algorithm): the store keeps one number per budget, the time at which the
 * next request may start. Each reservation atomically takes the next start times and moves it on by one interval
 * (1 / rate) per start time taken; the worker then waits until its reserved time. Every reservation is exactly one
 * atomic write — no retry storms however many workers share the budget — and requests are spaced evenly, never
 * bursting. A worker may reserve a block of start times at once (one write for a whole batch of payouts) and hand
 * them out locally; a start time it did not use in time is dropped, not used late, so the budget is never exceeded.
 */
export interface RateBudgetStore {
  /**
   * Reserves `count` consecutive start times (epoch ms) of `budget`, `intervalMs` apart, the first at or after
   * `now`; returns the first.
   */
  reserve(budget: string, now: number, intervalMs: number, count: number): Promise<number>;
}

export interface RateBudgetOptions {
  budget: string;
  requestsPerSecond: number;
  store: RateBudgetStore;
  /** Start times reserved per write (default 1). Unused ones are dropped once they are `LATE_MS` late. */
  blockSize?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * How late a reserved start time may still be used: the reservation's own round trip makes the first one a little
 * late. Anything later is dropped (a start time left over from an earlier invocation, say), never used.
 */
export const LATE_MS = 100;

export function intervalMs(requestsPerSecond: number): number {
  if (!(requestsPerSecond > 0) || !Number.isFinite(requestsPerSecond))
    throw new RangeError('requestsPerSecond must be positive');
  return 1000 / requestsPerSecond;
}

export function createRateBudget(options: RateBudgetOptions): { acquire(): Promise<number> } {
  const interval = intervalMs(options.requestsPerSecond);
  const block = Math.max(1, Math.floor(options.blockSize ?? 1));
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  /** Reserved start times not handed out yet, ascending. */
  const slots: number[] = [];
  let refill: Promise<void> | undefined;

  async function take(): Promise<number> {
    for (;;) {
      // A start time long past is dropped: used late, it would bunch up with the ones after it.
      while (slots.length > 0 && (slots[0] ?? 0) < now() - Math.max(interval, LATE_MS)) slots.shift();
      const slot = slots.shift();
      if (slot !== undefined) return slot;
      refill ??= options.store
        .reserve(options.budget, now(), interval, block)
        .then((first) => {
          for (let i = 0; i < block; i++) slots.push(first + i * interval);
        })
        .finally(() => {
          refill = undefined;
        });
      await refill;
    }
  }

  return {
    /** Resolves at the reserved start time; returns how long it waited (ms). */
    async acquire() {
      const started = now();
      const startAt = await take();
      const wait = startAt - now();
      if (wait > 0) await sleep(wait);
      return now() - started;
    },
  };
}
