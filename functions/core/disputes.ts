import { syncCommission } from './earnings.ts';
import { assertValidEntry, type EntryType } from './ledger.ts';
import type { Currency } from './money.ts';
import { attributeDispute, type RefundFact, stillHeldBy } from './multi-seller.ts';
import type { Order, Payment } from './payment.ts';
import type { LedgerRecord, PaymentDeps, StripePaymentView } from './payment-ports.ts';
import { cumulativeShareRefunded } from './payment-state.ts';
import { factTime, settlePayment } from './settlement.ts';

/**
 * Disputes (chargebacks) on destination charges. Stripe takes the disputed amount and its dispute fee from the
 * platform's balance; the partner already has their share in their connected account. So:
 *
 * 1. `charge.dispute.created` (any dispute event for a dispute we have not seen): the partner's share of the
 *    disputed amount is **held** — a held `hold` entry, available at once, so the partner's next payout nets it
 *    (and a partner with nothing else to be paid carries a negative balance) until the dispute closes.
 * 2. Closed as **won** (or an inquiry closed, or prevented): the hold is **released** (a `release` entry).
 * 3. Closed as **lost**: the partner's share is taken back — the destination charge's transfer is reversed for it
 *    (idempotency key `dispute-reversal:<disputeId>:<partnerId>`; the settlement then books it as a clawback like
 *    any reversal) and the hold is released; what the transfer can no longer give back (already reversed by a
 *    refund, or Stripe refuses) stays owed as a held `clawback` netted against later earnings. Stripe's dispute fee
 *    is booked as the platform's policy says (`disputeFeePayer`: the platform absorbs it, or the partner pays it as a
 *    held `clawback`). A referral commission on a disputed platform charge is clawed back like on a refund.
 *
 * Every event re-reads the dispute from Stripe, so a late, repeated or reordered event converges on Stripe's state;
 * the dispute record (one per dispute, `held` → `won` | `lost`) is compare-and-set, written in one transaction with
 * its entries. The decisions are pure plans per **share** — one per seller paid by the charge.
 *
 * An order of several sellers (separate charges and transfers, see multi-seller.ts) has one share per seller: the
 * disputed amount is attributed to the sellers like a refund naming none (`attributeDispute`) and each seller's share
 * is what they received of their part, with the refund rule (the platform gives up its fee on it, as on a refund).
 * Lost, each seller's own Transfer is reversed for their share (key `dispute-reversal:<disputeId>:<partnerId>`), but
 * here the reversal is booked by the dispute's own write — `clawback −x`, `reversal +x` — together with the order's
 * `disputeReversed` for that seller, so it is booked exactly once whatever order the refund, `transfer.reversed` and
 * dispute events arrive in (the settlement books only refund reversals for these transfers, and never asks a transfer
 * for more than is left on it). A seller not paid yet when the dispute is lost owes their share as a held clawback.
 */

export type DisputeStatus =
  | 'warning_needs_response'
  | 'warning_under_review'
  | 'warning_closed'
  | 'needs_response'
  | 'under_review'
  | 'won'
  | 'lost'
  | 'prevented';

export type DisputeOutcome = 'open' | 'won' | 'lost';

/** What each Stripe dispute status means for the partner's money. A new status must be decided here. */
export const DISPUTE_OUTCOME: Readonly<Record<DisputeStatus, DisputeOutcome>> = {
  warning_needs_response: 'open',
  warning_under_review: 'open',
  needs_response: 'open',
  under_review: 'open',
  warning_closed: 'won',
  prevented: 'won',
  won: 'won',
  lost: 'lost',
};

export const isDisputeStatus = (value: string): value is DisputeStatus => Object.hasOwn(DISPUTE_OUTCOME, value);

export interface StripeDisputeView {
  id: string;
  status: DisputeStatus;
  reason: string | null;
  amount: number;
  currency: string;
  chargeId: string | null;
  paymentIntentId: string | null;
  /** Stripe's dispute fee taken with the withdrawal (null: none, e.g. an inquiry). */
  fee: { amount: number; currency: string } | null;
  created: number;
}

export type TransferReversalOutcome =
  | { kind: 'reversed'; reversalId: string; amount: number }
  /** Stripe refused the reversal for good (the transfer cannot give this back): the share is owed instead. */
  | { kind: 'not_reversible'; message: string };

/** One seller's part of a disputed payment: what that seller received and can be asked to give back. */
export interface DisputeShare {
  partnerId: string;
  currency: Currency;
  /** The transfer that paid this seller (the destination charge's), if any. */
  transferId: string | null;
  /** The seller's share of the disputed amount. */
  amount: number;
}

