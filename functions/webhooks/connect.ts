import { connectEventProcessor } from '#middleware/connect-events';
import { stripeWebhookHandler } from './stripe-webhook.ts';

/**
 * `POST /webhooks/stripe/connect`: events of connected accounts (account.updated, capability.updated,
 * account.application.deauthorized, account.external_account.*, payout.*). Unknown types are
 * acknowledged and logged.
 */
export const handler = stripeWebhookHandler({ ...connectEventProcessor, secret: 'connectWebhookSecret' });
