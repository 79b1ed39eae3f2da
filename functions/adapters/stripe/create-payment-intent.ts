import type Stripe from 'stripe';
import type { CreatePaymentIntentRequest } from '#core/payment-ports';
import { idempotencyKey, stripe } from './client.ts';
import { stripeFailure } from './errors.ts';

/**
 * A destination charge: the PaymentIntent is made on the platform, Stripe transfers the amount to the partner's
 * account and takes `application_fee_amount` back. The idempotency key is our payment id, so a retry of the same
 * payment gets the same PaymentIntent.
 */
export async function createPaymentIntent(
  request: CreatePaymentIntentRequest,
): Promise<{ id: string; clientSecret: string }> {
  const params: Stripe.PaymentIntentCreateParams = {
    amount: request.amount,
    currency: request.currency,
    transfer_data: { destination: request.destination },
    // Stripe refuses a zero fee on some API versions; no fee is expressed by leaving it out.
    ...(request.fee > 0 ? { application_fee_amount: request.fee } : {}),
    transfer_group: request.paymentId,
    description: request.description,
    metadata: request.metadata,
    automatic_payment_methods: { enabled: true },
  };
  try {
    const client = await stripe();
    const intent = await client.paymentIntents.create(params, {
      idempotencyKey: idempotencyKey('create-payment-intent', request.paymentId),
    });
    if (!intent.client_secret) throw new Error(`PaymentIntent ${intent.id} has no client secret`);
    return { id: intent.id, clientSecret: intent.client_secret };
  } catch (error) {
    throw stripeFailure(error, 'create the payment');
  }
}
