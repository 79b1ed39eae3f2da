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

/**
 * A virtual clock for callers of rate budgets: `sleep` parks a caller until the clock reaches its time, and `drive`
 * moves the clock from one parked caller to the next until `running` settles — seconds of traffic in milliseconds.
 */
export function virtualClock(start = 1_000_000) {
  let time = start;
  const timers: Array<{ at: number; resolve: () => void }> = [];
  return {
    now: () => time,
    sleep: (ms: number) => new Promise<void>((resolve) => timers.push({ at: time + ms, resolve })),
    async drive(running: Promise<unknown>): Promise<void> {
      let done = false;
      void running.then(() => {
        done = true;
      });
      while (!done) {
        await new Promise((resolve) => setImmediate(resolve));
        timers.sort((a, b) => a.at - b.at);
        const next = timers.shift();
        if (!next) continue;
        time = Math.max(time, next.at);
        next.resolve();
      }
      await running;
    },
  };
}
