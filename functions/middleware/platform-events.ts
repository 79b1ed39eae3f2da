import { sqsPayoutQueue } from '#adapters/sqs/payout-queue';
import { stripeTransfers } from '#adapters/stripe/create-transfer';
import { stripePayments } from '#adapters/stripe/payments';
import { toPlatformEvent } from '#adapters/stripe/platform-event';
import { handlePlatformEvent, type PlatformEventDeps } from '#core/platform-events';
import { logger } from './observability.ts';
import { paymentDepsForRequest } from './payment-request.ts';
import { payoutDepsForRequest } from './payout-request.ts';
import type { StripeEventProcessor } from './stripe-events.ts';

/**
 * What the platform events' `access` grants: Stripe (payment reads and, for the payout run, its settlement key) and
 * the payout queue. Each side is built only when an event needs it.
 */
const platformEventDeps: PlatformEventDeps = {
  payments: () => paymentDepsForRequest({ stripe: stripePayments }),
  payouts: () => payoutDepsForRequest({ transfers: stripeTransfers, queue: sqsPayoutQueue }),
};

/** The platform's own events, whichever channel brought them: verified upstream, then map → dispatch. */
export const platformEventProcessor: StripeEventProcessor = {
  endpoint: 'platform',
  handle: async (event) => {
    const platformEvent = toPlatformEvent(event);
    if (platformEvent.kind === 'ignored')
      logger.debug('Platform event type not handled; acknowledged', { type: event.type });
    return handlePlatformEvent(platformEventDeps, platformEvent);
  },
};
