import { assertValidEntry, type EntryType } from './ledger.ts';
import {
  pendingSellerTransfers,
  planSellerReversals,
  planSellerTransfer,
  type RefundFact,
  sellerEarningEntries,
} from './multi-seller.ts';
import type { Order, Payment } from './payment.ts';
import { paymentEvents } from './payment-events.ts';
import type {
  LedgerRecord,
  PaymentDeps,
  PaymentRequestMove,
  SettlementWrite,
  StripePaymentView,
} from './payment-ports.ts';
import { applySignal, type PaymentStateView } from './payment-state.ts';
import { platformReferenceOf, referenceMetadata } from './platform-references.ts';
import { planReservationMove } from './reservations.ts';

/**
 * Settling a payment from what Stripe says now. Every platform event about a payment re-reads its PaymentIntent
 * (with the charge, transfer and application fee) and converges our record on it: the state machine only moves
 * forward, and the ledger records the difference between Stripe's cumulative figures and what we recorded before.
 * So a duplicate, late or reordered event changes nothing it should not, and the first event to arrive after any
 * change brings the whole change.
 *
 * Ledger entries of a destination charge (Stripe pays the partner directly, so they net to zero):
 * - paid: `earning` +net (partner-visible, `transferred`) and `transfer` −net (Stripe moved it with the charge);
 * - share taken back (refund with `reverse_transfer`, or a transfer reversal): `refund` (or `clawback` when no
 *   customer refund caused it) −share and `reversal` +share;
 * - fee given back to the partner without a reversal: `adjustment` +x and `transfer` −x.
 * The partner's share taken back = transfer amount reversed − application fee refunded, both cumulative in Stripe
 * and kept as the largest value seen (they only grow), so an older view read concurrently never undoes a newer one.
 */
export interface SettlementPlan {
  changed: boolean;
  outcome: string;
  payment: Payment;
  entries: LedgerRecord[];
}

const stateOf = (payment: Payment): PaymentStateView => ({
  status: payment.status,
  amount: payment.amount,
  amountRefunded: payment.amountRefunded,
});

/** Stripe's clock and ours differ: a fact is never dated after we heard of it. */
export const factTime = (stripeSeconds: number | null, now: number): number =>
  stripeSeconds === null ? now : Math.min(stripeSeconds * 1000, now);

