import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attributeRefunds, planSellerReversals, type SellerShare, sellerShare } from '#core/multi-seller';
import type { Order } from '#core/payment';

const share = (partnerId: string, gross: number, bps: number, transferId: string | null = `tr_${partnerId}`) => ({
  ...sellerShare({ id: partnerId, stripeAccountId: `acct_${partnerId}` }, gross, { bps }),
  transferId,
});

const orderOf = (sellers: SellerShare[]): Order => ({
  id: 'ord_1',
  paymentId: 'pay_1',
  partnerId: 'platform',
  customerSub: 'buyer',
  customerEmail: null,
  currency: 'usd',
  amount: sellers.reduce((s, x) => s + x.gross, 0),
  fee: sellers.reduce((s, x) => s + x.fee, 0),
  net: sellers.reduce((s, x) => s + x.net, 0),
  status: 'paid',
  reference: null,
  metadata: {},
  reservation: 'sold',
  sellers,
  items: [],
  successUrl: '',
  cancelUrl: '',
  stripeCheckoutSessionId: null,
  createdAt: '',
  updatedAt: '',
});

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
