import { describe, expect, it } from 'vitest';
import { isPeriod, periodBounds, previousPeriod } from '#core/period';

describe('payout periods', () => {
  it('pays the month that just ended', () => {
    expect(previousPeriod(new Date('2026-12-01T06:00:00Z'))).toBe('2026-11');
    expect(previousPeriod(new Date('2027-01-01T06:00:00Z'))).toBe('2026-12');
  });

  it('validates the YYYY-MM form', () => {
    expect(isPeriod('2026-11')).toBe(true);
    for (const bad of ['2026-13', '2026-1', '26-11', '2026-00', '']) expect(isPeriod(bad)).toBe(false);
  });

  it('bounds a period in UTC, end exclusive, across the year boundary', () => {
    expect(periodBounds('2026-12')).toEqual({ start: Date.UTC(2026, 11, 1), end: Date.UTC(2027, 0, 1) });
  });
});
