import type Stripe from 'stripe';
import { z } from 'zod';
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

const SUMMARIES: Readonly<Record<StripeWebhookOptions['endpoint'], string>> = {
  platform: 'Stripe platform events (payments, refunds, disputes, transfer reversals, `balance.available`)',
  connect: 'Stripe Connect events (account and capability updates, deauthorization, payouts)',
};

export interface StripeWebhookOptions {
  /** Which endpoint this is (logged and stored with the de-duplication record). */
  endpoint: 'platform' | 'connect';
  /** The endpoint's own signing secret. */
  secret: Extract<SecretName, 'platformWebhookSecret' | 'connectWebhookSecret'>;
  /** Processes one verified event and names the outcome (for logs). Must be idempotent. */
  handle(event: Stripe.Event): Promise<string>;
}

/**
 * The shape of every Stripe webhook Lambda:
 * 1. verify `Stripe-Signature` on the raw body with the endpoint's secret — 400 and no state change otherwise;
 * 2. skip an event id that was already processed (200);
 * 3. process; any failure answers 5xx so Stripe retries (a domain refusal of Stripe itself maps to 502) — except
 *    when Stripe says an object the event names does not exist: retrying for days cannot change that, so the event
 *    is acknowledged (200) and logged as a warning;
 * 4. record the event id as processed (TTL), only after success — a crash in between means Stripe's retry runs
 *    the (idempotent) handler again rather than the event being lost.
 */
export function stripeWebhookHandler(options: StripeWebhookOptions) {
  return httpHandler(
    { auth: 'webhook', summary: SUMMARIES[options.endpoint], responses: { 200: Received } },
    async ({ rawBody, headers }) => {
      const event = await constructWebhookEvent(rawBody, headers['stripe-signature'], await readSecret(options.secret));
      logger.appendKeys({ stripeEventId: event.id, stripeEventType: event.type, stripeAccount: event.account });
      if (await webhookEvents.isProcessed(event.id)) {
        logger.info('Stripe event already processed; acknowledged again');
        return { status: 200, body: { received: true, duplicate: true } };
      }
      let outcome: string;
      try {
        outcome = await options.handle(event);
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
        endpoint: options.endpoint,
        at: new Date(),
      });
      logger.info('Stripe event processed', { outcome });
      return { status: 200, body: { received: true } };
    },
  );
}
