import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { balances, EARNING_TYPES } from '#core/ledger';
import { platformFee } from '#core/money';
import type { Partner } from '#core/partner';
import { newPayment, type Payment } from '#core/payment';
import type { LedgerRecord, StripePaymentView } from '#core/payment-ports';
import { planSettlement } from '#core/settlement';

/** The settlement rule: converge on Stripe's cumulative figures, forward only, ledger deltas exact. */

const NOW = Date.UTC(2026, 10, 22, 12);
const payee = { id: 'ptn_aaaaaaaaaaaaaaaaaaaaaaaa', stripeAccountId: 'acct_payee' } as Partner & {
  stripeAccountId: string;
};

function payment(amount: number, bps = 1_000): Payment {
  return newPayment({
    id: 'pay_bbbbbbbbbbbbbbbbbbbbbbbb',
    kind: 'milestone',
    orderId: null,
    payee,
    customerSub: 'customer',
    amount,
    currency: 'usd',
    fee: { bps },
    description: 'Milestone',
    metadata: {},
    at: new Date(NOW).toISOString(),
  });
}

function view(p: Payment, overrides: Partial<StripePaymentView> = {}): StripePaymentView {
  return {
    paymentIntentId: 'pi_1',
    outcome: 'succeeded',
    failureCode: null,
    amount: p.amount,
    currency: p.currency,
    destination: p.stripeAccountId,
    metadata: { paymentId: p.id },
    chargeId: 'ch_1',
    chargeCreated: Math.floor(NOW / 1000) - 10,
    amountCaptured: p.amount,
    amountRefunded: 0,
    applicationFee: p.fee,
    applicationFeeRefunded: 0,
    transferReversed: 0,
    description: null,
    ...overrides,
  };
}

/** Applies views in order, as successive webhook deliveries would, collecting the ledger. */
function fold(start: Payment, views: readonly StripePaymentView[]) {
  let current = start;
  const ledger: LedgerRecord[] = [];
  for (const v of views) {
    const plan = planSettlement(current, v, NOW, NOW);
    if (!plan.changed) continue;
    current = plan.payment;
    ledger.push(...plan.entries);
  }
  return { payment: current, ledger };
}

const visibleSum = (ledger: readonly LedgerRecord[]) =>
  ledger.filter((e) => EARNING_TYPES.has(e.type)).reduce((total, e) => total + e.amount, 0);

