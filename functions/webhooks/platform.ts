import type Stripe from 'stripe';
import { sqsPayoutQueue } from '#adapters/sqs/payout-queue';
import { stripeTransfers } from '#adapters/stripe/create-transfer';
import { stripePayments } from '#adapters/stripe/payments';
import { toPlatformEvent } from '#adapters/stripe/platform-event';
import { handlePayoutReversal, requeueAwaitingFunds } from '#core/payouts';
import { handlePlatformEvent } from '#core/platform-events';
import { logger } from '#middleware/observability';
import { paymentDepsForRequest } from '#middleware/payment-request';
import { payoutDepsForRequest } from '#middleware/payout-request';
import { type StripeEventProcessor, stripeWebhookHandler } from './stripe-webhook.ts';

/** What the platform webhook's `access` grants the payout run: the queue, and Stripe (its settlement key). */
const PAYOUT_GRANTS = { transfers: stripeTransfers, queue: sqsPayoutQueue };

/** The platform's own events, whichever channel brought them. */
export const platformEvents: StripeEventProcessor = {
  endpoint: 'platform',
  handle: async (event) => {
    const payoutOutcome = await handlePayoutEvent(event);
    if (payoutOutcome) return payoutOutcome;
    const outcome = await handlePlatformEvent(
      paymentDepsForRequest({ stripe: stripePayments }),
      toPlatformEvent(event),
    );
    if (outcome === 'ignored') logger.debug('Platform event type not handled; acknowledged', { type: event.type });
    return outcome;
  },
};

/**
 * `POST /webhooks/stripe`: the platform's own events — payments (PaymentIntents, Checkout Sessions), refunds,
 * disputes and transfer reversals — and, for the payout run, reversals of the transfers it sent and
 * `balance.available` (funds arrived: payouts waiting for funds are queued again). Unknown types are acknowledged.
 */
export const handler = stripeWebhookHandler({ ...platformEvents, secret: 'platformWebhookSecret' });

async function handlePayoutEvent(event: Stripe.Event): Promise<string | undefined> {
  if (event.account) return undefined;
  if (event.type === 'balance.available') {
    const { queued, done } = await requeueAwaitingFunds(await payoutDepsForRequest(PAYOUT_GRANTS));
    if (queued === 0) return 'no payout awaiting funds';
    return done
      ? `requeued ${queued} payouts awaiting funds`
      : `requeued ${queued} payouts awaiting funds, more queued`;
  }
  if (event.type === 'transfer.reversed') {
    const transfer = event.data.object;
    const { payoutId, partnerId } = transfer.metadata ?? {};
    // Only transfers the payout run sent carry payoutId (destination-charge transfers have a source charge).
    if (!payoutId || !partnerId || transfer.source_transaction) return undefined;
    return handlePayoutReversal(await payoutDepsForRequest(PAYOUT_GRANTS), {
      partnerId,
      payoutId,
      transferId: transfer.id,
      amountReversed: transfer.amount_reversed,
      reversalId: `${transfer.id}_${transfer.amount_reversed}`,
    });
  }
  return undefined;
}
