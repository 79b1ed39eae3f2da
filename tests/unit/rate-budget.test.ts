import { describe, expect, it } from 'vitest';
import { createRateBudget, planSlots, RateBudgetExhausted, type RateBudgetStore } from '#core/rate-budget';

/** An in-memory store with a virtual clock: many "workers" acquire concurrently for a simulated span of time. */
function simulate(requestsPerSecond: number, workers: number, seconds: number) {
  let time = 1_000_000;
  const taken = new Map<string, number>();
  const store: RateBudgetStore = {
    async tryTake(budget, slot, capacity) {
      const key = `${budget}:${slot}`;
      const used = taken.get(key) ?? 0;
      if (used >= capacity) return false;
      taken.set(key, used + 1);
      return true;
    },
  };
  const sleeps: Array<{ at: number; resolve: () => void }> = [];
  const budget = createRateBudget({
    budget: 'stripe',
    requestsPerSecond,
    store,
    now: () => time,
    sleep: (ms) => new Promise<void>((resolve) => sleeps.push({ at: time + ms, resolve })),
  });
  const grants: number[] = [];
  const end = time + seconds * 1000;
  const worker = async () => {
    while (time < end) {
      await budget.acquire();
      if (time < end) grants.push(time);
      await new Promise<void>((resolve) => sleeps.push({ at: time + 1, resolve })); // the request itself
    }
  };
  const runners = Array.from({ length: workers }, worker);
  const drive = async () => {
    while (time < end + 2000) {
      await new Promise((resolve) => setImmediate(resolve));
      sleeps.sort((a, b) => a.at - b.at);
      const next = sleeps.shift();
      if (!next) break;
      time = Math.max(time, next.at);
      next.resolve();
    }
  };
  return { done: Promise.race([Promise.all(runners), drive()]).then(() => grants), start: time };
}

describe('rate budget', () => {
  it('divides a second into slots with whole permits', () => {
    expect(planSlots(25)).toEqual({ slotMs: 200, permitsPerSlot: 5 });
    expect(planSlots(100)).toEqual({ slotMs: 200, permitsPerSlot: 20 });
    expect(planSlots(3).permitsPerSlot).toBe(1);
    expect(() => planSlots(0)).toThrow(RangeError);
  });

  it.each([
    [25, 40],
    [100, 60],
  ])(
    '%i/s shared by %i workers: never more than the limit in any second, and at least 95 %% of it',
    async (rps, workers) => {
      const { done, start } = simulate(rps, workers, 10);
      const grants = await done;
      const perSecond = new Map<number, number>();
      for (const at of grants)
        perSecond.set(Math.floor((at - start) / 1000), (perSecond.get(Math.floor((at - start) / 1000)) ?? 0) + 1);
      for (const count of perSecond.values()) expect(count).toBeLessThanOrEqual(rps);
      expect(grants.length).toBeGreaterThanOrEqual(rps * 10 * 0.95);
    },
  );

  it('gives up after its maximum wait so a worker can hand its message back', async () => {
    let time = 0;
    const budget = createRateBudget({
      budget: 'stripe',
      requestsPerSecond: 10,
      store: { tryTake: async () => false },
      now: () => time,
      sleep: async (ms) => {
        time += ms;
      },
      maxWaitMs: 1_000,
    });
    await expect(budget.acquire()).rejects.toBeInstanceOf(RateBudgetExhausted);
  });
});
