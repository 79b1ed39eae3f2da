import type { StripeBudgetPlan, StripeLane, StripeShare } from './stripe-limits.ts';

/**
 * A shared budget of requests per second across every concurrent caller in any number of functions, so they stay
 * just under one of Stripe's rate limits (an endpoint's, or one lane of the global one — see `./stripe-limits.ts`)
 * and go as fast as it allows.
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
   * `now`; returns the first. `expectIdle` is the caller's guess that the budget is idle (its `nextAt` has passed):
   * a hint of which write to try first, never a change to what is reserved.
   */
  reserve(budget: string, now: number, intervalMs: number, count: number, expectIdle?: boolean): Promise<number>;
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

/** Starts one request at `notBefore` at the earliest, and `gapMs` after the previous one it started; resolves then. */
type SpacedStarts = (notBefore: number, gapMs: number) => Promise<number>;

/**
 * Requests of one process in the order they ask, each started no sooner than its own time and one gap after the
 * previous one actually started: late wake-ups (a stalled event loop) queue instead of leaving together.
 */
function spacedStarts(now: () => number, sleep: (ms: number) => Promise<void>): SpacedStarts {
  let previous: Promise<number> = Promise.resolve(Number.NEGATIVE_INFINITY);
  return async (notBefore, gapMs) => {
    const before = previous;
    let started!: (at: number) => void;
    previous = new Promise<number>((resolve) => {
      started = resolve;
    });
    const wait = Math.max(notBefore, (await before) + gapMs) - now();
    if (wait > 0) await sleep(wait);
    const at = now();
    started(at);
    return at;
  };
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
  /**
   * Where this process's last reservation left the budget's next start time. Other processes only ever move it
   * later, so once it has passed the budget is probably idle (below its rate, as the global lanes usually are):
   * the store then tries the idle write first.
   */
  let lastNextAt = Number.NEGATIVE_INFINITY;

  function pump(): void {
    if (writing || waiting.length === 0) return;
    writing = true;
    const callers = waiting.splice(0, block);
    const at = now();
    options.store
      .reserve(options.budget, at, interval, callers.length, lastNextAt <= at)
      .then(
        (first) => {
          lastNextAt = first + callers.length * interval;
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

  // A stalled event loop (a GC pause, a busy CPU) wakes several waiting requests at once, and a burst of late
  // requests is what a strict limiter refuses: each request also starts no sooner than one interval after the
  // previous one actually started. Late requests stay late by the stall (the schedule they reserved from moves on),
  // but never bunch.
  const spaced = spacedStarts(now, sleep);

  return {
    async acquire() {
      const started = now();
      const reservedAt = await take();
      return (await spaced(reservedAt, interval)) - started;
    },
  };
}

/**
 * A Stripe request's place in the budgets: the endpoint it calls, the lane of the global budget it uses and, for a
 * job with a share of its own (reconciliation), that share.
 */
export interface StripeRequestSlot {
  endpoint: string;
  lane: StripeLane;
  share?: StripeShare;
}

export interface StripeRateBudgets {
  /**
   * Waits for a start time in the request's endpoint budget, then in its job's share (if it has one), then in its
   * lane of the global budget; resolves with the total wait (ms). Call it when the request is ready to go.
   */
  acquire(slot: StripeRequestSlot): Promise<number>;
}

export interface StripeRateBudgetsOptions {
  plan: StripeBudgetPlan;
  store: RateBudgetStore;
  blockSize?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Every Stripe request of a process goes through one of these. Budgets are made on first use, one per endpoint,
 * one per job share and one per global lane, each in the shared store (so every function of the stage shares them).
 *
 * Order: the endpoint first, then the job's share, then the global lane, each reserved only once the previous wait
 * is over (a share's requests never hold a place in the lane while they wait for their share). The request
 * leaves at its global start time, so the global budget (the one every caller shares) is kept exactly; its lanes
 * are sized with room to spare for the endpoints that bind (see docs/payouts.md), so the global wait is near zero
 * and requests also leave at their endpoint's start times.
 */
export function createStripeRateBudgets(options: StripeRateBudgetsOptions): StripeRateBudgets {
  const budgets = new Map<string, RateBudget>();
  const budget = (name: string, requestsPerSecond: number): RateBudget => {
    let found = budgets.get(name);
    if (!found) {
      found = createRateBudget({
        budget: name,
        requestsPerSecond,
        store: options.store,
        ...(options.blockSize === undefined ? {} : { blockSize: options.blockSize }),
        ...(options.now ? { now: options.now } : {}),
        ...(options.sleep ? { sleep: options.sleep } : {}),
      });
      budgets.set(name, found);
    }
    return found;
  };
  const { plan } = options;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  // The global wait after an endpoint's start time differs from one request to the next (other endpoints share the
  // lane), which could bring two of an endpoint's requests closer than its interval: each also leaves no sooner
  // than one endpoint interval after the previous request of its endpoint actually left (in this process).
  const departures = new Map<string, SpacedStarts>();
  return {
    async acquire({ endpoint, lane, share }) {
      const started = now();
      await budget(`stripe:${plan.mode}:endpoint:${endpoint}`, plan.endpoint(endpoint)).acquire();
      if (share) await budget(`stripe:${plan.mode}:share:${share}`, plan.shares[share]).acquire();
      await budget(`stripe:${plan.mode}:global:${lane}`, plan.lanes[lane]).acquire();
      let spaced = departures.get(endpoint);
      if (!spaced) {
        spaced = spacedStarts(now, sleep);
        departures.set(endpoint, spaced);
      }
      return (await spaced(now(), intervalMs(plan.endpoint(endpoint)))) - started;
    },
  };
}
