import { assertValidEntry } from './ledger.ts';
import { type Currency, type FeePolicy, splitCharge } from './money.ts';
import type { Order } from './payment.ts';
import type { LedgerRecord } from './payment-ports.ts';
import { cumulativeShareRefunded } from './payment-state.ts';
import { platformReferenceOf } from './platform-references.ts';

/**
 * Carts across sellers, as Stripe's separate charges and transfers: the charge lands on the platform with
 * `transfer_group` = the order id; once it is paid, each seller gets one Transfer of their net with
 * `source_transaction` = the charge (so it never waits for the platform's balance), idempotency key
 * `order-transfer:<orderId>:<partnerId>`. Each seller's fee comes from their own policy.
 *
 * Refunds: each refund is attributed to sellers — to the seller named in the refund's `metadata.partnerId` (up to
 * what is left of that seller's items), anything else in proportion to what is left of each seller's items (largest
 * remainder, ties to the earlier seller). A seller gives back, cumulatively, the share of what was refunded of their
 * items that the seller had received: `R − round_half_up(fee × R / gross)` (all of the net once R = gross) — the
 * same rule as a destination charge's `refund_application_fee` + `reverse_transfer`, so partial refunds add up to the
 * net exactly. Refunded before the seller's Transfer is sent, that share is **withheld**: the Transfer carries the net
 * minus it (nothing at all when the seller's items were wholly refunded); refunded later, the Transfer is reversed
 * by it. The amount of a Transfer is fixed on the order before it is sent (`transferPlan`), so every retry sends the
 * same request under the same key; only a definite refusal by Stripe (a refund since left too little on the charge)
 * fixes a new amount, sent under a new key (`…:a<attempt>`).
 *
 * A lost dispute takes each seller's share back from the same transfers (see disputes.ts): the order keeps what it
 * reversed (`disputeReversed`) apart from what refunds reversed, and a refund reversal never asks a transfer for more
 * than is left on it.
 */
export interface SellerShare {
  partnerId: string;
  stripeAccountId: string;
  gross: number;
  fee: number;
  feeBps: number;
  net: number;
  /** The seller's Transfer once sent, and how much of it refunds have reversed (cumulative). */
  transferId: string | null;
  transferReversed: number;
  /** The amount of the Transfer fixed before it is sent (absent: not fixed yet). */
  transferPlan?: SellerTransferPlanFixed;
  /** What the seller was paid once recorded (absent: not yet; 0: nothing was left to send, no Transfer). */
  transferred?: number;
  /** How much of the Transfer lost disputes have reversed (cumulative; absent: none). */
  disputeReversed?: number;
}

/** A seller's Transfer as fixed before it is sent: its amount, the refund share withheld from it, the attempt. */
export interface SellerTransferPlanFixed {
  amount: number;
  withheld: number;
  /** 0 for the first amount fixed; each new amount after a definite refusal by Stripe gets the next one. */
  attempt: number;
}

/** The refund share withheld from the seller's Transfer when it was sent (refunded before it). */
export const withheldOf = (share: SellerShare): number => share.transferPlan?.withheld ?? 0;

/** What the seller still holds of the order's money: their net minus everything refunds and disputes took back. */
export const stillHeldBy = (share: SellerShare): number =>
  Math.max(0, share.net - withheldOf(share) - share.transferReversed - (share.disputeReversed ?? 0));

export function sellerShare(
  seller: { id: string; stripeAccountId: string },
  gross: number,
  policy: FeePolicy,
): SellerShare {
  const split = splitCharge(gross, policy);
  return {
    partnerId: seller.id,
    stripeAccountId: seller.stripeAccountId,
    gross,
    fee: split.fee,
    feeBps: policy.bps,
    net: split.net,
    transferId: null,
    transferReversed: 0,
  };
}

export interface RefundFact {
  amount: number;
  /** The seller the platform named when refunding (`metadata.partnerId`), if any. */
  partnerId: string | null;
}

