import { stripeConnect } from '#adapters/stripe/connect';
import { toConnectEvent } from '#adapters/stripe/connect-event';
import { handleConnectEvent } from '#core/connect-events';
import { logger } from './observability.ts';
import { deps } from './partner-request.ts';
import type { StripeEventProcessor } from './stripe-events.ts';

/** Connect events (they name a connected account), whichever channel brought them: map → dispatch. */
export const connectEventProcessor: StripeEventProcessor = {
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
