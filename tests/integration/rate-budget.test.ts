import { describe, expect, it } from 'vitest';
import { dynamoRateBudgetStore } from '#adapters/dynamodb/rate-budget-store';
import { createRateBudget, planSlots, type RateBudgetStore } from '#core/rate-budget';

describe('shared Stripe rate budget on DynamoDB Local', () => {
  it('30 concurrent workers at 25/s: no slot over capacity, no second over 25, and ≥ 90 % of the budget used', async () => {
    const rps = 25;
    const { slotMs, permitsPerSlot } = planSlots(rps);
    const granted = new Map<number, number>();
    // The real conditional-update store, observed: which slot each granted permit came from.
    const observed: RateBudgetStore = {
      async tryTake(budget, slot, capacity, expiresAt) {
        const ok = await dynamoRateBudgetStore.tryTake(budget, slot, capacity, expiresAt);
        if (ok) granted.set(slot, (granted.get(slot) ?? 0) + 1);
        return ok;
      },
    };
    const budget = createRateBudget({ budget: `test-${Date.now()}`, requestsPerSecond: rps, store: observed });
    const end = Date.now() + 3_000;
    let total = 0;
    await Promise.all(
      Array.from({ length: 30 }, async () => {
        while (Date.now() < end) {
          await budget.acquire();
          total += 1;
        }
      }),
    );
    for (const count of granted.values()) expect(count).toBeLessThanOrEqual(permitsPerSlot);
    const perSecond = new Map<number, number>();
    for (const [slot, count] of granted) {
      const second = Math.floor((slot * slotMs) / 1000);
      perSecond.set(second, (perSecond.get(second) ?? 0) + count);
    }
    for (const count of perSecond.values()) expect(count).toBeLessThanOrEqual(rps);
    // 3 s of budget, minus the permits still being taken when the clock ran out.
    expect(total).toBeGreaterThanOrEqual(Math.floor(rps * 3 * 0.9));
  });
});
