import { describe, expect, it } from 'vitest';
import { createRateBudget, intervalMs, type RateBudgetStore } from '#core/rate-budget';
import { maxInAnySecond, memoryRateBudgetStore, virtualClock } from '#tests/rate-budget';

/** Many workers acquiring concurrently on a virtual clock, each "request" taking `requestMs`. */
async function simulate(rps: number, workers: number, seconds: number, requestMs = 300, blockSize = 1) {
  const clock = virtualClock();
  const budget = createRateBudget({
    budget: 'stripe',
    requestsPerSecond: rps,
    store: memoryRateBudgetStore(),
    blockSize,
    now: clock.now,
    sleep: clock.sleep,
  });
  const start = clock.now();
  const end = start + seconds * 1000;
  const grants: number[] = [];
  const worker = async () => {
    while (clock.now() < end) {
      await budget.acquire();
      if (clock.now() < end) grants.push(clock.now() - start);
      await clock.sleep(requestMs);
    }
  };
  await clock.drive(Promise.all(Array.from({ length: workers }, worker)));
  return grants;
}

describe('rate budget (virtual scheduling)', () => {
  it('spaces requests one interval apart', () => {
    expect(intervalMs(25)).toBe(40);
    expect(intervalMs(100)).toBe(10);
    expect(() => intervalMs(0)).toThrow(RangeError);
  });

  it.each([
    [25, 40],
    [95, 60],
    [95, 200],
  ])(
    '%i/s shared by %i workers: never more than the budget in any sliding second, and all of it used',
    async (rps, workers) => {
      const grants = await simulate(rps, workers, 10);
      expect(maxInAnySecond(grants)).toBeLessThanOrEqual(rps + 1);
      expect(grants.length).toBeGreaterThanOrEqual(Math.floor(rps * 10 * 0.98));
    },
  );

  it('grants at once when the budget is idle, without a burst allowance', async () => {
    const store = memoryRateBudgetStore();
    expect(await store.reserve('b', 1_000, 10, 1)).toBe(1_000);
    expect(await store.reserve('b', 1_000, 10, 1)).toBe(1_010);
    expect(await store.reserve('b', 5_000, 10, 1)).toBe(5_000);
  });

  it.each([
    [95, 60, 10],
    [25, 200, 10],
    [95, 20, 10],
  ])(
    '%i/s, %i workers, %i start times per write: never more than the budget in any sliding second, ≥ 95 % of what the workers can use',
    async (rps, workers, block) => {
      const grants = await simulate(rps, workers, 10, 300, block);
      expect(maxInAnySecond(grants)).toBeLessThanOrEqual(rps + 1);
      // 20 workers busy 300 ms per request can start at most 66.7 a second: lapsed start times cost nothing more.
      const possible = Math.min(rps, (workers * 1000) / 300);
      expect(grants.length).toBeGreaterThanOrEqual(Math.floor(possible * 10 * 0.95));
    },
  );

  it('guesses idle or busy from where its own last reservation left the budget, and passes the guess to the store', async () => {
    let time = 10_000;
    const guesses: boolean[] = [];
    const inner = memoryRateBudgetStore();
    const store: RateBudgetStore = {
      async reserve(budget, now, interval, count, expectIdle) {
        guesses.push(expectIdle === true);
        return inner.reserve(budget, now, interval, count);
      },
    };
    const budget = createRateBudget({
      budget: 'b',
      requestsPerSecond: 100,
      store,
      now: () => time,
      sleep: async (ms) => {
        time += ms;
      },
    });
    await budget.acquire(); // nothing known yet: idle
    await budget.acquire(); // the start time it took is now, the next one 10 ms on: busy
    time += 1_000;
    await budget.acquire(); // a second later that has passed: idle
    expect(guesses).toEqual([true, false, true]);
  });

  it('reserves start times only for waiting callers: a batch shares one write, a later caller gets its own, none lapses', async () => {
    let time = 10_000;
    const writes: Array<{ now: number; count: number }> = [];
    const inner = memoryRateBudgetStore();
    const store: RateBudgetStore = {
      async reserve(budget, now, interval, count) {
        writes.push({ now, count });
        return inner.reserve(budget, now, interval, count);
      },
    };
    const waits: number[] = [];
    const budget = createRateBudget({
      budget: 'b',
      requestsPerSecond: 100,
      store,
      blockSize: 5,
      now: () => time,
      sleep: async (ms) => {
        waits.push(ms); // the clock stands still: each wait is its start time minus 10,000
      },
    });
    // Seven callers in the same tick: one write for five (the block), the next for the other two.
    await Promise.all(Array.from({ length: 7 }, () => budget.acquire()));
    expect(writes).toEqual([
      { now: 10_000, count: 5 },
      { now: 10_000, count: 2 },
    ]);
    // Each waited for its own start time, 10 ms apart; the first started at once.
    expect(waits.sort((a, b) => a - b)).toEqual([10, 20, 30, 40, 50, 60]);
    // A minute later nothing is left over from before: the next caller starts at once, with a write of one.
    time = 70_000;
    expect(await budget.acquire()).toBe(0);
    expect(writes.at(-1)).toEqual({ now: 70_000, count: 1 });
  });

  it('a stalled event loop does not release its late requests together: each starts an interval after the last', async () => {
    // Four callers reserve 0, 100, 200, 300 (10/s); the loop stalls until 550 while the reservation is in flight.
    let time = 0;
    const inner = memoryRateBudgetStore();
    const budget = createRateBudget({
      budget: 'b',
      requestsPerSecond: 10,
      blockSize: 4,
      store: {
        async reserve(name, now, interval, count) {
          const first = await inner.reserve(name, now, interval, count);
          time = 550;
          return first;
        },
      },
      now: () => time,
      sleep: async (ms) => {
        time += ms;
      },
    });
    // Each caller asked at 0, so the wait it reports is its start time.
    const starts = await Promise.all(Array.from({ length: 4 }, () => budget.acquire()));
    // Without the spacing all four would start at 550: a burst a strict limiter refuses.
    expect(starts).toEqual([550, 650, 750, 850]);
  });

  it('a failed reservation fails its callers and the next caller reserves anew', async () => {
    let fail = true;
    const inner = memoryRateBudgetStore();
    const budget = createRateBudget({
      budget: 'b',
      requestsPerSecond: 100,
      blockSize: 10,
      store: {
        async reserve(name, now, interval, count) {
          if (fail) throw new Error('throttled');
          return inner.reserve(name, now, interval, count);
        },
      },
      sleep: async () => undefined,
    });
    await expect(Promise.all([budget.acquire(), budget.acquire()])).rejects.toThrow(/throttled/);
    fail = false;
    await expect(budget.acquire()).resolves.toBeGreaterThanOrEqual(0);
  });
});
