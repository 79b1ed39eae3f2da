import * as z from 'zod';
import { readSecret } from '#adapters/secrets';
import { constructWebhookEvent } from '#adapters/stripe/construct-webhook-event';
import { lazily } from '#middleware/contract';
import { httpHandler } from '#middleware/http-handler';
import { processStripeEvent, type StripeEventProcessor } from '#middleware/stripe-events';
import type { SecretName } from '#routes';

/** Built when a contract is read (never at a function's cold start). */
const Received = lazily(() =>
  z
    .strictObject({
      received: z.literal(true),
      duplicate: z.literal(true).optional().describe('Present when this event id was already processed.'),
    })
    .describe('The event was verified and processed (or had been already); Stripe stops retrying.'),
);

export interface StripeWebhookOptions extends StripeEventProcessor {
  /** The endpoint's own signing secret. */
  secret: Extract<SecretName, 'platformWebhookSecret' | 'connectWebhookSecret'>;
}

const SUMMARIES: Readonly<Record<StripeEventProcessor['endpoint'], string>> = {
  platform: 'Stripe platform events (payments, refunds, disputes, transfer reversals, `balance.available`)',
  connect: 'Stripe Connect events (account and capability updates, deauthorization, payouts)',
};

/**
 * The shape of every Stripe webhook Lambda: verify `Stripe-Signature` on the raw body with the endpoint's secret
 * (400 and no state change otherwise), then `processStripeEvent`; any failure answers 5xx so Stripe retries (a
 * domain refusal of Stripe itself maps to 502).
 */
export function stripeWebhookHandler(options: StripeWebhookOptions) {
  return httpHandler(
    { auth: 'webhook', summary: SUMMARIES[options.endpoint], responses: () => ({ 200: Received() }) },
    async ({ rawBody, headers }) => {
      const event = await constructWebhookEvent(rawBody, headers['stripe-signature'], await readSecret(options.secret));
      const { duplicate } = await processStripeEvent(options, event, 'webhook');
      return { status: 200, body: duplicate ? { received: true, duplicate: true } : { received: true } };
    },
  );
}
