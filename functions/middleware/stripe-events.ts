import type Stripe from 'stripe';
import { webhookEvents } from '#adapters/dynamodb/webhook-events';
import { isStripeObjectMissing } from '#adapters/stripe/errors';
import { logger } from './observability.ts';

/** How a Stripe event reached us: a signed webhook, or the Stripe partner event source on EventBridge (via SQS). */
export type StripeEventChannel = 'webhook' | 'eventbridge';

/**
 * What processes one endpoint's Stripe events, whichever channel brought them: map the verified event to its domain
 * event, then dispatch it in core (`platformEventProcessor`, `connectEventProcessor`).
 */
export interface StripeEventProcessor {
  /** Which handler this is (logged and stored with the de-duplication record). */
  endpoint: 'platform' | 'connect';
  /** Processes one verified event and names the outcome (for logs). Must be idempotent. */
  handle(event: Stripe.Event): Promise<string>;
}

/**
 * The one processing path of a Stripe event, whichever channel brought it:
 * 1. skip an event id that was already processed (either channel wrote the record);
 * 2. process (the handlers re-read Stripe objects and converge; they never trust the payload's state) — when Stripe
 *    says an object the event names does not exist, retrying for days cannot change that: the event is acknowledged
 *    and logged as a warning;
 * 3. record the event id as processed (TTL), only after success — a crash in between means the retry runs the
 *    (idempotent) handler again rather than the event being lost. Failures are thrown for the channel to retry.
 */
export async function processStripeEvent(
  processor: StripeEventProcessor,
  event: Stripe.Event,
  channel: StripeEventChannel,
): Promise<{ duplicate: boolean; outcome: string | null }> {
  logger.appendKeys({ stripeEventId: event.id, stripeEventType: event.type, stripeAccount: event.account });
  try {
    if (await webhookEvents.isProcessed(event.id)) {
      logger.info('Stripe event already processed; acknowledged again', { channel });
      return { duplicate: true, outcome: null };
    }
    let outcome: string;
    try {
      outcome = await processor.handle(event);
    } catch (error) {
      if (!isStripeObjectMissing(error)) throw error;
      outcome = 'stripe_object_missing';
      logger.warn('Stripe has no object this signed event names; acknowledged, nothing changed', {
        cause: (error as Error).cause,
      });
    }
    await webhookEvents.markProcessed(event.id, {
      type: event.type,
      outcome,
      endpoint: processor.endpoint,
      channel,
      at: new Date(),
    });
    logger.info('Stripe event processed', { outcome, channel });
    return { duplicate: false, outcome };
  } finally {
    logger.removeKeys(['stripeEventId', 'stripeEventType', 'stripeAccount']);
  }
}
