import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CURRENCIES, chargeAmountProblem, MAXIMUM_CHARGE, platformFee, splitCharge, sum } from '#core/money';

const amount = fc.integer({ min: 0, max: MAXIMUM_CHARGE });
const bps = fc.integer({ min: 0, max: 10_000 });

describe('platformFee (half-up to a whole minor unit)', () => {
  it.each([
    // amount, bps, fee
    [10_000, 300, 300], // 3 % of $100.00
    [10_000, 500, 500], // 5 %
    [10_000, 2_000, 2_000], // 20 %: the driver keeps 80 %
    [1, 300, 0], // 0.03 cent rounds down
    [17, 300, 1], // 0.51 cent rounds up
    [50, 300, 2], // 1.5 cents: the half rounds up
    [150, 300, 5], // 4.5 -> 5
    [149, 300, 4], // 4.47 -> 4
    [MAXIMUM_CHARGE, 300, 3_000_000], // 2,999,999.97 -> 3,000,000
    [MAXIMUM_CHARGE, 10_000, MAXIMUM_CHARGE],
    [0, 500, 0],
  ])('%i at %i bps -> %i', (a, b, fee) => {
    expect(platformFee(a, { bps: b })).toBe(fee);
  });

  it('is within half a minor unit of the exact fee, for every amount and rate', () => {
    fc.assert(
      fc.property(amount, bps, (a, b) => {
        const fee = platformFee(a, { bps: b });
        // |fee - a*b/10000| <= 1/2  <=>  |fee*10000 - a*b| <= 5000 (exact in integers)
        const error = fee * 10_000 - a * b;
        return Number.isInteger(fee) && error <= 5_000 && error > -5_000;
      }),
      { numRuns: 5_000 },
    );
  });

  it('never exceeds the amount, never goes negative, and fee + net = gross', () => {
    fc.assert(
      fc.property(amount, bps, fc.option(fc.integer({ min: 0, max: 10_000 })), (a, b, minimumFee) => {
        const split = splitCharge(a, minimumFee === null ? { bps: b } : { bps: b, minimumFee });
        return split.fee >= 0 && split.fee <= a && split.net >= 0 && split.fee + split.net === a;
      }),
      { numRuns: 5_000 },
    );
  });

  it('is monotonic in the amount and in the rate', () => {
    fc.assert(
      fc.property(amount, amount, bps, (a, b, rate) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        return platformFee(lo, { bps: rate }) <= platformFee(hi, { bps: rate });
      }),
    );
    fc.assert(
      fc.property(amount, bps, bps, (a, r1, r2) => {
        const [lo, hi] = r1 <= r2 ? [r1, r2] : [r2, r1];
        return platformFee(a, { bps: lo }) <= platformFee(a, { bps: hi });
      }),
    );
  });

  it('applies the minimum fee but never above the amount', () => {
    expect(platformFee(1_000, { bps: 300, minimumFee: 50 })).toBe(50);
    expect(platformFee(30, { bps: 300, minimumFee: 50 })).toBe(30);
    expect(platformFee(100_000, { bps: 300, minimumFee: 50 })).toBe(3_000);
  });

  it('refuses fractional amounts and out-of-range rates instead of rounding them silently', () => {
    expect(() => platformFee(10.5, { bps: 300 })).toThrow(RangeError);
    expect(() => platformFee(-1, { bps: 300 })).toThrow(RangeError);
    expect(() => platformFee(100, { bps: 10_001 })).toThrow(RangeError);
    expect(() => platformFee(100, { bps: 2.5 })).toThrow(RangeError);
  });
});

describe('charge amounts', () => {
  it("accepts Stripe's minimum and maximum and refuses just outside them", () => {
    for (const [currency, rule] of Object.entries(CURRENCIES)) {
      const c = currency as keyof typeof CURRENCIES;
      expect(chargeAmountProblem(rule.minimumCharge, c)).toBeUndefined();
      expect(chargeAmountProblem(rule.minimumCharge - 1, c)).toMatch(/at least/);
      expect(chargeAmountProblem(MAXIMUM_CHARGE, c)).toBeUndefined();
      expect(chargeAmountProblem(MAXIMUM_CHARGE + 1, c)).toMatch(/at most/);
    }
    expect(chargeAmountProblem(0, 'usd')).toMatch(/positive integer/);
    expect(chargeAmountProblem(99.5, 'usd')).toMatch(/positive integer/);
  });

  it('sums one currency exactly and refuses to mix currencies', () => {
    expect(
      sum(
        [
          { amount: 1, currency: 'usd' },
          { amount: 2, currency: 'usd' },
        ],
        'usd',
      ),
    ).toEqual({ amount: 3, currency: 'usd' });
    expect(() => sum([{ amount: 1, currency: 'eur' }], 'usd')).toThrow(/cannot add/);
  });
});
