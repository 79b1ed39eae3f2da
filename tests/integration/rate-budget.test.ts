import { describe, expect, it } from 'vitest';
import { dynamoRateBudgetStore } from '#adapters/dynamodb/rate-budget-store';
import { createRateBudget, type RateBudgetStore } from '#core/rate-budget';

function maxInAnySecond(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let max = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while ((sorted[i] ?? 0) - (sorted[j] ?? 0) >= 1000) j++;
    max = Math.max(max, i - j + 1);
  }
  return max;
}

describe('shared Stripe rate budget on DynamoDB Local', () => {
  it('30 concurrent workers at 25/s: reservations never exceed 25 in any second, and ≥ 90 % of the budget is used', async () => {
    const rps = 25;
    const reserved: number[] = [];
    // The real store, observed: the start time each reservation got.
    const observed: RateBudgetStore = {
      async reserve(budget, now, interval) {
        const at = await dynamoRateBudgetStore.reserve(budget, now, interval);
        reserved.push(at);
        return at;
      },
    };
    const budget = createRateBudget({ budget: `test-${Date.now()}`, requestsPerSecond: rps, store: observed });
    const end = Date.now() + 3_000;
    let granted = 0;
    await Promise.all(
      Array.from({ length: 30 }, async () => {
        while (Date.now() < end) {
          await budget.acquire();
          if (Date.now() < end) granted += 1;
        }
      }),
    );
    expect(new Set(reserved).size).toBe(reserved.length); // every start time handed out once
    expect(maxInAnySecond(reserved)).toBeLessThanOrEqual(rps);
    // Workers queue ahead (30 reservations ≈ 1.2 s at 25/s), so count the starts that fell inside the 3 s window.
    const first = Math.min(...reserved);
    const started = reserved.filter((at) => at < first + 3_000).length;
    expect(started).toBeGreaterThanOrEqual(Math.floor(rps * 3 * 0.9));
    expect(granted).toBeGreaterThan(0);
  });
});
