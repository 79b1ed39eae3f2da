import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import middy from '@middy/core';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { putEvents } from '#adapters/eventbridge/bus';
import type { DomainEvent } from '#core/domain-events';
import { logger, metrics } from '#middleware/observability';

/**
 * The outbox publisher: the table's stream (new images) → the event bus. Only inserted domain-event items are
 * published; every other change in the table is ignored (in AWS the event source mapping's filter already drops
 * them, so this function is invoked only for events). Records EventBridge did not accept are reported as batch
 * item failures: the stream retries from the first of them (bisecting the batch), so an event is published at
 * least once; consumers de-duplicate by event id.
 */
async function publish(stream: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  const busName = process.env.EVENT_BUS_NAME;
  if (!busName) throw new Error('EVENT_BUS_NAME is not set');
  const events: { sequence: string; event: DomainEvent }[] = [];
  for (const record of stream.Records) {
    const image = record.dynamodb?.NewImage;
    // Only new domain-event items (the stack's event source filter passes nothing else; this is the same rule).
    if (record.eventName !== 'INSERT' || image?.entity?.S !== 'domain-event') continue;
    const item = unmarshall(image as Record<string, AttributeValue>);
    events.push({ sequence: record.dynamodb?.SequenceNumber ?? '', event: item.event as DomainEvent });
  }
  if (events.length === 0) return { batchItemFailures: [] };
  const failed = await putEvents(
    events.map(({ event }) => event),
    busName,
  );
  metrics.addMetric('EventsPublished', 'Count', events.length - failed.size);
  if (failed.size > 0) {
    metrics.addMetric('EventPublishFailures', 'Count', failed.size);
    logger.warn('Some events were not accepted by the bus; the stream retries them', { failed: [...failed] });
  }
  // The stream resumes from the earliest failure, so report it and every later record (in stream order).
  const firstFailure = events.findIndex(({ event }) => failed.has(event.id));
  return {
    batchItemFailures:
      firstFailure < 0 ? [] : events.slice(firstFailure).map(({ sequence }) => ({ itemIdentifier: sequence })),
  };
}

export const handler = middy(publish)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
