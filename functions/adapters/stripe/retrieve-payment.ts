import type Stripe from 'stripe';
import type { StripePaymentView } from '#core/payment-ports';
import { stripe } from './client.ts';
import { stripeFailure } from './errors.ts';

const EXPAND = ['latest_charge', 'latest_charge.transfer', 'latest_charge.application_fee'];

const objectOf = <T extends { id: string }>(value: string | T | null | undefined): T | null =>
  value && typeof value !== 'string' ? value : null;

/** Reads a PaymentIntent with its charge, transfer and application fee: Stripe's current truth about a payment. */
export async function retrievePayment(paymentIntentId: string): Promise<StripePaymentView> {
  let intent: Stripe.PaymentIntent;
  try {
    const client = await stripe();
    intent = await client.paymentIntents.retrieve(paymentIntentId, { expand: EXPAND });
  } catch (error) {
    throw stripeFailure(error, 'read the payment');
  }
  return paymentView(intent);
}

export function paymentView(intent: Stripe.PaymentIntent): StripePaymentView {
  const charge = objectOf<Stripe.Charge>(intent.latest_charge);
  const transfer = objectOf<Stripe.Transfer>(charge?.transfer);
  const fee = objectOf<Stripe.ApplicationFee>(charge?.application_fee);
  const succeeded = intent.status === 'succeeded' && charge?.status === 'succeeded';
  const failed =
    !succeeded &&
    (intent.status === 'requires_payment_method' || intent.status === 'canceled') &&
    (intent.last_payment_error !== null || charge?.status === 'failed');
  const destination = intent.transfer_data?.destination;
  return {
    paymentIntentId: intent.id,
    outcome: succeeded ? 'succeeded' : intent.status === 'canceled' ? 'canceled' : failed ? 'failed' : 'open',
    failureCode: intent.last_payment_error?.decline_code ?? intent.last_payment_error?.code ?? null,
    amount: intent.amount,
    currency: intent.currency,
    destination: typeof destination === 'string' ? destination : (destination?.id ?? null),
    metadata: { ...intent.metadata },
    chargeId: charge?.id ?? null,
    chargeCreated: succeeded && charge ? charge.created : null,
    amountCaptured: succeeded && charge ? charge.amount_captured : 0,
    amountRefunded: charge?.amount_refunded ?? 0,
    applicationFee: fee?.amount ?? charge?.application_fee_amount ?? 0,
    applicationFeeRefunded: fee?.amount_refunded ?? 0,
    transferReversed: transfer?.amount_reversed ?? 0,
    transferId: transfer?.id ?? (typeof charge?.transfer === 'string' ? charge.transfer : null),
    description: intent.description,
  };
}
