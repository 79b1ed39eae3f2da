import { syncCommission } from './earnings.ts';
import type { Dispute } from './payment.ts';
import type { PaymentDeps } from './payment-ports.ts';
import { settlePayment } from './settlement.ts';

/**
 * Platform webhook events as the webhook adapter normalizes them. Each names the PaymentIntent it concerns (or the
 * charge, when only that is known); the handler re-reads the PaymentIntent from Stripe and converges on it, so the
 * event's own payload — possibly old — never decides a state.
 */
export type PlatformEvent =
  | { kind: 'payment'; id: string; type: string; created: number; paymentIntentId: string }
  | { kind: 'charge'; id: string; type: string; created: number; chargeId: string }
  | {
      kind: 'dispute';
      id: string;
      type: string;
      created: number;
      paymentIntentId: string | null;
      chargeId: string | null;
      dispute: Omit<Dispute, 'eventCreated'>;
    }
  | { kind: 'ignored'; id: string; type: string; created: number };

/** Our metadata on every PaymentIntent we create (for Checkout, through `payment_intent_data.metadata`). */
export const PAYMENT_ID_METADATA_KEY = 'paymentId';

async function paymentIntentOf(deps: PaymentDeps, event: PlatformEvent): Promise<string | null> {
  switch (event.kind) {
    case 'payment':
      return event.paymentIntentId;
    case 'charge':
      return deps.stripe.paymentIntentOfCharge(event.chargeId);
    case 'dispute':
      return event.paymentIntentId ?? (event.chargeId ? deps.stripe.paymentIntentOfCharge(event.chargeId) : null);
    case 'ignored':
      return null;
  }
}

export async function handlePlatformEvent(deps: PaymentDeps, event: PlatformEvent): Promise<string> {
  if (event.kind === 'ignored') return 'ignored';
  const paymentIntentId = await paymentIntentOf(deps, event);
  if (!paymentIntentId) return 'no_payment_intent';
  const view = await deps.stripe.retrievePayment(paymentIntentId);
  const paymentId = view.metadata[PAYMENT_ID_METADATA_KEY];
  if (event.kind === 'dispute') {
    if (!paymentId) return 'ignored_dispute';
    const at = deps.clock.now().toISOString();
    const recorded = await deps.payments.recordDispute(
      paymentId,
      { ...event.dispute, eventCreated: event.created },
      at,
    );
    if (recorded)
      deps.log.warn('Payment disputed', { paymentId, disputeId: event.dispute.id, status: event.dispute.status });
    return recorded ? 'dispute_recorded' : 'dispute_stale';
  }
  if (paymentId) return settlePayment(deps, paymentId, view, event.created);
  return syncCommission(deps, view, event.created);
}