describe('planSettlement', () => {
  it('pays: earning of the net (transferred) and the transfer that moved it', () => {
    const p = payment(10_000);
    const plan = planSettlement(p, view(p), NOW, NOW);
    expect(plan).toMatchObject({ changed: true, outcome: 'paid', payment: { status: 'paid', fee: 1_000, net: 9_000 } });
    expect(plan.entries.map((e) => [e.type, e.amount, e.payoutStatus])).toEqual([
      ['earning', 9_000, 'transferred'],
      ['transfer', -9_000, 'transferred'],
    ]);
    expect(plan.entries[0]).toMatchObject({
      gross: 10_000,
      fee: 1_000,
      occurredAt: (Math.floor(NOW / 1000) - 10) * 1000,
    });
  });

  it('fails only a pending payment, and a failed payment can still be paid', () => {
    const p = payment(5_000);
    const failed = planSettlement(p, view(p, { outcome: 'failed', failureCode: 'card_declined' }), NOW, NOW);
    expect(failed.payment).toMatchObject({ status: 'failed', failureCode: 'card_declined' });
    expect(failed.entries).toEqual([]);
    const paid = planSettlement(failed.payment, view(p), NOW, NOW);
    expect(paid.payment).toMatchObject({ status: 'paid', failureCode: null });
    expect(planSettlement(paid.payment, view(p, { outcome: 'failed' }), NOW, NOW).changed).toBe(false);
  });

  it('refuses a Stripe payment that does not match the record (amount, currency, destination, other intent)', () => {
    const p = payment(5_000);
    for (const wrong of [
      { amount: 5_001 },
      { currency: 'eur' },
      { destination: 'acct_other' },
    ] satisfies Partial<StripePaymentView>[]) {
      expect(planSettlement(p, view(p, wrong), NOW, NOW)).toMatchObject({ changed: false, outcome: 'mismatch' });
    }
    const attached = { ...p, stripePaymentIntentId: 'pi_1' };
    expect(planSettlement(attached, view(p, { paymentIntentId: 'pi_2' }), NOW, NOW).outcome).toBe('mismatch');
  });

  it('records a refund by what Stripe took back from the partner, and a fee given back as an adjustment', () => {
    const p = payment(10_000);
    const paid = planSettlement(p, view(p), NOW, NOW).payment;
    const refunded = planSettlement(
      paid,
      view(p, { amountRefunded: 4_000, transferReversed: 4_000, applicationFeeRefunded: 400 }),
      NOW,
      NOW,
    );
    expect(refunded.payment).toMatchObject({ status: 'partially_refunded', partnerRefunded: 3_600 });
    expect(refunded.entries.map((e) => [e.type, e.amount])).toEqual([
      ['refund', -3_600],
      ['reversal', 3_600],
    ]);
    // The platform refunded its fee only (no reversal): the partner is 100 better off.
    const feeOnly = planSettlement(paid, view(p, { applicationFeeRefunded: 100 }), NOW, NOW);
    expect(feeOnly.entries.map((e) => [e.type, e.amount])).toEqual([
      ['adjustment', 100],
      ['transfer', -100],
    ]);
  });

  it('converges on the latest Stripe state whatever the order, duplication or staleness of deliveries', () => {
    const scenario = fc
      .record({
        amount: fc.integer({ min: 50, max: 5_000_000 }),
        bps: fc.constantFrom(300, 500, 1_000, 2_000),
        declinedFirst: fc.boolean(),
        refunds: fc.array(fc.integer({ min: 1, max: 1_000_000 }), { maxLength: 4 }),
        reverse: fc.boolean(),
        extraReversal: fc.integer({ min: 0, max: 500 }),
      })
      .map((s) => {
        const p = payment(s.amount, s.bps);
        const fee = platformFee(s.amount, { bps: s.bps });
        const views: StripePaymentView[] = [view(p, { outcome: 'open', chargeId: null })];
        if (s.declinedFirst) views.push(view(p, { outcome: 'failed', failureCode: 'card_declined', chargeId: null }));
        views.push(view(p));
        let refunded = 0;
        let reversed = 0;
        let feeRefunded = 0;
        for (const r of s.refunds) {
          const amount = Math.min(r, s.amount - refunded);
          if (amount <= 0) break;
          refunded += amount;
          if (s.reverse) {
            // As Stripe does: each refund reverses its share of the transfer and refunds its share of the fee.
            reversed += amount;
            feeRefunded += Math.min(Math.round((amount * fee) / s.amount), fee - feeRefunded);
          }
          views.push(
            view(p, { amountRefunded: refunded, transferReversed: reversed, applicationFeeRefunded: feeRefunded }),
          );
        }
        const extra = Math.min(s.extraReversal, s.amount - reversed);
        if (extra > 0) {
          reversed += extra;
          views.push(
            view(p, { amountRefunded: refunded, transferReversed: reversed, applicationFeeRefunded: feeRefunded }),
          );
        }
        return { p, views };
      });
    fc.assert(
      fc.property(
        scenario.chain(({ p, views }) =>
          fc
            .array(fc.nat({ max: views.length - 1 }), { maxLength: 12 })
            .map((picks) => ({ p, views, deliveries: [...picks.map((i) => views[i] as StripePaymentView)] })),
        ),
        fc.boolean(),
        ({ p, views, deliveries }, latestLast) => {
          const latest = views.at(-1) as StripePaymentView;
          // Any deliveries of any snapshots, in any order, then (at some point) the latest state.
          const sequence = latestLast ? [...deliveries, latest] : [latest, ...deliveries];
          const delivered = fold(p, sequence);
          const direct = fold(p, [latest]);
          const { ledger: _l1, payment: a } = delivered;
          const { payment: b } = direct;
          expect({ ...a, version: 0 }).toEqual({ ...b, version: 0 });
          expect(visibleSum(delivered.ledger)).toBe(visibleSum(direct.ledger));
          expect(visibleSum(delivered.ledger)).toBe(a.net - (latest.transferReversed - latest.applicationFeeRefunded));
          // Destination charges: Stripe pays the partner, the platform holds nothing for them.
          expect(balances(delivered.ledger).usd ?? 0).toBe(0);
          expect(new Set(delivered.ledger.map((e) => e.id)).size).toBe(delivered.ledger.length);
        },
      ),
      { numRuns: 300 },
    );
  });
});
