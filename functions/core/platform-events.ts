import { handleDispute } from './disputes.ts';
import { syncCommission } from './earnings.ts';
import type { Dispute } from './payment.ts';
import type { PaymentDeps } from './payment-ports.ts';
import { cancelPayment, settlePayment } from './settlement.ts';

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
  /** A Checkout Session expired (it may never have created a PaymentIntent). */
  | { kind: 'checkout_expired'; id: string; type: string; created: number; sessionId: string }
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
    case 'checkout_expired':
    case 'ignored':
      return null;
  }
}

/**
 * An expired Checkout Session can no longer be paid: its payment (and order) become canceled — unless Stripe says
 * its PaymentIntent succeeded after all, which settles as usual. The session is re-read: the event never decides.
 */
async function checkoutExpired(deps: PaymentDeps, event: Extract<PlatformEvent, { kind: 'checkout_expired' }>) {
  const session = await deps.stripe.retrieveCheckoutSession(event.sessionId);
  const paymentId = session.metadata[PAYMENT_ID_METADATA_KEY];
  if (!paymentId) return 'ignored_session';
  if (session.status !== 'expired') return 'session_not_expired';
  if (session.paymentIntentId) {
    const view = await deps.stripe.retrievePayment(session.paymentIntentId);
    if (view.outcome === 'succeeded') return settlePayment(deps, paymentId, view, event.created);
  }
  return cancelPayment(deps, paymentId);
}

export async function handlePlatformEvent(deps: PaymentDeps, event: PlatformEvent): Promise<string> {
  if (event.kind === 'ignored') return 'ignored';
  if (event.kind === 'checkout_expired') return checkoutExpired(deps, event);
  // A dispute is re-read from Stripe with its payment: holds, releases and clawbacks follow its current state.
  if (event.kind === 'dispute') return handleDispute(deps, event.dispute.id, event.created);
  const paymentIntentId = await paymentIntentOf(deps, event);
  if (!paymentIntentId) return 'no_payment_intent';
  const view = await deps.stripe.retrievePayment(paymentIntentId);
  const paymentId = view.metadata[PAYMENT_ID_METADATA_KEY];
  if (paymentId) return settlePayment(deps, paymentId, view, event.created);
  return syncCommission(deps, view, event.created);
}
