import Stripe from 'stripe';
import { fail } from '#core/errors';

/**
 * Verifies the `Stripe-Signature` header over the raw body with the endpoint's signing secret (SDK helper:
 * HMAC-SHA256, constant-time compare, 5-minute timestamp tolerance) and returns the event. Anything else is a 400.
 */
export async function constructWebhookEvent(
  rawBody: string,
  signature: string | undefined,
  secret: string,
): Promise<Stripe.Event> {
  if (!signature) {
    fail('missing_signature', 'The Stripe-Signature header is required.');
  }
  try {
    return await Stripe.webhooks.constructEventAsync(rawBody, signature, secret);
  } catch {
    fail('invalid_signature', 'The Stripe signature could not be verified.');
  }
}
