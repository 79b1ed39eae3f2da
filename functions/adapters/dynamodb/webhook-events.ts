import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo, tableName } from './client.ts';
import { webhookEventKey } from './keys.ts';

/** Stripe retries for up to three days; keeping the record for 30 covers every retry and manual replay. */
const RETENTION_SECONDS = 30 * 24 * 3600;

/**
 * Webhook de-duplication by Stripe event id. The record is written only *after* an event was processed
 * successfully, so a crash mid-way leaves no record and Stripe's retry processes the event again; every handler is
 * idempotent, so the rare concurrent double delivery that both pass the check converges on the same state.
 */
export const webhookEvents = {
  async isProcessed(eventId: string): Promise<boolean> {
    const { Item: item } = await dynamo().send(
      new GetCommand({ TableName: tableName(), Key: webhookEventKey(eventId), ConsistentRead: true }),
    );
    return item !== undefined;
  },

  async markProcessed(
    eventId: string,
    details: { type: string; outcome: string; endpoint: string; channel: string; at: Date },
  ) {
    await dynamo().send(
      new PutCommand({
        TableName: tableName(),
        Item: {
          ...webhookEventKey(eventId),
          entity: 'webhook-event',
          eventId,
          type: details.type,
          outcome: details.outcome,
          endpoint: details.endpoint,
          channel: details.channel,
          processedAt: details.at.toISOString(),
          ttl: Math.floor(details.at.getTime() / 1000) + RETENTION_SECONDS,
        },
      }),
    );
  },
};
