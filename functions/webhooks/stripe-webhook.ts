import type Stripe from 'stripe';
import * as z from 'zod';
import { webhookEvents } from '#adapters/dynamodb/webhook-events';
import { readSecret } from '#adapters/secrets';
import { constructWebhookEvent } from '#adapters/stripe/construct-webhook-event';
import { isStripeObjectMissing } from '#adapters/stripe/errors';
import { httpHandler } from '#middleware/http-handler';
import { logger } from '#middleware/observability';
import type { SecretName } from '#routes';

const Received = z
  .strictObject({
    received: z.literal(true),
    duplicate: z.literal(true).optional().describe('Present when this event id was already processed.'),
  })
  .describe('The event was verified and processed (or had been already); Stripe stops retrying.');

/** How a Stripe event reached us: a signed webhook, or the Stripe partner event source on EventBridge (via SQS). */
export type StripeEventChannel = 'webhook' | 'eventbridge';

export interface StripeEventProcessor {
  /** Which handler this is (logged and stored with the de-duplication record). */
  endpoint: 'platform' | 'connect';
  /** Processes one verified event and names the outcome (for logs). Must be idempotent. */
  handle(event: Stripe.Event): Promise<string>;
}

export interface StripeWebhookOptions extends StripeEventProcessor {
  /** The endpoint's own signing secret. */
  secret: Extract<SecretName, 'platformWebhookSecret' | 'connectWebhookSecret'>;
}

const SUMMARIES: Readonly<Record<StripeEventProcessor['endpoint'], string>> = {
  platform: 'Stripe platform events (payments, refunds, disputes, transfer reversals, `balance.available`)',
  connect: 'Stripe Connect events (account and capability updates, deauthorization, payouts)',
};

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

/**
 * The shape of every Stripe webhook Lambda: verify `Stripe-Signature` on the raw body with the endpoint's secret
 * (400 and no state change otherwise), then `processStripeEvent`; any failure answers 5xx so Stripe retries (a
 * domain refusal of Stripe itself maps to 502).
 */
export function stripeWebhookHandler(options: StripeWebhookOptions) {
  return httpHandler(
    { auth: 'webhook', summary: SUMMARIES[options.endpoint], responses: { 200: Received } },
    async ({ rawBody, headers }) => {
      const event = await constructWebhookEvent(rawBody, headers['stripe-signature'], await readSecret(options.secret));
      const { duplicate } = await processStripeEvent(options, event, 'webhook');
      return { status: 200, body: duplicate ? { received: true, duplicate: true } : { received: true } };
    },
  );
}