export function planSettlement(
  payment: Payment,
  view: StripePaymentView,
  now: number,
  eventAt: number,
): SettlementPlan {
  const unchanged = (outcome: string): SettlementPlan => ({ changed: false, outcome, payment, entries: [] });
  if (
    view.amount !== payment.amount ||
    view.currency !== payment.currency ||
    (payment.split === 'separate' ? view.destination !== null : view.destination !== payment.stripeAccountId) ||
    (payment.stripePaymentIntentId !== null && payment.stripePaymentIntentId !== view.paymentIntentId)
  ) {
    return unchanged('mismatch');
  }
  const nowIso = new Date(now).toISOString();
  const version = payment.version + 1;
  const next: Payment = { ...payment, stripePaymentIntentId: view.paymentIntentId, version, updatedAt: nowIso };
  const entries: LedgerRecord[] = [];
  const outcomes: string[] = [];
  const reference = payment.orderId ?? payment.id;
  const entry = (
    id: string,
    type: EntryType,
    amount: number,
    occurredAt: number,
    description: string,
    extra: Partial<LedgerRecord> = {},
  ) => {
    const record: LedgerRecord = {
      id,
      partnerId: payment.partnerId,
      currency: payment.currency,
      type,
      amount,
      occurredAt,
      description,
      reference,
      ...platformReferenceOf(payment.reference),
      payoutStatus: 'transferred',
      recordedAt: nowIso,
      ...extra,
    };
    assertValidEntry(record);
    entries.push(record);
  };

  let state = stateOf(payment);
  if (view.outcome === 'succeeded') {
    const t = applySignal(state, { kind: 'succeeded' });
    if (t.changed) {
      state = t.next;
      // Stripe's application fee is the fee actually taken (it is the one we asked for); separate charges take
      // no application fee: the fee is what each seller's Transfer leaves on the platform.
      const fee = payment.split === 'separate' ? payment.fee : view.applicationFee;
      const net = payment.amount - fee;
      const paidAt = factTime(view.chargeCreated, now);
      Object.assign(next, { fee, net, paidAt: new Date(paidAt).toISOString(), failureCode: null });
      next.stripeChargeId = view.chargeId;
      // Separate charges: each seller's earning is written with their Transfer (syncSellerTransfers).
      if (net > 0 && payment.split === 'destination') {
        entry(`${payment.id}:earning`, 'earning', net, paidAt, payment.description, { gross: payment.amount, fee });
        entry(`${payment.id}:transfer`, 'transfer', -net, paidAt, 'Paid out by Stripe with the charge');
      }
      outcomes.push('paid');
    }
  } else if (view.outcome === 'failed') {
    const t = applySignal(state, { kind: 'failed' });
    if (t.changed) {
      state = t.next;
      next.failureCode = view.failureCode;
      outcomes.push('failed');
    }
  } else if (view.outcome === 'canceled') {
    const t = applySignal(state, { kind: 'canceled' });
    if (t.changed) {
      state = t.next;
      outcomes.push('canceled');
    }
  }

  if (view.outcome === 'succeeded' && view.amountRefunded > state.amountRefunded) {
    const t = applySignal(state, { kind: 'refunded', amountRefunded: view.amountRefunded });
    if (t.changed) {
      state = t.next;
      outcomes.push(t.next.status);
    }
  }

  if (view.outcome === 'succeeded' && payment.split === 'destination') {
    // Both figures only grow at Stripe: a view read before a concurrent settlement stored a newer one is no news.
    const transferReversed = Math.max(payment.transferReversed, view.transferReversed);
    const applicationFeeRefunded = Math.max(payment.applicationFeeRefunded, view.applicationFeeRefunded);
    const takenBack = transferReversed - applicationFeeRefunded;
    const delta = takenBack - payment.partnerRefunded;
    if (delta > 0) {
      // A refund when this change brings refund progress; a reversal on its own (e.g. the platform recovering a
      // disputed charge from the partner) is a clawback, even on a charge that was partially refunded before.
      const refunded = view.amountRefunded > payment.amountRefunded;
      entry(
        `${payment.id}:v${version}:${refunded ? 'refund' : 'clawback'}`,
        refunded ? 'refund' : 'clawback',
        -delta,
        eventAt,
        `${refunded ? 'Refund' : 'Reversal'}: ${payment.description}`,
      );
      entry(`${payment.id}:v${version}:reversal`, 'reversal', delta, eventAt, 'Taken back from the partner by Stripe');
    } else if (delta < 0) {
      entry(
        `${payment.id}:v${version}:adjustment`,
        'adjustment',
        -delta,
        eventAt,
        `Fee refund: ${payment.description}`,
      );
      entry(`${payment.id}:v${version}:transfer`, 'transfer', delta, eventAt, 'Fee refunded by Stripe to the partner');
    }
    Object.assign(next, { transferReversed, applicationFeeRefunded, partnerRefunded: takenBack });
    if (delta !== 0) outcomes.push('share_adjusted');
  }

  next.status = state.status;
  next.amountRefunded = state.amountRefunded;
  const attached = payment.stripePaymentIntentId === null;
  if (outcomes.length === 0 && !attached) return unchanged('unchanged');
  return { changed: true, outcome: outcomes.join('+') || 'attached', payment: next, entries };
}

const MAX_ATTEMPTS = 5;

/**
 * What a payment that can no longer be paid becomes when Stripe cannot say so through a PaymentIntent (its Checkout
 * Session expired before one was created): pending (or failed) becomes canceled, with its order; nothing is written
 * to the ledger (no money moved).
 */
