import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertValidEntry, balances, type EntryType, summarizeEarnings, windowStarts } from '#core/ledger';

const NOW = Date.UTC(2026, 10, 22, 15, 30); // 2026-11-22 15:30 UTC
const at = (iso: string) => Date.parse(iso);
const earning = (amount: number, occurredAt: number, type: EntryType = 'earning') => ({
  currency: 'usd' as const,
  amount,
  type,
  occurredAt,
});

describe('ledger entries', () => {
  it('enforces the sign of each entry type', () => {
    expect(() => assertValidEntry({ type: 'earning', amount: -1 })).toThrow(/positive/);
    expect(() => assertValidEntry({ type: 'payout', amount: 5 })).toThrow(/negative/);
    expect(() => assertValidEntry({ type: 'earning', amount: 0 })).toThrow(/non-zero/);
    expect(() => assertValidEntry({ type: 'earning', amount: 1.5 })).toThrow(/integer/);
    expect(() => assertValidEntry({ type: 'adjustment', amount: -7 })).not.toThrow();
  });

  it('balances are the sum of entries per currency', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            currency: fc.constantFrom('usd' as const, 'eur' as const),
            amount: fc.integer({ min: -1e6, max: 1e6 }),
          }),
        ),
        (entries) => {
          const totals = balances(entries);
          const usd = entries.filter((e) => e.currency === 'usd').reduce((s, e) => s + e.amount, 0);
          return (totals.usd ?? 0) === usd;
        },
      ),
    );
  });
});

describe('earnings summary windows (UTC calendar days)', () => {
  it('starts today at 00:00 UTC, the 7-day window six days earlier, the 30-day window 29 days earlier', () => {
    expect(windowStarts(NOW)).toEqual({
      today: at('2026-11-22T00:00:00Z'),
      last7Days: at('2026-11-16T00:00:00Z'),
      last30Days: at('2026-10-24T00:00:00Z'),
    });
  });

  it.each([
    ['2026-11-22T00:00:00.000Z', { today: 100, last7Days: 100, last30Days: 100 }],
    ['2026-11-21T23:59:59.999Z', { today: 0, last7Days: 100, last30Days: 100 }],
    ['2026-11-16T00:00:00.000Z', { today: 0, last7Days: 100, last30Days: 100 }],
    ['2026-11-15T23:59:59.999Z', { today: 0, last7Days: 0, last30Days: 100 }],
    ['2026-10-24T00:00:00.000Z', { today: 0, last7Days: 0, last30Days: 100 }],
    ['2026-10-23T23:59:59.999Z', { today: 0, last7Days: 0, last30Days: 0 }],
  ])('an earning at %s counts in %j', (iso, expected) => {
    const summary = summarizeEarnings([earning(100, at(iso))], NOW);
    expect(summary.usd).toEqual({ ...expected, allTime: 100 });
  });

  it('counts only the partner share (earnings, refunds, clawbacks, adjustments), never money movements', () => {
    const summary = summarizeEarnings(
      [
        earning(1000, NOW - 1000),
        earning(-1000, NOW - 1000, 'transfer'),
        earning(-200, NOW - 500, 'refund'),
        earning(-1000, NOW, 'payout'),
      ],
      NOW,
    );
    expect(summary.usd).toEqual({ today: 800, last7Days: 800, last30Days: 800, allTime: 800 });
  });

  it('ignores entries dated in the future and keeps currencies apart', () => {
    const summary = summarizeEarnings([earning(5, NOW + 1), { ...earning(7, NOW), currency: 'eur' as const }], NOW);
    expect(summary).toEqual({ eur: { today: 7, last7Days: 7, last30Days: 7, allTime: 7 } });
  });

  it('windows are nested: today <= 7 days <= 30 days <= all time for non-negative earnings', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ amount: fc.integer({ min: 1, max: 1e6 }), ago: fc.integer({ min: 0, max: 90 * 86_400_000 }) }),
        ),
        (items) => {
          const s = summarizeEarnings(
            items.map((i) => earning(i.amount, NOW - i.ago)),
            NOW,
          ).usd;
          return (
            s === undefined || (s.today <= s.last7Days && s.last7Days <= s.last30Days && s.last30Days <= s.allTime)
          );
        },
      ),
    );
  });
});
