import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  attributeDispute,
  attributeRefunds,
  planSellerReversals,
  planSellerTransfer,
  type SellerShare,
  sellerEarningEntries,
  stillHeldBy,
} from '#core/multi-seller';
import { paidOrderOf, sellerOf } from '#tests/payment-fakes';

const share = sellerOf;
const orderOf = paidOrderOf;

describe('seller shares', () => {
  it('take each seller fee with its own policy (half up)', () => {
    expect([share('a', 9_999, 300), share('b', 12_345, 500), share('c', 19_998, 1_000)].map((s) => s.fee)).toEqual([
      300, 617, 2_000,
    ]);
  });
});

describe('refund attribution', () => {
  const shares = [share('a', 10_000, 300), share('b', 5_000, 500), share('c', 2_500, 1_000)];
  it('gives a named refund to its seller, up to what is left of their items, and spreads the rest pro rata', () => {
    expect(attributeRefunds(shares, [{ amount: 2_000, partnerId: 'b' }])).toEqual([0, 2_000, 0]);
    expect(attributeRefunds(shares, [{ amount: 6_000, partnerId: 'b' }])).toEqual([800, 5_000, 200]);
    expect(attributeRefunds(shares, [{ amount: 1_750, partnerId: null }])).toEqual([1_000, 500, 250]);
  });
  it('never attributes more than a seller sold, and adds up to what was refunded (up to the order total)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ amount: fc.integer({ min: 1, max: 20_000 }), named: fc.integer({ min: -1, max: 2 }) }), {
          maxLength: 6,
        }),
        (refunds) => {
          const facts = refunds.map((r) => ({ amount: r.amount, partnerId: ['a', 'b', 'c'][r.named] ?? null }));
          const attributed = attributeRefunds(shares, facts);
          const total = facts.reduce((s, r) => s + r.amount, 0);
          attributed.forEach((value, i) => {
            expect(value).toBeGreaterThanOrEqual(0);
            expect(value).toBeLessThanOrEqual(shares[i]?.gross ?? 0);
          });
          expect(attributed.reduce((s, v) => s + v, 0)).toBe(Math.min(total, 17_500));
        },
      ),
    );
  });
});

describe('seller reversals', () => {
  it('reverse only the refunded seller, by R − half-up(fee × R / gross), and the whole net once fully refunded', () => {
    const sellers = [share('a', 10_000, 300), share('b', 5_000, 500)];
    const half = planSellerReversals(orderOf(sellers), [{ amount: 2_501, partnerId: 'b' }], 0);
    expect(half.map((p) => [p.share.partnerId, p.delta])).toEqual([['b', 2_501 - 125]]);
    const b = sellers[1] as SellerShare;
    const full = planSellerReversals(
      orderOf([sellers[0] as SellerShare, { ...b, transferReversed: 2_376 }]),
      [
        { amount: 2_501, partnerId: 'b' },
        { amount: 2_499, partnerId: 'b' },
      ],
      0,
    );
    expect(full.map((p) => [p.share.partnerId, p.target])).toEqual([['b', b.net]]);
    // Nothing new: a repeated event plans nothing.
    expect(
      planSellerReversals(orderOf([{ ...b, transferReversed: b.net }]), [{ amount: 5_000, partnerId: 'b' }], 0),
    ).toEqual([]);
  });
  it('waits for a seller transfer before reversing it', () => {
    const sellers = [share('a', 10_000, 300, null)];
    expect(planSellerReversals(orderOf(sellers), [{ amount: 1_000, partnerId: null }], 0)).toEqual([]);
  });
});

describe('a refund before the seller is paid', () => {
  const sellers = [share('a', 10_000, 300, null), share('b', 5_000, 500, null), share('c', 2_500, 1_000, null)];
  it('withholds the seller’s refund share from their transfer (nothing at all when their items were refunded)', () => {
    const refunds = [
      { amount: 2_501, partnerId: 'b' },
      { amount: 2_500, partnerId: 'c' },
    ];
    const order = orderOf(sellers);
    expect([0, 1, 2].map((i) => planSellerTransfer(order, i, refunds, 0))).toEqual([
      { amount: 9_700, withheld: 0, attempt: 0 },
      { amount: 4_750 - (2_501 - 125), withheld: 2_501 - 125, attempt: 0 },
      { amount: 0, withheld: 2_250, attempt: 0 },
    ]);
    // The lines: the earning of the whole net, the money moved, and the withheld share as a refund.
    const b = sellers[1] as SellerShare;
    const plan = planSellerTransfer(order, 1, refunds, 0);
    expect(
      sellerEarningEntries(order, { ...b, transferId: 'tr_b' }, plan, 0, 0).map((e) => [e.type, e.amount]),
    ).toEqual([
      ['earning', 4_750],
      ['transfer', -plan.amount],
      ['refund', -plan.withheld],
    ]);
    // Once sent, a later refund reverses only what was not withheld.
    const paid = orderOf([
      sellers[0] as SellerShare,
      { ...b, transferId: 'tr_b', transferPlan: plan, transferred: plan.amount },
      sellers[2] as SellerShare,
    ]);
    expect(planSellerReversals(paid, refunds, 0)).toEqual([]);
    const more = planSellerReversals(paid, [...refunds, { amount: 2_499, partnerId: 'b' }], 0);
    expect(more.map((p) => [p.share.partnerId, p.delta])).toEqual([['b', plan.amount]]);
  });
  it('never asks a transfer for more than is left on it after a lost dispute', () => {
    const b = { ...(sellers[1] as SellerShare), transferId: 'tr_b', transferred: 4_750, disputeReversed: 4_000 };
    const plans = planSellerReversals(orderOf([b]), [{ amount: 5_000, partnerId: 'b' }], 0);
    expect(plans.map((p) => [p.delta, p.target])).toEqual([[750, 750]]);
    expect(stillHeldBy({ ...b, transferReversed: 750 })).toBe(0);
  });
});

describe('a dispute on an order of several sellers', () => {
  it('spreads the disputed amount like a refund naming no seller, after the refunds so far', () => {
    const sellers = [share('a', 10_000, 300), share('b', 5_000, 500), share('c', 2_500, 1_000)];
    expect(attributeDispute(sellers, [], 17_500)).toEqual({ refunded: [0, 0, 0], disputed: [10_000, 5_000, 2_500] });
    expect(attributeDispute(sellers, [{ amount: 2_500, partnerId: 'b' }], 15_000)).toEqual({
      refunded: [0, 2_500, 0],
      disputed: [10_000, 2_500, 2_500],
    });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 17_500 }), fc.integer({ min: 0, max: 20_000 }), (refund, disputed) => {
        const { refunded, disputed: parts } = attributeDispute(
          sellers,
          [{ amount: refund, partnerId: null }],
          disputed,
        );
        expect(parts.reduce((s, v) => s + v, 0)).toBe(Math.min(disputed, 17_500 - Math.min(refund, 17_500)));
        parts.forEach((part, i) => {
          expect(part).toBeGreaterThanOrEqual(0);
          expect(part + (refunded[i] ?? 0)).toBeLessThanOrEqual(sellers[i]?.gross ?? 0);
        });
      }),
    );
  });
});