/** Cumulative refunded amount of each seller's items (same order as `shares`). */
export function attributeRefunds(shares: readonly SellerShare[], refunds: readonly RefundFact[]): number[] {
  const refunded = shares.map(() => 0);
  let unnamed = 0;
  for (const refund of refunds) {
    const index = refund.partnerId === null ? -1 : shares.findIndex((s) => s.partnerId === refund.partnerId);
    const share = shares[index];
    if (!share) {
      unnamed += refund.amount;
      continue;
    }
    const room = share.gross - (refunded[index] ?? 0);
    const taken = Math.min(room, refund.amount);
    refunded[index] = (refunded[index] ?? 0) + taken;
    unnamed += refund.amount - taken;
  }
  if (unnamed > 0) spreadProportionally(shares, refunded, unnamed);
  return refunded;
}

/**
 * The part of a disputed amount that falls on each seller's items: the dispute names no seller, so it is spread like
 * a refund naming none — in proportion to what is left of each seller's items after the refunds so far (floor, then
 * the largest remainders get a unit each, ties to the earlier seller). With no refund before it, that is each
 * seller's proportion of the whole order.
 */
export function attributeDispute(
  shares: readonly SellerShare[],
  refunds: readonly RefundFact[],
  disputed: number,
): { refunded: number[]; disputed: number[] } {
  const refunded = attributeRefunds(shares, refunds);
  const after = [...refunded];
  if (disputed > 0) spreadProportionally(shares, after, disputed);
  return { refunded, disputed: after.map((value, index) => value - (refunded[index] ?? 0)) };
}

function spreadProportionally(shares: readonly SellerShare[], refunded: number[], amount: number): void {
  const rooms = shares.map((s, i) => s.gross - (refunded[i] ?? 0));
  const totalRoom = rooms.reduce((a, b) => a + b, 0);
  if (totalRoom <= 0) return;
  const spread = Math.min(amount, totalRoom);
  const exact = rooms.map((room) => (spread * room) / totalRoom);
  const floors = exact.map(Math.floor);
  let left = spread - floors.reduce((a, b) => a + b, 0);
  const order = exact
    .map((value, index) => ({ index, fraction: value - Math.floor(value) }))
    .sort((a, b) => b.fraction - a.fraction || a.index - b.index);
  for (const { index } of order) {
    if (left <= 0) break;
    if ((floors[index] ?? 0) < (rooms[index] ?? 0)) {
      floors[index] = (floors[index] ?? 0) + 1;
      left -= 1;
    }
  }
  floors.forEach((value, index) => {
    refunded[index] = (refunded[index] ?? 0) + value;
  });
}

export interface SellerTransferPlan {
  index: number;
  share: SellerShare;
  entries: LedgerRecord[];
}

const entry = (
  share: SellerShare,
  currency: Currency,
  fields: Pick<LedgerRecord, 'id' | 'type' | 'amount' | 'description'> & Partial<LedgerRecord>,
  occurredAt: number,
  orderId: string,
  recordedAt: string,
): LedgerRecord => {
  const record: LedgerRecord = {
    partnerId: share.partnerId,
    currency,
    occurredAt,
    reference: orderId,
    payoutStatus: 'transferred',
    recordedAt,
    ...fields,
  };
  assertValidEntry(record);
  return record;
};

/** The transfers still to record for a paid order: one per seller not yet paid (its net must be positive). */
export function pendingSellerTransfers(order: Order): { index: number; share: SellerShare }[] {
  return (order.sellers ?? []).flatMap((share, index) =>
    share.transferId === null && share.transferred === undefined && share.net > 0 ? [{ index, share }] : [],
  );
}

/** Each seller's cumulative refund share (what refunds take back from them), given every refund of the charge. */
export function refundShares(shares: readonly SellerShare[], refunds: readonly RefundFact[]): number[] {
  const refunded = attributeRefunds(shares, refunds);
  return shares.map((share, index) =>
    Math.min(share.net, cumulativeShareRefunded(share.gross, share.fee, Math.min(refunded[index] ?? 0, share.gross))),
  );
}

