import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DISPUTE_OUTCOME,
  disputeShares,
  orderDisputeShares,
  planDisputeHold,
  planDisputeLoss,
  planDisputeReversals,
  planDisputeReversing,
  planDisputeWon,
  planOrderDisputeLoss,
  planOrderDisputeReversing,
  type StripeDisputeView,
  splitFee,
} from '#core/disputes';
import { MAXIMUM_TRANSFER } from '#core/money';
import type { SellerShare } from '#core/multi-seller';
import { planAdjustment, planExclusion, planHold, planKeepReversal } from '#core/operator';
import type { Partner } from '#core/partner';
import { newPayment, type Payment } from '#core/payment';
import { decidePayout, ineligibility, type PayoutCandidate } from '#core/payout-rules';
import type { Payout } from '#core/payouts';
import { paidOrderOf, sellerOf } from '#tests/payment-fakes';

const NOW = Date.UTC(2026, 10, 22, 12);
const operator = { sub: 'admin-sub', email: 'ops@example.com' };
const payee = { id: 'ptn_aaaaaaaaaaaaaaaaaaaaaaaa', stripeAccountId: 'acct_payee' } as Partner & {
  stripeAccountId: string;
};

function payment(amount: number, bps = 1_000): Payment {
  const p = newPayment({
    id: 'pay_bbbbbbbbbbbbbbbbbbbbbbbb',
    kind: 'milestone',
    orderId: null,
    payee,
    customerSub: 'customer',
    amount,
    currency: 'usd',
    fee: { bps },
    description: 'Job',
    metadata: {},
    at: new Date(NOW).toISOString(),
  });
  return { ...p, status: 'paid' };
}

const dispute = (status: StripeDisputeView['status'], amount: number): StripeDisputeView => ({
  id: 'dp_1',
  status,
  reason: 'fraudulent',
  amount,
  currency: 'usd',
  chargeId: 'ch_1',
  paymentIntentId: 'pi_1',
  fee: { amount: 1_500, currency: 'usd' },
  created: NOW / 1000,
});

describe('dispute plans', () => {
  it('holds the partner share of the disputed amount, releases it when won', () => {
    const p = payment(10_000);
    const shares = disputeShares(p, 10_000, { id: 'tr_1' });
    expect(shares).toEqual([{ partnerId: payee.id, currency: 'usd', transferId: 'tr_1', amount: 9_000 }]);
    const hold = planDisputeHold(p, dispute('needs_response', 10_000), shares, NOW);
    expect(hold.write.entries.map((e) => [e.type, e.amount, e.payoutStatus])).toEqual([['hold', -9_000, 'pending']]);
    const won = planDisputeWon(hold.write.record, dispute('won', 10_000), NOW);
    expect(won.write.entries.map((e) => [e.type, e.amount])).toEqual([['release', 9_000]]);
    expect(won.write).toMatchObject({ expectedVersion: 1, record: { phase: 'won', version: 2 } });
  });

  it('a lost dispute: reversal of what the partner still holds, the rest owed, the fee as the policy says', () => {
    const p = payment(10_000);
    const hold = planDisputeHold(p, dispute('needs_response', 10_000), disputeShares(p, 10_000, { id: 'tr_1' }), NOW);
    // A refund since the dispute opened already took 2,250 back from the partner.
    const reversing = planDisputeReversing(hold.write.record, { ...p, partnerRefunded: 2_250 }, NOW);
    expect(reversing.record.shares[0]?.amount).toBe(6_750);
    expect(planDisputeReversals(reversing.record)).toEqual([
      { partnerId: payee.id, transferId: 'tr_1', amount: 6_750, idempotencyKey: `dispute-reversal:dp_1:${payee.id}` },
    ]);
    const reversed = planDisputeLoss(
      reversing.record,
      dispute('lost', 10_000),
      new Map([[payee.id, 6_750]]),
      'platform',
      NOW,
    );
    expect(reversed.write.entries.map((e) => [e.type, e.amount])).toEqual([['release', 9_000]]);
    const refused = planDisputeLoss(reversing.record, dispute('lost', 10_000), new Map(), 'partner', NOW);
    expect(refused.write.entries.map((e) => [e.id.split(':').at(-1), e.type, e.amount])).toEqual([
      ['release', 'release', 9_000],
      ['clawback', 'clawback', -6_750],
      ['fee', 'clawback', -1_500],
    ]);
  });

  it('every Stripe dispute status has an outcome; shares never exceed the partner net', () => {
    expect(Object.keys(DISPUTE_OUTCOME).sort()).toEqual(
      [
        'lost',
        'needs_response',
        'prevented',
        'under_review',
        'warning_closed',
        'warning_needs_response',
        'warning_under_review',
        'won',
      ].sort(),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 50, max: 99_999_999 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.nat(),
        (amount, bps, disputed) => {
          const p = payment(amount, bps);
          const [share] = disputeShares(p, disputed % (amount + 1), { id: null });
          return share !== undefined && share.amount >= 0 && share.amount <= p.net;
        },
      ),
    );
  });
});

