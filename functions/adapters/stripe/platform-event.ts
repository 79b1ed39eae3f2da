import type Stripe from 'stripe';
import type { PlatformEvent } from '#core/platform-events';

const idOf = (value: string | { id: string } | null | undefined): string | null =>
  value === null || value === undefined ? null : typeof value === 'string' ? value : value.id;

/**
 * The event types the platform endpoint subscribes to (Stripe's `enabled_events`): exactly the types mapped below.
 * Subscribing to more only makes Stripe call (and bill Lambda for) events that are acknowledged and dropped.
 */
export const PLATFORM_EVENT_TYPES = [
  'payment_intent.succeeded',
  'payment_intent.payment_failed',
  'payment_intent.canceled',
  'checkout.session.completed',
  'checkout.session.async_payment_succeeded',
  'checkout.session.async_payment_failed',
  'checkout.session.expired',
  'charge.refunded',
  'charge.dispute.created',
  'charge.dispute.updated',
  'charge.dispute.closed',
  'transfer.reversed',
  'balance.available',
] as const satisfies readonly Stripe.Event.Type[];

/**
 * Maps a verified platform event to the domain event it is (`#core/platform-events` dispatches it); everything else,
 * and every event of a connected account, is `ignored` (answered 200).
 */
export function toPlatformEvent(event: Stripe.Event): PlatformEvent {
  const base = { id: event.id, type: event.type, created: event.created };
  const ignored: PlatformEvent = { kind: 'ignored', ...base };
  // Events of connected accounts belong to the Connect endpoint.
  if (event.account) return ignored;
  switch (event.type) {
    case 'payment_intent.succeeded':
    case 'payment_intent.payment_failed':
    case 'payment_intent.canceled':
      return { kind: 'payment', ...base, paymentIntentId: event.data.object.id };
    case 'checkout.session.expired':
      return { kind: 'checkout_expired', ...base, sessionId: event.data.object.id };
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded':
    case 'checkout.session.async_payment_failed': {
      const paymentIntentId = idOf(event.data.object.payment_intent);
      return paymentIntentId ? { kind: 'payment', ...base, paymentIntentId } : ignored;
    }
    case 'charge.refunded': {
      const charge = event.data.object;
      const paymentIntentId = idOf(charge.payment_intent);
      return paymentIntentId
        ? { kind: 'payment', ...base, paymentIntentId }
        : { kind: 'charge', ...base, chargeId: charge.id };
    }
    case 'transfer.reversed': {
      const transfer = event.data.object;
      // Reversals of destination-charge transfers name their source charge.
      const chargeId = idOf(transfer.source_transaction);
      if (chargeId) return { kind: 'charge', ...base, chargeId };
      // Transfers the payout run sends have no source charge and carry our payout's ids.
      const { payoutId, partnerId } = transfer.metadata ?? {};
      if (!payoutId || !partnerId) return ignored;
      return {
        kind: 'transfer_payout_reversed',
        ...base,
        partnerId,
        payoutId,
        transferId: transfer.id,
        amountReversed: transfer.amount_reversed,
      };
    }
    case 'charge.dispute.created':
    case 'charge.dispute.updated':
    case 'charge.dispute.closed': {
      const dispute = event.data.object;
      return {
        kind: 'dispute',
        ...base,
        paymentIntentId: idOf(dispute.payment_intent),
        chargeId: idOf(dispute.charge),
        dispute: { id: dispute.id, status: dispute.status, reason: dispute.reason ?? null, amount: dispute.amount },
      };
    }
    case 'balance.available':
      return { kind: 'funds_available', ...base };
    default:
      return ignored;
  }
}
