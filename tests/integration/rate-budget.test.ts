import { monitorEventLoopDelay } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { dynamoRateBudgetStore } from '#adapters/dynamodb/rate-budget-store';
import { createRateBudget, type RateBudgetStore } from '#core/rate-budget';
import { maxInAnySecond } from '#tests/rate-budget';

describe('shared Stripe rate budget on DynamoDB Local', () => {
  it.each([
    [1, 1],
    [3, 10],
  ])(
    '30 concurrent workers at 25/s in %i environment(s), %i start times per write: never more than 25 in any second, ≥ 90 % of the budget used, every start time reserved was used',
    async (environments, blockSize) => {
      const rps = 25;
      const reserved: number[] = [];
      const used: number[] = [];
      let writes = 0;
      // The real store, observed: the start times each reservation got.
      const observed: RateBudgetStore = {
        async reserve(budget, now, interval, count, expectIdle) {
          const at = await dynamoRateBudgetStore.reserve(budget, now, interval, count, expectIdle);
          writes += 1;
          for (let i = 0; i < count; i++) reserved.push(at + i * interval);
          return at;
        },
      };
      const name = `test-${Date.now()}-${blockSize}`;
      // Separate budgets (as separate Lambda environments would have) sharing the one item.
      const budgets = Array.from({ length: environments }, () =>
        createRateBudget({ budget: name, requestsPerSecond: rps, store: observed, blockSize }),
      );
      const loop = monitorEventLoopDelay({ resolution: 5 });
      loop.enable();
      const end = Date.now() + 3_000;
      await Promise.all(
        Array.from({ length: 30 }, async (_, i) => {
          const budget = budgets[i % environments];
          while (budget && Date.now() < end) {
            await budget.acquire();
            used.push(Date.now());
          }
        }),
      );
      loop.disable();
      expect(new Set(reserved).size).toBe(reserved.length); // every start time handed out once
      expect(maxInAnySecond(reserved)).toBeLessThanOrEqual(rps);
      // Requests start when their reserved time comes (timers fire a few ms late, so a sliding second can catch one
      // or two starts from its edges): a start time used twice or early would show as many more.
      // Within an environment each start is an interval after the previous one, stall or not. Environments here
      // share one event loop (in Lambda each has its own): a stall of d ms lets each other environment's late starts
      // meet these, at most ceil(d / interval) more per environment.
      const stallSlack = (environments - 1) * Math.ceil(loop.max / 1e6 / (1000 / rps));
      expect(maxInAnySecond(used), `event-loop stall ${Math.round(loop.max / 1e6)} ms`).toBeLessThanOrEqual(
        rps + 2 + stallSlack,
      );
      // Workers queue ahead (30 reservations ≈ 1.2 s at 25/s), so count the starts that fell inside the 3 s window.
      const first = Math.min(...reserved);
      const started = used.filter((at) => at < first + 3_000).length;
      expect(started).toBeGreaterThanOrEqual(Math.floor(rps * 3 * 0.9));
      // Start times are reserved only for waiting callers: every one reserved was used, none lapsed.
      expect(used.length).toBe(reserved.length);
      expect(writes).toBeLessThanOrEqual(reserved.length);
    },
  );

  it('reserves the same start times whichever write the caller expects first (idle or busy)', async () => {
    const name = `test-hint-${Date.now()}`;
    const now = Date.now();
    // Idle (never used), guessed busy: the busy write is refused, the idle one starts now.
    expect(await dynamoRateBudgetStore.reserve(name, now, 40, 2, false)).toBe(now);
    // Busy (nextAt = now + 80), guessed idle: the idle write is refused, the busy one queues behind.
    expect(await dynamoRateBudgetStore.reserve(name, now, 40, 1, true)).toBe(now + 80);
    // Guessed right, busy: queues behind again.
    expect(await dynamoRateBudgetStore.reserve(name, now, 40, 1, false)).toBe(now + 120);
    // Idle again a second later, guessed right: starts then.
    expect(await dynamoRateBudgetStore.reserve(name, now + 1_000, 40, 1, true)).toBe(now + 1_000);
    expect(await dynamoRateBudgetStore.reserve(name, now + 1_000, 40, 1, true)).toBe(now + 1_040);
  });
});