const candidate = (held: PayoutCandidate['held'], overrides: Partial<PayoutCandidate> = {}): PayoutCandidate => ({
  partnerId: payee.id,
  status: 'active',
  payoutPreference: 'stripe',
  hold: null,
  currency: 'usd',
  held,
  ...overrides,
});
const rules = { minimumPayout: {}, defaultMinimum: 100 };
const entry = (id: string, amount: number, availableAt = 0) => ({ id, amount, availableAt });

describe('payout decisions: holds and bounds', () => {
  it('an operator hold comes first and lapses at its end; the partner’s preference cannot override it', () => {
    const held = { reason: 'fraud', until: NOW + 1_000 };
    expect(ineligibility({ status: 'active', payoutPreference: 'stripe', hold: held }, NOW)).toBe('operator_hold');
    expect(ineligibility({ status: 'restricted', payoutPreference: 'manual', hold: held }, NOW)).toBe('operator_hold');
    expect(ineligibility({ status: 'active', payoutPreference: 'stripe', hold: held }, NOW + 1_000)).toBeNull();
    expect(decidePayout(candidate([entry('a', 500)], { hold: held }), NOW, rules, NOW)).toEqual({
      kind: 'skip',
      reason: 'operator_hold',
      amount: 500,
    });
  });

  it('never pays more than one Transfer carries and never throws, whatever the entries', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ amount: fc.integer({ min: -MAXIMUM_TRANSFER, max: Number.MAX_SAFE_INTEGER }), at: fc.nat(100) }),
          {
            maxLength: 8,
          },
        ),
        (items) => {
          const held = items.filter((i) => i.amount !== 0).map((i, n) => entry(`e${n}`, i.amount, i.at));
          const decision = decidePayout(candidate(held), 1_000, rules);
          if (decision.kind === 'skip') return true;
          const paid = held.filter((e) => decision.entryIds.includes(e.id)).reduce((s, e) => s + e.amount, 0);
          return decision.amount === paid && decision.amount >= 100 && decision.amount <= MAXIMUM_TRANSFER;
        },
      ),
    );
    expect(decidePayout(candidate([entry('a', Number.MAX_SAFE_INTEGER), entry('b', 10)]), 1_000, rules)).toEqual({
      kind: 'skip',
      reason: 'amount_too_large',
      amount: 0,
    });
  });
});

