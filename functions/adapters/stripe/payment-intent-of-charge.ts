import { stripe } from './client.ts';
import { stripeFailure } from './errors.ts';

/** The PaymentIntent a charge belongs to (transfer reversals and disputes name only the charge). */
export async function paymentIntentOfCharge(chargeId: string): Promise<string | null> {
  try {
    const client = await stripe();
    const charge = await client.charges.retrieve(chargeId);
    const intent = charge.payment_intent;
    return typeof intent === 'string' ? intent : (intent?.id ?? null);
  } catch (error) {
    throw stripeFailure(error, 'read the charge');
  }
}