function planCancellation(payment: Payment, now: number): SettlementPlan {
  const t = applySignal(stateOf(payment), { kind: 'canceled' });
  if (!t.changed) return { changed: false, outcome: 'unchanged', payment, entries: [] };
  const updatedAt = new Date(now).toISOString();
  return {
    changed: true,
    outcome: 'canceled',
    payment: { ...payment, status: t.next.status, version: payment.version + 1, updatedAt },
    entries: [],
  };
}

/**
 * What moves with a payment's new status: its order's capacity reservation (see `reservations.ts`) and the payment
 * request it pays (paid, or reopened for a new attempt when the payment was given up).
 */
export function planFollowers(
  before: Payment,
  after: Payment,
  order: Order | undefined,
): Pick<SettlementWrite, 'reservation' | 'paymentRequest'> {
  const reservation =
    order?.reservation != null
      ? planReservationMove(
          order.reservation,
          after.status,
          order.items.flatMap((item) =>
            item.listingId === null ? [] : [{ listingId: item.listingId, quantity: item.quantity }],
          ),
        )
      : null;
  let paymentRequest: PaymentRequestMove | null = null;
  if (after.paymentRequestId !== null && after.status !== before.status) {
    if (after.status === 'paid') {
      paymentRequest = { id: after.paymentRequestId, paymentId: after.id, to: 'paid', at: after.updatedAt };
    } else if (after.status === 'canceled') {
      paymentRequest = { id: after.paymentRequestId, paymentId: after.id, to: 'reopened', at: after.updatedAt };
    }
  }
  return { reservation, paymentRequest };
}

/**
 * Applies a plan with a compare-and-set on the payment's version (the payment, its order's status and reservation,
 * its payment request and the ledger entries in one write); a concurrent settlement makes it re-read and re-plan.
 */
async function applyPlan(
  deps: PaymentDeps,
  paymentId: string,
  plan: (payment: Payment, now: number) => SettlementPlan,
): Promise<string> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
    const payment = await deps.payments.getPayment(paymentId);
    if (!payment) return 'unknown_payment';
    const now = deps.clock.now().getTime();
    const planned = plan(payment, now);
    if (!planned.changed) return planned.outcome;
    const order = payment.orderId ? await deps.payments.getOrder(payment.orderId) : undefined;
    const written = await deps.payments.settle({
      payment: planned.payment,
      expectedVersion: payment.version,
      order: payment.orderId
        ? { id: payment.orderId, status: planned.payment.status, updatedAt: planned.payment.updatedAt }
        : null,
      ...planFollowers(payment, planned.payment, order),
      entries: planned.entries,
      events: paymentEvents(payment, planned.payment, new Date(now)),
    });
    if (written) return planned.outcome;
  }
  throw new Error(`Settlement of ${paymentId} kept conflicting with concurrent writes`);
}

/** Converges the payment on what Stripe says now about its PaymentIntent (and, for several sellers, their transfers). */
export async function settlePayment(
  deps: PaymentDeps,
  paymentId: string,
  view: StripePaymentView,
  eventCreated: number,
): Promise<string> {
  const outcome = await settleRecord(deps, paymentId, view, eventCreated);
  const payment = await deps.payments.getPayment(paymentId);
  if (payment?.split !== 'separate' || payment.orderId === null || view.outcome !== 'succeeded') return outcome;
  const synced = await syncSellerTransfers(deps, payment, view);
  return synced ? `${outcome}+${synced}` : outcome;
}

/**
 * The sellers of a paid multi-seller order converge on the charge:
 * 1. each seller not yet paid gets one Transfer: its amount — their net minus their share of what was already
 *    refunded — is fixed on the order first, then sent (idempotency key from the order and the seller, so a retried
 *    or concurrent event gets the same Transfer back) and recorded with the seller's ledger lines; nothing is sent
 *    when nothing is left (their items were wholly refunded);
 * 2. each seller's transfer is reversed by their share of what has been refunded since (see multi-seller.ts).
 * Alternate course: Stripe refuses the fixed amount for good (a refund since then left too little on the charge) —
 * a new amount is fixed from the refunds now, under the next attempt's key; the same amount again is an error (the
 * event is retried).
 */