describe('operator plans', () => {
  const payout = (overrides: Partial<Payout>): Payout => ({
    id: `po_2026-10_usd_${payee.id}`,
    runId: 'run_2026-10',
    partnerId: payee.id,
    period: '2026-10',
    currency: 'usd',
    amount: 4_000,
    status: 'planned',
    entries: [],
    attempt: 0,
    stripeTransferId: null,
    reason: null,
    attemptStartedAt: null,
    reversedAmount: 0,
    createdAt: '',
    updatedAt: '',
    version: 1,
    ...overrides,
  });

  it('records who and why with every plan', () => {
    const now = new Date(NOW);
    expect(planHold(payee.id, { reason: 'fraud' }, operator, now).action).toMatchObject({
      action: 'payout_hold_set',
      by: operator,
      reason: 'fraud',
    });
    expect(() => planHold(payee.id, { reason: 'x', until: new Date(NOW - 1).toISOString() }, operator, now)).toThrow(
      /future/,
    );
    const adjustment = planAdjustment(
      { partnerId: payee.id, amount: -3_000, currency: 'usd', reason: 'correction', externalId: 'x1' },
      'usd',
      operator,
      now,
    );
    expect(adjustment.entry).toMatchObject({
      type: 'adjustment',
      amount: -3_000,
      payoutStatus: 'pending',
      availableAt: NOW,
    });
    expect(adjustment.action.by).toEqual(operator);
  });

  it('excludes only payouts no transfer can exist for; keeps only what was reversed and not kept', () => {
    const now = new Date(NOW);
    expect(planExclusion(payout({ status: 'awaiting_funds', attempt: 2 }), 'r', operator, now).expected).toEqual({
      status: 'awaiting_funds',
      attempt: 2,
    });
    for (const status of ['sending', 'paid', 'reversed', 'carried_forward'] as const) {
      expect(() => planExclusion(payout({ status }), 'r', operator, now)).toThrow(/cannot be excluded/);
    }
    const kept = planKeepReversal(
      payout({ status: 'reversed', reversedAmount: 4_000, keptAmount: 1_000 }),
      'fraud',
      operator,
      now,
    );
    expect(kept.plan).toMatchObject({ kept: 3_000, keptTotal: 4_000, entry: { amount: -3_000 } });
    expect(() => planKeepReversal(payout({ status: 'paid' }), 'fraud', operator, now)).toThrow();
  });
});

