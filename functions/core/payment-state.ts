/**
 * The payment (and order) state machine, driven only by Stripe webhooks — never by the browser redirect.
 *
 *   pending ──► paid ──► partially_refunded ──► refunded
 *      │          ▲
 *      ├► failed ─┘   (a PaymentIntent that failed can still succeed with another payment method)
 *      │    │
 *      └────┴► canceled   (the PaymentIntent was canceled, or the Checkout Session expired unpaid: final)
 *
 * Transitions are guarded so an old or duplicated event never moves a payment backwards: a payment that is
 * paid never becomes failed or pending again, and refund progress only grows (`amountRefunded` is monotonic).
 */
export type PaymentStatus = 'pending' | 'failed' | 'canceled' | 'paid' | 'partially_refunded' | 'refunded';

const RANK: Readonly<Record<PaymentStatus, number>> = {
  pending: 0,
  failed: 1,
  canceled: 1,
  paid: 2,
  partially_refunded: 3,
  refunded: 4,
};

export type PaymentSignal =
  | { kind: 'succeeded' }
  | { kind: 'failed' }
  /** The PaymentIntent was canceled, or the Checkout Session expired without a payment. */
  | { kind: 'canceled' }
  /** Stripe's cumulative `amount_refunded` of the charge. */
  | { kind: 'refunded'; amountRefunded: number };

export interface PaymentStateView {
  status: PaymentStatus;
  amount: number;
  amountRefunded: number;
}

export type Transition = { changed: true; next: PaymentStateView } | { changed: false; reason: string };

export function statusForRefund(amount: number, amountRefunded: number): PaymentStatus {
  if (amountRefunded <= 0) return 'paid';
  return amountRefunded >= amount ? 'refunded' : 'partially_refunded';
}

export function applySignal(current: PaymentStateView, signal: PaymentSignal): Transition {
  switch (signal.kind) {
    case 'succeeded':
      if (RANK[current.status] >= RANK.paid) return { changed: false, reason: `already ${current.status}` };
      return { changed: true, next: { ...current, status: 'paid' } };
    case 'failed':
      if (current.status !== 'pending') return { changed: false, reason: `cannot fail a ${current.status} payment` };
      return { changed: true, next: { ...current, status: 'failed' } };
    case 'canceled':
      if (current.status !== 'pending' && current.status !== 'failed')
        return { changed: false, reason: `cannot cancel a ${current.status} payment` };
      return { changed: true, next: { ...current, status: 'canceled' } };
    case 'refunded': {
      if (RANK[current.status] < RANK.paid)
        return { changed: false, reason: `cannot refund a ${current.status} payment` };
      if (!Number.isSafeInteger(signal.amountRefunded) || signal.amountRefunded <= current.amountRefunded) {
        return { changed: false, reason: 'refund already recorded' };
      }
      const amountRefunded = Math.min(signal.amountRefunded, current.amount);
      return {
        changed: true,
        next: { ...current, amountRefunded, status: statusForRefund(current.amount, amountRefunded) },
      };
    }
  }
}

/**
 * The partner's share of a refund when the platform refunds its fee proportionally (`refund_application_fee`)
 * and reverses the transfer (`reverse_transfer`): the cumulative fee refunded uses the same half-up rule as the
 * fee, and each refund's share is the difference of cumulative values — so partial refunds always add up to the
 * full share exactly.
 */
export function cumulativeShareRefunded(amount: number, fee: number, amountRefunded: number): number {
  if (amountRefunded >= amount) return amount - fee;
  const product = fee * amountRefunded;
  let feeRefunded = Math.floor(product / amount);
  if ((product % amount) * 2 >= amount) feeRefunded += 1;
  return amountRefunded - feeRefunded;
}
