import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import { domainEvents } from '#adapters/dynamodb/outbox';
import { webhookEndpoints } from '#adapters/dynamodb/webhook-endpoints';
import { postEvent } from '#adapters/http/post-event';
import { eventDeliveryQueue } from '#adapters/sqs/event-delivery-queue';
import { config } from '#config';
import type { DomainEvent } from '#core/domain-events';
import { afterAttempt, deliveryRequests, isDelivered } from '#core/event-delivery';
import { subscribes, type WebhookEndpoint } from '#core/webhook-endpoints';
import { logger, metrics } from '#middleware/observability';

/** A bus event (the rule's target body) or an operator's redelivery. */
const Redelivery = z.strictObject({
  type: z.literal('redeliver'),
  eventId: z.string().min(1),
  endpointId: z.string().nullable(),
});
const BusEvent = z.looseObject({
  'detail-type': z.string(),
  detail: z.looseObject({ id: z.string().min(1), type: z.string().min(1) }),
});

const TIMEOUT_MS = 10_000;

/**
 * Event delivery worker (the delivery queue's consumer). For each message: the event's pending targets are sent
 * (see `deliveryRequests`), every attempt is recorded on the event's delivery record, and a message with a failed
 * target is kept for its next attempt (its visibility set to the backoff) until the attempts run out.
 */
async function deliverOne(
  record: SQSRecord,
  listEndpoints: () => Promise<WebhookEndpoint[]>,
): Promise<'done' | 'retry'> {
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch {
    body = undefined;
  }
  const redelivery = Redelivery.safeParse(body);
  const busEvent = BusEvent.safeParse(body);
  if (!redelivery.success && !busEvent.success) {
    logger.error('Unreadable delivery message; dropped', { messageId: record.messageId });
    return 'done';
  }
  const redeliver = redelivery.success ? { endpointId: redelivery.data.endpointId } : null;
  const event = redelivery.success
    ? await domainEvents.get(redelivery.data.eventId)
    : (busEvent.data?.detail as unknown as DomainEvent);
  if (!event) {
    logger.warn('Event to redeliver no longer exists', { eventId: redelivery.data?.eventId });
    return 'done';
  }
  const endpoints = await listEndpoints();
  // When no endpoint subscribes to the event there is nothing to deliver and no earlier delivery to look up: the
  // deliveries query is skipped (one query per event, most events on a platform without endpoints for them).
  const delivered = new Set(
    !endpoints.some((endpoint) => subscribes(endpoint, event))
      ? []
      : (await webhookEndpoints.deliveries(event.id)).filter((d) => d.status === 'delivered').map((d) => d.endpointId),
  );
  const attempt = Number(record.attributes.ApproximateReceiveCount ?? '1');
  const requests = deliveryRequests(event, endpoints, delivered, redeliver, new Date());
  const cfg = config();
  const results = await Promise.all(
    requests.map(async (request) => {
      const at = new Date().toISOString();
      const result = await postEvent(request.endpoint.url, request.body, request.headers, {
        blockPrivateAddresses: cfg.STAGE !== 'local',
        timeoutMs: TIMEOUT_MS,
      });
      const ok = isDelivered(result.status);
      const next = afterAttempt(!ok, attempt);
      await webhookEndpoints.recordAttempt(
        event.id,
        request.endpoint.id,
        { at, status: result.status, error: result.error, ms: result.ms },
        ok ? 'delivered' : next.kind === 'give_up' ? 'failed' : 'pending',
      );
      metrics.addMetric(ok ? 'EventDeliveries' : 'EventDeliveryFailures', 'Count', 1);
      return ok;
    }),
  );
  const next = afterAttempt(results.includes(false), attempt);
  if (next.kind === 'done') return 'done';
  if (next.kind === 'give_up') {
    logger.error('Event delivery given up after the last attempt', { eventId: event.id, attempt });
    return 'retry'; // one more failure moves the message to the DLQ (its maxReceiveCount is the last attempt)
  }
  const delay = cfg.EVENT_DELIVERY_RETRY_SECONDS ?? next.delaySeconds;
  await eventDeliveryQueue.delay(record.receiptHandle, delay);
  return 'retry';
}

async function deliver(event: SQSEvent): Promise<SQSBatchResponse> {
  const failures: { itemIdentifier: string }[] = [];
  // The endpoints are read once per batch, when the first message needs them (a batch's events are delivered as of
  // one moment, as if they had arrived together): one query per batch of up to 10 events instead of one per event.
  let endpoints: Promise<WebhookEndpoint[]> | undefined;
  const listEndpoints = () => {
    endpoints ??= webhookEndpoints.list();
    return endpoints;
  };
  await Promise.all(
    event.Records.map(async (record) => {
      try {
        if ((await deliverOne(record, listEndpoints)) === 'retry') failures.push({ itemIdentifier: record.messageId });
      } catch (error) {
        logger.error('Delivery failed unexpectedly; the message will be retried', { error: error as Error });
        failures.push({ itemIdentifier: record.messageId });
      }
    }),
  );
  return { batchItemFailures: failures };
}

export const handler = middy(deliver)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
