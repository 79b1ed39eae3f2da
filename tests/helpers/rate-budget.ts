import type { RateBudgetStore } from '#core/rate-budget';

/** The rate-budget store's semantics in memory (the DynamoDB store does the same with conditional updates). */
export function memoryRateBudgetStore(): RateBudgetStore {
  const nextAt = new Map<string, number>();
  return {
    async reserve(budget, now, interval, count) {
      const next = nextAt.get(budget);
      const start = next === undefined || next <= now ? now : next;
      nextAt.set(budget, start + interval * count);
      return start;
    },
  };
}

/** The most of these times (ms) that fall in any sliding second. */
export function maxInAnySecond(times: readonly number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let max = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while ((sorted[i] ?? 0) - (sorted[j] ?? 0) >= 1000) j++;
    max = Math.max(max, i - j + 1);
  }
  return max;
}