export interface DisputeShareState extends DisputeShare {
  /** Held while the dispute is open (0 after the release). */
  held: number;
  /** Taken back by transfer reversal. */
  reversed: number;
  /** Owed as a held clawback (what no reversal could take back). */
  owed: number;
  /** Dispute fee charged to the seller. */
  feeCharged: number;
}

/** `reversing`: lost, with the amounts to take back fixed (so every retry sends the same reversal). */
export type DisputePhase = 'held' | 'reversing' | 'won' | 'lost';

export interface DisputeRecord {
  id: string;
  paymentId: string;
  phase: DisputePhase;
  status: DisputeStatus;
  amount: number;
  shares: DisputeShareState[];
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface DisputeWrite {
  record: DisputeRecord;
  /** null: the record is new (conditional put). */
  expectedVersion: number | null;
  entries: LedgerRecord[];
  /** An order of several sellers: what the dispute reversed of each seller's Transfer (added to `disputeReversed`). */
  orderReversals?: { orderId: string; sellers: { index: number; amount: number }[] } | null;
}

export interface DisputePlan {
  write: DisputeWrite;
  outcome: 'dispute_held' | 'dispute_released' | 'dispute_clawed_back' | 'dispute_closed_unheld';
}

export interface ReversalRequest {
  partnerId: string;
  transferId: string;
  amount: number;
  idempotencyKey: string;
}

/**
 * The sellers' shares of a disputed amount. The partner's share of `disputed` uses the same half-up rule as a
 * refund's (`cumulativeShareRefunded`), never more than what they still hold from the payment (their net minus what
 * was already taken back).
 */
export function disputeShares(
  payment: Payment,
  disputedAmount: number,
  transfer: { id: string | null },
): DisputeShare[] {
  const disputed = Math.min(Math.max(0, disputedAmount), payment.amount);
  const share = cumulativeShareRefunded(payment.amount, payment.fee, disputed);
  const amount = Math.max(0, Math.min(share, payment.net - payment.partnerRefunded));
  return [{ partnerId: payment.partnerId, currency: payment.currency, transferId: transfer.id, amount }];
}

/**
 * The sellers' shares of a dispute on an order of several sellers: each seller's part of the disputed amount
 * (`attributeDispute`, after the refunds so far), of which the seller received `d − round_half_up(fee × d / gross)`
 * on top of their refund share — the refund rule, so a dispute and refunds of the same items never ask a seller
 * for more than their net — and never more than they still hold from the order.
 */
export function orderDisputeShares(
  order: Order,
  disputedAmount: number,
  refunds: readonly RefundFact[],
): DisputeShare[] {
  const shares = order.sellers ?? [];
  const disputed = Math.min(Math.max(0, disputedAmount), order.amount);
  const attributed = attributeDispute(shares, refunds, disputed);
  return shares.map((share, index) => {
    const before = Math.min(attributed.refunded[index] ?? 0, share.gross);
    const after = Math.min(before + (attributed.disputed[index] ?? 0), share.gross);
    const part =
      cumulativeShareRefunded(share.gross, share.fee, after) - cumulativeShareRefunded(share.gross, share.fee, before);
    return {
      partnerId: share.partnerId,
      currency: order.currency,
      transferId: share.transferId,
      amount: Math.max(0, Math.min(part, stillHeldBy(share))),
    };
  });
}

function entry(
  record: Pick<DisputeRecord, 'id' | 'paymentId'>,
  share: DisputeShare,
  kind: string,
  type: EntryType,
  amount: number,
  description: string,
  at: number,
  recordedAt: string,
  /** `held` (default): held by the platform and available at once, the next payout nets it; `transferred`: moved
   * by a Transfer (its reversal) already. */
  settled: 'held' | 'transferred' = 'held',
): LedgerRecord {
  const written: LedgerRecord = {
    id: `dispute:${record.id}:${share.partnerId}:${kind}`,
    partnerId: share.partnerId,
    currency: share.currency,
    type,
    amount,
    occurredAt: at,
    description,
    // As every line of the dispute: the payment disputed.
    reference: record.paymentId,
    ...(settled === 'held'
      ? { payoutStatus: 'pending' as const, availableAt: at }
      : { payoutStatus: 'transferred' as const }),
    recordedAt,
  };
  assertValidEntry(written);
  return written;
}

/** A dispute seen for the first time: hold each seller's share. */
export function planDisputeHold(
  payment: Payment,
  dispute: StripeDisputeView,
  shares: readonly DisputeShare[],
  now: number,
): DisputePlan {
  const at = new Date(now).toISOString();
  const occurredAt = factTime(dispute.created, now);
  const record: DisputeRecord = {
    id: dispute.id,
    paymentId: payment.id,
    phase: 'held',
    status: dispute.status,
    amount: dispute.amount,
    shares: shares.map((share) => ({ ...share, held: share.amount, reversed: 0, owed: 0, feeCharged: 0 })),
    createdAt: at,
    updatedAt: at,
    version: 1,
  };
  const entries = record.shares
    .filter((share) => share.held > 0)
    .map((share) =>
      entry(record, share, 'hold', 'hold', -share.held, `Held while disputed: ${payment.description}`, occurredAt, at),
    );
  return { write: { record, expectedVersion: null, entries }, outcome: 'dispute_held' };
}

/** A held dispute closed in the platform's favour: every hold is released. */
export function planDisputeWon(record: DisputeRecord, dispute: StripeDisputeView, now: number): DisputePlan {
  const at = new Date(now).toISOString();
  const entries = record.shares
    .filter((share) => share.held > 0)
    .map((share) => entry(record, share, 'release', 'release', share.held, `Dispute won: hold released`, now, at));
  return {
    write: {
      record: {
        ...record,
        phase: 'won',
        status: dispute.status,
        shares: record.shares.map((share) => ({ ...share, held: 0 })),
        updatedAt: at,
        version: record.version + 1,
      },
      expectedVersion: record.version,
      entries,
    },
    outcome: 'dispute_released',
  };
}

/**
 * A lost dispute's amounts, fixed before any reversal is sent: each seller's share, but never more than what they
 * still hold from the payment now (a refund since the dispute opened may have taken part of it back already).
 */
export function planDisputeReversing(record: DisputeRecord, payment: Payment, now: number): DisputeWrite {
  const stillHeld = Math.max(0, payment.net - payment.partnerRefunded);
  return {
    record: {
      ...record,
      phase: 'reversing',
      shares: record.shares.map((share) =>
        share.partnerId === payment.partnerId ? { ...share, amount: Math.min(share.amount, stillHeld) } : share,
      ),
      updatedAt: new Date(now).toISOString(),
      version: record.version + 1,
    },
    expectedVersion: record.version,
    entries: [],
  };
}

/**
 * A lost dispute on an order of several sellers, its amounts fixed before any reversal is sent: each seller's share,
 * never more than they still hold from the order now (refunds and their withheld part count), from the Transfer the
 * order names now (the dispute may have opened before the sellers were paid; a seller still unpaid has none, and
 * owes the share instead).
 */
export function planOrderDisputeReversing(record: DisputeRecord, order: Order, now: number): DisputeWrite {
  const sellers = order.sellers ?? [];
  return {
    record: {
      ...record,
      phase: 'reversing',
      shares: record.shares.map((share) => {
        const seller = sellers.find((s) => s.partnerId === share.partnerId);
        if (!seller) return { ...share, transferId: null };
        return { ...share, transferId: seller.transferId, amount: Math.min(share.amount, stillHeldBy(seller)) };
      }),
      updatedAt: new Date(now).toISOString(),
      version: record.version + 1,
    },
    expectedVersion: record.version,
    entries: [],
  };
}

/**
 * The transfer reversals a lost dispute asks for: each seller's share from their own transfer. The request depends
 * only on the record (never on the transfer's current state), so a retry sends the very same request under the same
 * key; a share the transfer can no longer give back is refused by Stripe and is then owed instead.
 */
export function planDisputeReversals(record: DisputeRecord): ReversalRequest[] {
  return record.shares
    .filter(
      (share): share is DisputeShareState & { transferId: string } => share.transferId !== null && share.amount > 0,
    )
    .map((share) => ({
      partnerId: share.partnerId,
      transferId: share.transferId,
      amount: share.amount,
      idempotencyKey: `dispute-reversal:${record.id}:${share.partnerId}`,
    }));
}

/**
 * A lost dispute, once the reversals were tried: each hold is released; what was not reversed is owed as a held
 * clawback; the dispute fee is charged to the sellers (in proportion to their shares, see `splitFee`; evenly when
 * none has a share left) when the partner pays it.
 */
export function planDisputeLoss(
  record: DisputeRecord,
  dispute: StripeDisputeView,
  reversed: ReadonlyMap<string, number>,
  feePayer: 'platform' | 'partner',
  now: number,
): DisputePlan {
  const at = new Date(now).toISOString();
  const entries: LedgerRecord[] = [];
  const fee = feePayer === 'partner' && dispute.fee ? dispute.fee : null;
  // In proportion to the shares; when no seller has one left (refunds took it all), evenly.
  const weights = record.shares.map((share) => (share.currency === fee?.currency ? share.amount : 0));
  const even = record.shares.map((share) => (share.currency === fee?.currency ? 1 : 0));
  const fees = fee ? splitFee(fee.amount, weights.some((weight) => weight > 0) ? weights : even) : [];
  const shares = record.shares.map((share, index) => {
    const back = Math.min(reversed.get(share.partnerId) ?? 0, share.amount);
    const owed = share.amount - back;
    if (share.held > 0) {
      entries.push(entry(record, share, 'release', 'release', share.held, 'Dispute lost: hold released', now, at));
    }
    if (owed > 0) {
      entries.push(
        entry(record, share, 'clawback', 'clawback', -owed, 'Dispute lost: share owed to the platform', now, at),
      );
    }
    const feeCharged = fees[index] ?? 0;
    if (feeCharged > 0) entries.push(entry(record, share, 'fee', 'clawback', -feeCharged, 'Dispute fee', now, at));
    return { ...share, held: 0, reversed: back, owed, feeCharged };
  });
  return {
    write: {
      record: { ...record, phase: 'lost', status: dispute.status, shares, updatedAt: at, version: record.version + 1 },
      expectedVersion: record.version,
      entries,
    },
    outcome: 'dispute_clawed_back',
  };
}

/**
 * Stripe's dispute fee split between the sellers in proportion to their shares (floor, then the largest remainders
 * get a unit each, ties to the earlier seller); nothing is charged when no seller has a share.
 */
export function splitFee(fee: number, weights: readonly number[]): number[] {
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  if (total <= 0 || fee <= 0) return weights.map(() => 0);
  const exact = weights.map((weight) => (fee * weight) / total);
  const split = exact.map(Math.floor);
  let left = fee - split.reduce((sum, part) => sum + part, 0);
  const order = exact
    .map((value, index) => ({ index, fraction: value - Math.floor(value) }))
    .sort((a, b) => b.fraction - a.fraction || a.index - b.index);
  for (const { index } of order) {
    if (left <= 0) break;
    split[index] = (split[index] ?? 0) + 1;
    left -= 1;
  }
  return split;
}

/**
 * A lost dispute on an order of several sellers: as `planDisputeLoss`, plus the booking of what each seller's
 * Transfer gave back (`clawback −x` partner-visible, `reversal +x`, both already moved by Stripe) and the order's
 * `disputeReversed` for each of them, in the same write (so exactly once).
 */
export function planOrderDisputeLoss(
  record: DisputeRecord,
  order: Order,
  dispute: StripeDisputeView,
  reversed: ReadonlyMap<string, number>,
  feePayer: 'platform' | 'partner',
  now: number,
): DisputePlan {
  const plan = planDisputeLoss(record, dispute, reversed, feePayer, now);
  const at = new Date(now).toISOString();
  const sellers = order.sellers ?? [];
  const changes: { index: number; amount: number }[] = [];
  for (const share of plan.write.record.shares) {
    const index = sellers.findIndex((seller) => seller.partnerId === share.partnerId);
    if (share.reversed <= 0 || index < 0) continue;
    changes.push({ index, amount: share.reversed });
    for (const [kind, type, amount, description] of [
      ['reversed', 'clawback', -share.reversed, `Dispute lost: Order ${order.id}`],
      ['reversal', 'reversal', share.reversed, 'Taken back from the seller by transfer reversal'],
    ] as const) {
      plan.write.entries.push(entry(record, share, kind, type, amount, description, now, at, 'transferred'));
    }
  }
  return {
    ...plan,
    write: { ...plan.write, orderReversals: changes.length > 0 ? { orderId: order.id, sellers: changes } : null },
  };
}

/** The refunds of a payment's charge that count (not failed or canceled): none when nothing was refunded. */
async function liveRefunds(deps: PaymentDeps, view: StripePaymentView): Promise<RefundFact[]> {
  if (view.amountRefunded <= 0 || view.chargeId === null) return [];
  const refunds = await deps.stripe.chargeRefunds(view.chargeId);
  return refunds.filter((r) => r.status !== 'failed' && r.status !== 'canceled');
}

const MAX_ATTEMPTS = 5;

/**
 * Any `charge.dispute.*` event: re-reads the dispute and its payment from Stripe and converges (see above).
 * Returns what happened, for the webhook's log.
 */
export async function handleDispute(deps: PaymentDeps, disputeId: string, eventCreated: number): Promise<string> {
  const dispute = await deps.stripe.retrieveDispute(disputeId);
  const paymentIntentId =
    dispute.paymentIntentId ?? (dispute.chargeId ? await deps.stripe.paymentIntentOfCharge(dispute.chargeId) : null);
  if (!paymentIntentId) return 'no_payment_intent';
  const view = await deps.stripe.retrievePayment(paymentIntentId);
  const paymentId = view.metadata.paymentId;
  const outcome = DISPUTE_OUTCOME[dispute.status];
  if (!paymentId) {
    // A platform charge: a referral commission on it is clawed back when the dispute is lost, as on a refund.
    if (outcome !== 'lost') return 'ignored_dispute';
    return syncCommission(deps, view, eventCreated, dispute.amount);
  }
  const nowIso = deps.clock.now().toISOString();
  const recorded = await deps.payments.recordDispute(
    paymentId,
    { id: dispute.id, status: dispute.status, reason: dispute.reason, amount: dispute.amount, eventCreated },
    nowIso,
  );
  if (recorded) deps.log.warn('Payment disputed', { paymentId, disputeId: dispute.id, status: dispute.status });
  if (outcome === 'lost' && view.outcome === 'succeeded') {
    // An order of several sellers lost before every seller was paid (its events arrived first): pay them first, so
    // each share is taken back from its Transfer rather than owed.
    const payment = await deps.payments.getPayment(paymentId);
    if (payment?.split === 'separate') await settlePayment(deps, paymentId, view, eventCreated);
  }

  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
    const payment = await deps.payments.getPayment(paymentId);
    if (!payment) return 'unknown_payment';
    // An order of several sellers: the shares are the sellers' (the payment's own payee is the platform).
    const order =
      payment.split === 'separate' && payment.orderId !== null ? await deps.payments.getOrder(payment.orderId) : null;
    if (payment.split === 'separate' && !order?.sellers) return 'unknown_order';
    const now = deps.clock.now().getTime();
    let record = await deps.disputes.get(paymentId, dispute.id);
    if (!record) {
      const shares = order
        ? orderDisputeShares(order, dispute.amount, await liveRefunds(deps, view))
        : disputeShares(payment, dispute.amount, { id: view.transferId ?? null });
      const hold = planDisputeHold(payment, dispute, shares, now);
      if (outcome === 'won') {
        // Closed in our favour before we held anything: nothing to hold or release.
        const closed = { ...hold.write, record: { ...hold.write.record, phase: 'won' as const }, entries: [] };
        if (await deps.disputes.write(closed)) return 'dispute_closed_unheld';
        continue;
      }
      if (!(await deps.disputes.write(hold.write))) continue;
      if (outcome === 'open') return 'dispute_held';
      record = hold.write.record;
    }
    if ((record.phase !== 'held' && record.phase !== 'reversing') || outcome === 'open') return 'dispute_unchanged';
    if (outcome === 'won') {
      const plan = planDisputeWon(record, dispute, now);
      if (await deps.disputes.write(plan.write)) return plan.outcome;
      continue;
    }
    // Lost: fix the amounts first (a retry after a crash sends the very same reversals under the same keys)...
    if (record.phase === 'held') {
      const reversing = order
        ? planOrderDisputeReversing(record, order, now)
        : planDisputeReversing(record, payment, now);
      if (!(await deps.disputes.write(reversing))) continue;
      record = reversing.record;
    }
    // ...take each seller's share back from their transfer, then book the rest.
    const reversed = new Map<string, number>();
    for (const request of planDisputeReversals(record)) {
      const result = await deps.stripe.reverseTransfer({
        transferId: request.transferId,
        amount: request.amount,
        idempotencyKey: request.idempotencyKey,
        metadata: { disputeId: dispute.id, paymentId, partnerId: request.partnerId },
      });
      if (result.kind === 'reversed') reversed.set(request.partnerId, result.amount);
      else deps.log.warn('Dispute share could not be reversed; owed instead', { paymentId, message: result.message });
    }
    const feePayer = deps.settings.disputeFeePayer;
    const plan = order
      ? planOrderDisputeLoss(record, order, dispute, reversed, feePayer, now)
      : planDisputeLoss(record, dispute, reversed, feePayer, now);
    if (!(await deps.disputes.write(plan.write))) continue;
    // A destination charge's reversal is also announced by transfer.reversed; settling now books it without waiting
    // for that event. (A seller's Transfer reversal was booked by the write above.)
    if (reversed.size > 0 && !order) {
      await settlePayment(deps, paymentId, await deps.stripe.retrievePayment(paymentIntentId), eventCreated);
    }
    return plan.outcome;
  }
  throw new Error(`Dispute ${disputeId} kept conflicting with concurrent writes`);
}
