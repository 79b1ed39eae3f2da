import { toPlatformEvent } from '#adapters/stripe/platform-event';
import { handlePlatformEvent } from '#core/platform-events';
import { logger } from '#middleware/observability';
import { paymentDepsForRequest } from '#middleware/payment-request';
import { stripeWebhookHandler } from './stripe-webhook.ts';

/**
 * `POST /webhooks/stripe`: the platform's own events — payments (PaymentIntents, Checkout Sessions), refunds,
 * disputes and transfer reversals. Each re-reads the payment from Stripe and converges our record and the ledger
 * on it. Unknown types are acknowledged.
 */
export const handler = stripeWebhookHandler({
  endpoint: 'platform',
  secret: 'platformWebhookSecret',
  handle: async (event) => {
    const outcome = await handlePlatformEvent(paymentDepsForRequest(), toPlatformEvent(event));
    if (outcome === 'ignored') logger.debug('Platform event type not handled; acknowledged', { type: event.type });
    return outcome;
  },
});