/**
 * The amount of a seller's Transfer, fixed before it is sent: their net minus their share of what has already been
 * refunded (the same rule as a reversal), so a seller is never sent money the customer got back.
 */
export function planSellerTransfer(
  order: Order,
  index: number,
  refunds: readonly RefundFact[],
  attempt: number,
): SellerTransferPlanFixed {
  const shares = order.sellers ?? [];
  const share = shares[index];
  if (!share) throw new Error(`Order ${order.id} has no seller ${index}`);
  const withheld = refundShares(shares, refunds)[index] ?? 0;
  return { amount: share.net - withheld, withheld, attempt };
}

/**
 * The seller's ledger lines once they are paid: one earning of their net, the money moved by the Transfer, and the
 * refund share withheld from it (a refund line, as if the Transfer had been reversed by it).
 */
export function sellerEarningEntries(
  order: Order,
  share: SellerShare,
  plan: SellerTransferPlanFixed,
  paidAt: number,
  now: number,
): LedgerRecord[] {
  const at = new Date(now).toISOString();
  const withheld =
    plan.withheld > 0
      ? [
          entry(
            share,
            order.currency,
            {
              id: `${order.id}:${share.partnerId}:withheld:refund`,
              type: 'refund',
              amount: -plan.withheld,
              description: `Refund: Order ${order.id} (before the transfer)`,
              ...platformReferenceOf(order.reference),
            },
            now,
            order.id,
            at,
          ),
        ]
      : [];
  const moved =
    plan.amount > 0
      ? [
          entry(
            share,
            order.currency,
            {
              id: `${order.id}:${share.partnerId}:transfer`,
              type: 'transfer',
              amount: -plan.amount,
              description: 'Transferred with the charge (separate transfer)',
              ...platformReferenceOf(order.reference),
            },
            paidAt,
            order.id,
            at,
          ),
        ]
      : [];
  return [
    entry(
      share,
      order.currency,
      {
        id: `${order.id}:${share.partnerId}:earning`,
        type: 'earning',
        amount: share.net,
        description: `Order ${order.id}`,
        gross: share.gross,
        fee: share.fee,
        ...platformReferenceOf(order.reference),
      },
      paidAt,
      order.id,
      at,
    ),
    ...moved,
    ...withheld,
  ];
}

export interface SellerReversalPlan {
  index: number;
  share: SellerShare;
  transferId: string;
  /** Cumulative reversal after this one, and what is new. */
  target: number;
  delta: number;
  entries: LedgerRecord[];
}

/**
 * What each seller's transfer must give back now, given every refund of the charge so far: their refund share minus
 * what was withheld from the transfer or already reversed for refunds, never more than is left on the transfer
 * (a lost dispute may have taken the rest).
 */
export function planSellerReversals(order: Order, refunds: readonly RefundFact[], now: number): SellerReversalPlan[] {
  const shares = order.sellers ?? [];
  const targets = refundShares(shares, refunds);
  const at = new Date(now).toISOString();
  return shares.flatMap((share, index) => {
    if (share.transferId === null) return [];
    const target = targets[index] ?? 0;
    const delta = Math.min(target - withheldOf(share) - share.transferReversed, stillHeldBy(share));
    if (delta <= 0) return [];
    const key = `${order.id}:${share.partnerId}:r${target}`;
    return [
      {
        index,
        share,
        transferId: share.transferId,
        target: share.transferReversed + delta,
        delta,
        entries: [
          entry(
            share,
            order.currency,
            {
              id: `${key}:refund`,
              type: 'refund',
              amount: -delta,
              description: `Refund: Order ${order.id}`,
              ...platformReferenceOf(order.reference),
            },
            now,
            order.id,
            at,
          ),
          entry(
            share,
            order.currency,
            {
              id: `${key}:reversal`,
              type: 'reversal',
              amount: delta,
              description: 'Taken back from the seller',
              ...platformReferenceOf(order.reference),
            },
            now,
            order.id,
            at,
          ),
        ],
      },
    ];
  });
}