describe('dispute plans for an order of several sellers', () => {
  const seller = sellerOf;
  const orderOf = paidOrderOf;

  const sellers = [seller('a', 10_000, 300), seller('b', 5_000, 500), seller('c', 2_500, 1_000, null)];
  const order = orderOf(sellers);
  const p = { ...payment(17_500), id: 'pay_1', orderId: 'ord_1', split: 'separate' as const, partnerId: 'platform' };

  it('holds each seller’s net share of their part of the disputed amount (the refund rule), never more than they hold', () => {
    expect(orderDisputeShares(order, 17_500, []).map((s) => [s.partnerId, s.transferId, s.amount])).toEqual([
      ['a', 'tr_a', 9_700],
      ['b', 'tr_b', 4_750],
      ['c', null, 2_250],
    ]);
    // Half of the order disputed: half of each seller's items, their net share of it.
    expect(orderDisputeShares(order, 8_750, []).map((s) => s.amount)).toEqual([5_000 - 150, 2_500 - 125, 1_250 - 125]);
    // After b's items were refunded in full, the dispute of the rest falls on a and c only.
    const refunded = orderDisputeShares(order, 12_500, [{ amount: 5_000, partnerId: 'b' }]);
    expect(refunded.map((s) => s.amount)).toEqual([9_700, 0, 2_250]);
    const hold = planDisputeHold(p, dispute('needs_response', 17_500), orderDisputeShares(order, 17_500, []), NOW);
    expect(hold.write.entries.map((e) => [e.partnerId, e.type, e.amount])).toEqual([
      ['a', 'hold', -9_700],
      ['b', 'hold', -4_750],
      ['c', 'hold', -2_250],
    ]);
  });

  it('lost: each seller’s transfer is reversed for what they still hold; reversals booked with the order, the rest owed, the fee split', () => {
    const hold = planDisputeHold(p, dispute('needs_response', 17_500), orderDisputeShares(order, 17_500, []), NOW);
    // Since the dispute opened: a refund reversed 1,000 of b's transfer; c is still unpaid.
    const now = orderOf([
      sellers[0] as SellerShare,
      { ...(sellers[1] as SellerShare), transferReversed: 1_000 },
      sellers[2] as SellerShare,
    ]);
    const reversing = planOrderDisputeReversing(hold.write.record, now, NOW);
    expect(planDisputeReversals(reversing.record).map((r) => [r.transferId, r.amount, r.idempotencyKey])).toEqual([
      ['tr_a', 9_700, 'dispute-reversal:dp_1:a'],
      ['tr_b', 3_750, 'dispute-reversal:dp_1:b'],
    ]);
    const lost = planOrderDisputeLoss(
      reversing.record,
      now,
      dispute('lost', 17_500),
      new Map([
        ['a', 9_700],
        ['b', 3_750],
      ]),
      'partner',
      NOW,
    );
    expect(lost.write.orderReversals).toEqual({
      orderId: 'ord_1',
      sellers: [
        { index: 0, amount: 9_700 },
        { index: 1, amount: 3_750 },
      ],
    });
    const lines = lost.write.entries.map((e) => [
      e.partnerId,
      e.id.split(':').at(-1),
      e.type,
      e.amount,
      e.payoutStatus,
    ]);
    expect(lines).toEqual(
      expect.arrayContaining([
        ['a', 'release', 'release', 9_700, 'pending'],
        ['a', 'reversed', 'clawback', -9_700, 'transferred'],
        ['a', 'reversal', 'reversal', 9_700, 'transferred'],
        ['b', 'reversed', 'clawback', -3_750, 'transferred'],
        // c had no transfer: its share is owed, netted against its later earnings.
        ['c', 'clawback', 'clawback', -2_250, 'pending'],
      ]),
    );
    // The fee (1,500) split by the shares fixed when lost (9,700 / 3,750 / 2,250), largest remainder.
    expect(lost.write.record.shares.map((s) => s.feeCharged)).toEqual(splitFee(1_500, [9_700, 3_750, 2_250]));
    expect(lost.write.record.shares.reduce((sum, s) => sum + s.feeCharged, 0)).toBe(1_500);
    // Each seller's lines of the loss net to minus (what was reversed + owed + fee), once.
    for (const share of lost.write.record.shares) {
      const mine = lost.write.entries.filter((e) => e.partnerId === share.partnerId);
      expect(new Set(mine.map((e) => e.id)).size).toBe(mine.length);
    }
  });

  it('splits the dispute fee in proportion, largest remainder, ties to the earlier seller; nothing without shares', () => {
    expect(splitFee(1_500, [1, 1, 1])).toEqual([500, 500, 500]);
    expect(splitFee(100, [1, 1, 1])).toEqual([34, 33, 33]);
    expect(splitFee(1_500, [0, 0])).toEqual([0, 0]);
    // A partner whose share refunds already took back still pays the fee when the policy says so.
    const p = payment(10_000);
    const hold = planDisputeHold(p, dispute('needs_response', 10_000), disputeShares(p, 10_000, { id: 'tr_1' }), NOW);
    const reversing = planDisputeReversing(hold.write.record, { ...p, partnerRefunded: 9_000 }, NOW);
    const lost = planDisputeLoss(reversing.record, dispute('lost', 10_000), new Map(), 'partner', NOW);
    expect(lost.write.record.shares.map((s) => [s.amount, s.feeCharged])).toEqual([[0, 1_500]]);
    fc.assert(
      fc.property(fc.nat(100_000), fc.array(fc.nat(1_000_000), { minLength: 1, maxLength: 5 }), (fee, weights) => {
        const split = splitFee(fee, weights);
        const total = weights.reduce((a, b) => a + b, 0);
        expect(split.reduce((a, b) => a + b, 0)).toBe(total > 0 ? fee : 0);
        expect(split.every((part, i) => part === 0 || (weights[i] ?? 0) > 0)).toBe(true);
      }),
    );
  });
});
