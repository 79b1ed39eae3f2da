import type Stripe from 'stripe';
import type { CreateCheckoutSessionRequest } from '#core/payment-ports';
import { idempotencyKey, stripe, stripeNow } from './client.ts';
import { stripeFailure } from './errors.ts';

const CLOCK_SLACK_SECONDS = 60;

/**
 * A hosted Checkout Session for one seller's order: the PaymentIntent it creates is a destination charge with the
 * platform fee, and carries our order and payment ids so the webhook can settle the order. Idempotency key: the
 * order id.
 */
export async function createCheckoutSession(
  request: CreateCheckoutSessionRequest,
): Promise<{ id: string; url: string }> {
  const metadata: Record<string, string> = {
    ...request.metadata,
    ...(request.orderId ? { orderId: request.orderId } : {}),
    paymentId: request.paymentId,
    partnerId: request.partnerId,
  };
  const reference = request.orderId ?? request.paymentId;
  const params: Stripe.Checkout.SessionCreateParams = {
    mode: 'payment',
    line_items: request.items.map((item) => ({
      quantity: item.quantity,
      price_data: { currency: request.currency, unit_amount: item.unitAmount, product_data: { name: item.name } },
    })),
    payment_intent_data: {
      // One seller: a destination charge with our fee. Several: the charge stays on the platform and each seller
      // gets a Transfer once it is paid (separate charges and transfers).
      ...(request.destination
        ? {
            transfer_data: { destination: request.destination },
            ...(request.fee > 0 ? { application_fee_amount: request.fee } : {}),
          }
        : {}),
      transfer_group: reference,
      description: request.orderId ? `Order ${request.orderId}` : (request.items[0]?.name ?? reference),
      metadata,
    },
    client_reference_id: reference,
    // Bounded: an unpaid session releases what its order holds when it expires. A minute above the requested
    // lifetime, so a clock a little ahead of Stripe's never asks for less than Stripe's 30-minute minimum.
    expires_at: stripeNow() + request.expiresInSeconds + CLOCK_SLACK_SECONDS,
    metadata,
    success_url: request.successUrl,
    cancel_url: request.cancelUrl,
    ...(request.customerEmail ? { customer_email: request.customerEmail } : {}),
  };
  try {
    const client = await stripe();
    const session = await client.checkout.sessions.create(params, {
      idempotencyKey: idempotencyKey('create-checkout-session', reference),
    });
    if (!session.url) throw new Error(`Checkout Session ${session.id} has no url`);
    return { id: session.id, url: session.url };
  } catch (error) {
    throw stripeFailure(error, 'create the checkout');
  }
}
