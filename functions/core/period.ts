/** A payout period is a calendar month in UTC, written `YYYY-MM`. */
export type Period = `${number}-${string}`;

const PERIOD_PATTERN = /^(\d{4})-(0[1-9]|1[0-2])$/;

export function isPeriod(value: string): value is Period {
  return PERIOD_PATTERN.test(value);
}

/** The month that ended before `now`: a run on 2026-12-01 06:00 UTC pays 2026-11. */
export function previousPeriod(now: Date): Period {
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth(); // 0-based: the previous month as 1-based
  const [y, m] = month === 0 ? [year - 1, 12] : [year, month];
  return `${y}-${String(m).padStart(2, '0')}` as Period;
}

/** The month after `period` (`2026-12` → `2027-01`). */
export function nextPeriod(period: Period): Period {
  return previousPeriod(new Date(periodBounds(period).end + 32 * 24 * 3_600_000));
}

/** The calendar month `now` is in. */
export function currentPeriod(now: Date): Period {
  return `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}` as Period;
}

/**
 * Whether a run (or dry run) may name `period`: from the platform's launch month (nothing was earned before it) to
 * the month after the current one (a dry run of what is accruing). Periods compare as text (`YYYY-MM`).
 */
export function periodOutOfRange(
  period: Period,
  launchMonth: Period,
  now: Date,
): 'before_launch' | 'too_far_ahead' | null {
  if (period < launchMonth) return 'before_launch';
  if (period > nextPeriod(currentPeriod(now))) return 'too_far_ahead';
  return null;
}

/** [start, end) of the period in epoch milliseconds. */
export function periodBounds(period: Period): { start: number; end: number } {
  const match = PERIOD_PATTERN.exec(period);
  if (!match) throw new Error(`Not a period: ${period}`);
  const year = Number(match[1]);
  const month = Number(match[2]) - 1;
  return { start: Date.UTC(year, month, 1), end: Date.UTC(year, month + 1, 1) };
}
