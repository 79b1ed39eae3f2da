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
 * what is left of that seller's items), anything else in proportion to each seller's gross (largest remainder, ties
 * to the earlier seller). A seller's transfer is reversed, cumulatively, by the share of what was refunded of their
 * items that the seller had received: `R − round_half_up(fee × R / gross)` (all of the net once R = gross) — the
 * same rule as a destination charge's `refund_application_fee` + `reverse_transfer`, so partial refunds add up to the
 * net exactly. A dispute clawback can reverse the same transfers: each seller's `transferId`, amount and cumulative
 * reversal are kept on the order.
 */
export interface SellerShare {
  partnerId: string;
  stripeAccountId: string;
  gross: number;
  fee: number;
  feeBps: number;
  net: number;
  /** The seller's Transfer once sent, and how much of it has been reversed (cumulative). */
  transferId: string | null;
  transferReversed: number;
}

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

/** The transfers still to send for a paid order: one per seller without one (its net must be positive). */
export function pendingSellerTransfers(order: Order): { index: number; share: SellerShare }[] {
  return (order.sellers ?? []).flatMap((share, index) =>
    share.transferId === null && share.net > 0 ? [{ index, share }] : [],
  );
}

/** The seller's ledger lines once their Transfer exists: one earning of their net, and the money moved. */
export function sellerEarningEntries(order: Order, share: SellerShare, paidAt: number, now: number): LedgerRecord[] {
  const at = new Date(now).toISOString();
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
    entry(
      share,
      order.currency,
      {
        id: `${order.id}:${share.partnerId}:transfer`,
        type: 'transfer',
        amount: -share.net,
        description: 'Transferred with the charge (separate transfer)',
        ...platformReferenceOf(order.reference),
      },
      paidAt,
      order.id,
      at,
    ),
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

/** What each seller's transfer must give back now, given every refund of the charge so far. */
export function planSellerReversals(order: Order, refunds: readonly RefundFact[], now: number): SellerReversalPlan[] {
  const shares = order.sellers ?? [];
  const refunded = attributeRefunds(shares, refunds);
  const at = new Date(now).toISOString();
  return shares.flatMap((share, index) => {
    if (share.transferId === null) return [];
    const target = cumulativeShareRefunded(share.gross, share.fee, Math.min(refunded[index] ?? 0, share.gross));
    const delta = Math.min(target, share.net) - share.transferReversed;
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
