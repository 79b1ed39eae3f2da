/**
 * A shared budget of Stripe requests per second across every concurrent worker, so a payout run stays just under
 * Stripe's rate limit (25 requests/s in test mode, 100 in live mode) and finishes as fast as that limit allows.
 *
 * Virtual scheduling (the generic cell rate algorithm): the store keeps one number per budget, the time at which the
 * next request may start. Each reservation atomically takes the next start times and moves it on by one interval
 * (1 / rate) per start time taken; the worker then waits until its reserved time. Every reservation is exactly one
 * atomic write — no retry storms however many workers share the budget — and requests are spaced evenly, never
 * bursting. Callers waiting together share one write (a batch of payouts reserves its start times at once), and a
 * start time is only ever reserved for a caller waiting for one.
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
  /** At most this many start times per write (default 1): callers waiting together share one write. */
  blockSize?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface RateBudget {
  /**
   * Reserves the next start time and waits for it; resolves with how long it waited (ms). Call it when the request
   * is ready to go: a start time reserved earlier could pass meanwhile, and late requests bunch up.
   */
  acquire(): Promise<number>;
}

export function intervalMs(requestsPerSecond: number): number {
  if (!(requestsPerSecond > 0) || !Number.isFinite(requestsPerSecond))
    throw new RangeError('requestsPerSecond must be positive');
  return 1000 / requestsPerSecond;
}

/**
 * Start times are reserved only for callers that are waiting — one write for all the callers waiting together
 * (up to `blockSize`), and callers arriving while a write is in flight share the next one. No start time is
 * reserved that nobody uses, so none lapses and the budget is never spent on nothing.
 */
export function createRateBudget(options: RateBudgetOptions): RateBudget {
  const interval = intervalMs(options.requestsPerSecond);
  const block = Math.max(1, Math.floor(options.blockSize ?? 1));
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const waiting: Array<{ resolve(startAt: number): void; reject(error: unknown): void }> = [];
  let writing = false;

  function pump(): void {
    if (writing || waiting.length === 0) return;
    writing = true;
    const callers = waiting.splice(0, block);
    options.store
      .reserve(options.budget, now(), interval, callers.length)
      .then(
        (first) => {
          for (const [i, caller] of callers.entries()) caller.resolve(first + i * interval);
        },
        (error: unknown) => {
          for (const caller of callers) caller.reject(error);
        },
      )
      .finally(() => {
        writing = false;
        pump();
      });
  }

  function take(): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      waiting.push({ resolve, reject });
      // Let callers starting in the same tick (a batch's payouts) join this write.
      queueMicrotask(pump);
    });
  }

  return {
    async acquire() {
      const started = now();
      const wait = (await take()) - now();
      if (wait > 0) await sleep(wait);
      return now() - started;
    },
  };
}