async function syncSellerTransfers(deps: PaymentDeps, payment: Payment, view: StripePaymentView): Promise<string> {
  const orderId = payment.orderId;
  const chargeId = view.chargeId;
  if (orderId === null || chargeId === null) return '';
  const done: string[] = [];
  let order = await deps.payments.getOrder(orderId);
  if (!order?.sellers) return '';
  const now = deps.clock.now().getTime();
  const paidAt = factTime(view.chargeCreated, now);
  const liveRefunds = async (): Promise<RefundFact[]> =>
    (await deps.stripe.chargeRefunds(chargeId)).filter((r) => r.status !== 'failed' && r.status !== 'canceled');
  let refunds: RefundFact[] | null = null;
  for (const { index } of pendingSellerTransfers(order)) {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const share = order?.sellers?.[index];
      if (!order || !share || share.transferId !== null || share.transferred !== undefined) break;
      let plan = share.transferPlan ?? null;
      if (plan === null) {
        refunds ??= view.amountRefunded > 0 ? await liveRefunds() : [];
        const fixed = planSellerTransfer(order, index, refunds, 0);
        if (!(await deps.payments.fixSellerTransfer(orderId, index, null, fixed))) {
          order = await deps.payments.getOrder(orderId);
          continue;
        }
        plan = fixed;
      }
      let transferId: string | null = null;
      if (plan.amount > 0) {
        const sent = await deps.stripe.createSellerTransfer({
          orderId,
          partnerId: share.partnerId,
          amount: plan.amount,
          currency: order.currency,
          destination: share.stripeAccountId,
          sourceTransaction: chargeId,
          attempt: plan.attempt,
          metadata: referenceMetadata(order.reference),
        });
        if (sent.kind === 'refused') {
          const next = planSellerTransfer(order, index, await liveRefunds(), plan.attempt + 1);
          if (next.amount === plan.amount) {
            throw new Error(`Stripe refused the transfer of order ${orderId} to ${share.partnerId}: ${sent.message}`);
          }
          deps.log.warn('Seller transfer refused; a new amount is fixed', { orderId, message: sent.message });
          await deps.payments.fixSellerTransfer(orderId, index, plan, next);
          order = await deps.payments.getOrder(orderId);
          continue;
        }
        transferId = sent.id;
      }
      const entries = sellerEarningEntries(order, { ...share, transferId }, plan, paidAt, now);
      if (await deps.payments.recordSellerTransfer(orderId, index, { id: transferId, amount: plan.amount }, entries)) {
        done.push(`${transferId ? 'transferred' : 'withheld'}:${share.partnerId}`);
      }
      break;
    }
  }
  if (view.amountRefunded > 0) {
    order = await deps.payments.getOrder(orderId);
    if (!order) return done.join('+');
    refunds ??= await liveRefunds();
    for (const plan of planSellerReversals(order, refunds, now)) {
      await deps.stripe.reverseSellerTransfer({
        transferId: plan.transferId,
        amount: plan.delta,
        orderId,
        partnerId: plan.share.partnerId,
        target: plan.target,
      });
      const from = plan.share.transferReversed;
      if (await deps.payments.recordSellerReversal(orderId, plan.index, { from, to: plan.target }, plan.entries)) {
        done.push(`reversed:${plan.share.partnerId}`);
      }
    }
  }
  return done.join('+');
}

function settleRecord(
  deps: PaymentDeps,
  paymentId: string,
  view: StripePaymentView,
  eventCreated: number,
): Promise<string> {
  return applyPlan(deps, paymentId, (payment, now) => {
    const plan = planSettlement(payment, view, now, factTime(eventCreated, now));
    if (plan.outcome === 'mismatch') {
      deps.log.warn('Stripe payment does not match our record; not settled', {
        paymentId,
        paymentIntentId: view.paymentIntentId,
      });
    }
    return plan;
  });
}

/** Cancels a payment whose Checkout Session expired without a PaymentIntent (see `planCancellation`). */
export function cancelPayment(deps: PaymentDeps, paymentId: string): Promise<string> {
  return applyPlan(deps, paymentId, planCancellation);
}
