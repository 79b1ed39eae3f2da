import type { CheckoutSessionView } from '#core/payment-ports';
import { stripe } from './client.ts';
import { stripeFailure } from './errors.ts';

/** Reads a Checkout Session: Stripe's current truth about whether it is still open, paid for, or expired. */
export async function retrieveCheckoutSession(sessionId: string): Promise<CheckoutSessionView> {
  try {
    const client = await stripe();
    const session = await client.checkout.sessions.retrieve(sessionId);
    const intent = session.payment_intent;
    const status: CheckoutSessionView['status'] =
      session.status === 'complete' ? 'complete' : session.status === 'expired' ? 'expired' : 'open';
    return {
      sessionId: session.id,
      status,
      url: session.url ?? null,
      paymentIntentId: typeof intent === 'string' ? intent : (intent?.id ?? null),
      metadata: { ...(session.metadata ?? {}) },
    };
  } catch (error) {
    throw stripeFailure(error, 'read the Checkout Session');
  }
}
