import { platformEventProcessor } from '#middleware/platform-events';
import { stripeWebhookHandler } from './stripe-webhook.ts';

/**
 * `POST /webhooks/stripe`: the platform's own events — payments (PaymentIntents, Checkout Sessions), refunds,
 * disputes and transfer reversals — and, for the transfer payout run, reversals of the transfers it sent and
 * `balance.available` (funds arrived: payouts waiting for funds are queued again). Unknown types are acknowledged.
 */
export const handler = stripeWebhookHandler({ ...platformEventProcessor, secret: 'platformWebhookSecret' });
