import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type Stripe from 'stripe';
import * as z from 'zod';
import { connectEventProcessor } from '#middleware/connect-events';
import { logger, metrics } from '#middleware/observability';
import { platformEventProcessor } from '#middleware/platform-events';
import { messageJson } from '#middleware/queue-message';
import { processStripeEvent } from '#middleware/stripe-events';

/**
 * Stripe's partner event source puts each event on EventBridge as `{ "detail-type": <event type>, "source":
 * "aws.partner/stripe.com/…", "detail": <the Stripe event> }`; a rule forwards it to an SQS queue, whose messages
 * carry that envelope as their body. Only Stripe can publish to its partner event source, so there is no signature
 * to verify; the envelope is still checked to be Stripe's and self-consistent.
 */
const Envelope = z.object({
  'detail-type': z.string().min(1),
  source: z.string().startsWith('aws.partner/stripe.com'),
  detail: z.looseObject({
    id: z.string().regex(/^evt_[A-Za-z0-9_]+$/),
    object: z.literal('event'),
    type: z.string().min(1),
    created: z.number().int(),
    account: z.string().optional(),
    data: z.looseObject({ object: z.looseObject({}) }),
  }),
});

/**
 * The EventBridge channel of Stripe events (stage key `stripeEvents: eventbridge`): the same processors as the
 * webhooks — events naming a connected account go to the Connect handler, the platform's own to the platform
 * handler — and the same de-duplication record, so an event that also arrives by webhook is processed once.
 * Records are processed in order, one at a time; a failed record is reported alone (partial batch failure), SQS
 * redelivers it after the visibility timeout and moves it to the DLQ after repeated failures. A malformed message
 * can never succeed: it is kept for the DLQ (and its alarm), not dropped.
 */
async function processBatch(event: SQSEvent): Promise<SQSBatchResponse> {
  const failures: string[] = [];
  for (const record of event.Records) {
    const stripeEvent = readStripeEventMessage(record.body);
    if (!stripeEvent) {
      logger.error('Unreadable Stripe event message', { messageId: record.messageId });
      failures.push(record.messageId);
      continue;
    }
    try {
      const processor = stripeEvent.account ? connectEventProcessor : platformEventProcessor;
      await processStripeEvent(processor, stripeEvent, 'eventbridge');
    } catch (error) {
      logger.error('Stripe event failed; it will be retried', {
        messageId: record.messageId,
        stripeEventId: stripeEvent.id,
        error: error as Error,
      });
      failures.push(record.messageId);
    }
  }
  return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
}

/** The Stripe event in an SQS message from the EventBridge rule, or null when the message is not one. */
export function readStripeEventMessage(body: string): Stripe.Event | null {
  const parsed = Envelope.safeParse(messageJson(body));
  if (!parsed.success || parsed.data['detail-type'] !== parsed.data.detail.type) return null;
  return parsed.data.detail as unknown as Stripe.Event;
}

export const handler = middy(processBatch).use(injectLambdaContext(logger)).use(logMetrics(metrics));
