/**
 * A shared budget of Stripe requests per second across every concurrent worker, so a payout run stays just under
 * Stripe's rate limit (25 requests/s in test mode, 100 in live mode) and finishes as fast as that limit allows.
 *
 * The budget is divided into short slots (about 200 ms) holding an integer number of permits each, so requests
 * spread evenly over the second instead of bursting at its start. A store records permits taken per slot
 * atomically; a worker that finds its slot full waits for the next one.
 */
export interface RateBudgetStore {
  /** Takes one permit from the slot if fewer than `capacity` were taken; false when the slot is full. */
  tryTake(budget: string, slot: number, capacity: number, expiresAt: number): Promise<boolean>;
}

export interface RateBudgetOptions {
  budget: string;
  requestsPerSecond: number;
  store: RateBudgetStore;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Gives up (throws) after waiting this long in total; a worker then leaves its message for a later retry. */
  maxWaitMs?: number;
}

export interface SlotPlan {
  slotMs: number;
  permitsPerSlot: number;
}

/** Slots of ~200 ms with a whole number of permits: 25/s -> 5 per 200 ms, 100/s -> 20 per 200 ms, 3/s -> 1 per 333 ms. */
export function planSlots(requestsPerSecond: number): SlotPlan {
  if (!(requestsPerSecond > 0) || !Number.isFinite(requestsPerSecond))
    throw new RangeError('requestsPerSecond must be positive');
  const permitsPerSlot = Math.max(1, Math.round(requestsPerSecond / 5));
  return { slotMs: (1000 * permitsPerSlot) / requestsPerSecond, permitsPerSlot };
}

export class RateBudgetExhausted extends Error {
  override name = 'RateBudgetExhausted';
}

export function createRateBudget(options: RateBudgetOptions): { acquire(): Promise<number> } {
  const { slotMs, permitsPerSlot } = planSlots(options.requestsPerSecond);
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const maxWaitMs = options.maxWaitMs ?? 30_000;
  return {
    /** Resolves when a permit is taken; returns how long it waited (ms). */
    async acquire() {
      const started = now();
      for (;;) {
        const time = now();
        const slot = Math.floor(time / slotMs);
        const expiresAt = Math.ceil(((slot + 1) * slotMs) / 1000) + 60;
        if (await options.store.tryTake(options.budget, slot, permitsPerSlot, expiresAt)) return now() - started;
        if (now() - started > maxWaitMs) throw new RateBudgetExhausted(`no Stripe request budget for ${maxWaitMs} ms`);
        // Wait for the next slot, with jitter so waiting workers don't all hit the same instant.
        const untilNext = (slot + 1) * slotMs - now();
        await sleep(Math.max(1, untilNext) + Math.random() * slotMs * 0.25);
      }
    },
  };
}
