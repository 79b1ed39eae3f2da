import { stripeConnect } from '#adapters/stripe/connect';
import { toConnectEvent } from '#adapters/stripe/connect-event';
import { handleConnectEvent } from '#core/connect-events';
import { logger } from '#middleware/observability';
import { deps } from '#middleware/partner-request';
import { type StripeEventProcessor, stripeWebhookHandler } from './stripe-webhook.ts';

/** Connect events (they name a connected account), whichever channel brought them. */
export const connectEvents: StripeEventProcessor = {
  endpoint: 'connect',
  handle: async (event) => {
    const connectEvent = toConnectEvent(event);
    if (connectEvent.kind === 'ignored')
      logger.info('Connect event type not handled; acknowledged', { type: event.type });
    const outcome = await handleConnectEvent(deps({ stripe: stripeConnect }), connectEvent);
    if (outcome === 'unknown_account')
      logger.warn('Connect event for an account no partner holds', { type: event.type });
    return outcome;
  },
};

/**
 * `POST /webhooks/stripe/connect`: events of connected accounts (account.updated, capability.updated,
 * account.application.deauthorized, account.external_account.*, payout.paid / payout.failed). Unknown types are
 * acknowledged and logged.
 */
export const handler = stripeWebhookHandler({ ...connectEvents, secret: 'connectWebhookSecret' });
