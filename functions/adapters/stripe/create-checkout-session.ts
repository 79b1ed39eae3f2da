import type Stripe from 'stripe';
import type { CreateCheckoutSessionRequest } from '#core/payment-ports';
import { idempotencyKey, stripe } from './client.ts';
import { stripeFailure } from './errors.ts';

/**
 * A hosted Checkout Session for one seller's order: the PaymentIntent it creates is a destination charge with the
 * platform fee, and carries our order and payment ids so the webhook can settle the order. Idempotency key: the
 * order id.
 */
export async function createCheckoutSession(
  request: CreateCheckoutSessionRequest,
): Promise<{ id: string; url: string }> {
  const metadata = { orderId: request.orderId, paymentId: request.paymentId, partnerId: request.partnerId };
  const params: Stripe.Checkout.SessionCreateParams = {
    mode: 'payment',
    line_items: request.items.map((item) => ({
      quantity: item.quantity,
      price_data: { currency: request.currency, unit_amount: item.unitAmount, product_data: { name: item.name } },
    })),
    payment_intent_data: {
      transfer_data: { destination: request.destination },
      ...(request.fee > 0 ? { application_fee_amount: request.fee } : {}),
      transfer_group: request.orderId,
      description: `Order ${request.orderId}`,
      metadata,
    },
    client_reference_id: request.orderId,
    metadata,
    success_url: request.successUrl,
    cancel_url: request.cancelUrl,
    ...(request.customerEmail ? { customer_email: request.customerEmail } : {}),
  };
  try {
    const client = await stripe();
    const session = await client.checkout.sessions.create(params, {
      idempotencyKey: idempotencyKey('create-checkout-session', request.orderId),
    });
    if (!session.url) throw new Error(`Checkout Session ${session.id} has no url`);
    return { id: session.id, url: session.url };
  } catch (error) {
    throw stripeFailure(error, 'create the checkout');
  }
}
