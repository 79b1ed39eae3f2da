import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { EndpointSecret, WebhookEndpoint } from '#core/webhook-endpoints';
import { dynamo, tableName } from './client.ts';
import { isConditionFailed } from './conditions.ts';
import { domainEventKey } from './outbox.ts';
import type { Item } from './query.ts';

/**
 * The platform's webhook endpoints (one small partition) and each event's delivery record (in the event's own
 * partition, so an event and its deliveries are one Query).
 *
 * | Item           | PK                  | SK                    |
 * |----------------|---------------------|-----------------------|
 * | Endpoint       | WEBHOOK_ENDPOINTS   | ENDPOINT#<we_id>      |
 * | Delivery       | DOMAIN_EVENT#<id>   | DELIVERY#<we_id>      |
 */
const ENDPOINTS_PK = 'WEBHOOK_ENDPOINTS';
const endpointKey = (id: string) => ({ PK: ENDPOINTS_PK, SK: `ENDPOINT#${id}` });
const deliveryKey = (eventId: string, endpointId: string) => ({
  PK: domainEventKey(eventId).PK,
  SK: `DELIVERY#${endpointId}`,
});
/** Attempts kept on a delivery record (the latest ones). */
const ATTEMPTS_KEPT = 20;

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface DeliveryAttempt {
  at: string;
  /** HTTP status, or null when no answer came (timeout, refused connection, blocked address). */
  status: number | null;
  error: string | null;
  ms: number;
}

export interface Delivery {
  eventId: string;
  endpointId: string;
  status: DeliveryStatus;
  attempts: DeliveryAttempt[];
  updatedAt: string;
}

const toEndpoint = (item: Item): WebhookEndpoint => ({
  id: item.endpointId as string,
  url: item.url as string,
  eventTypes: item.eventTypes as WebhookEndpoint['eventTypes'],
  description: (item.description as string | undefined) ?? '',
  secrets: item.secrets as EndpointSecret[],
  createdAt: item.createdAt as string,
  createdBy: item.createdBy as string,
});

const toDelivery = (item: Item): Delivery => ({
  eventId: item.eventId as string,
  endpointId: item.endpointId as string,
  status: item.status as DeliveryStatus,
  attempts: item.attempts as DeliveryAttempt[],
  updatedAt: item.updatedAt as string,
});

export const webhookEndpoints = {
  async create(endpoint: WebhookEndpoint): Promise<void> {
    await dynamo().send(
      new PutCommand({
        TableName: tableName(),
        Item: { ...endpointKey(endpoint.id), entity: 'webhook-endpoint', endpointId: endpoint.id, ...endpoint },
        ConditionExpression: 'attribute_not_exists(PK)',
      }),
    );
  },

  async list(): Promise<WebhookEndpoint[]> {
    const page = await dynamo().send(
      new QueryCommand({
        TableName: tableName(),
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        ExpressionAttributeValues: { ':pk': ENDPOINTS_PK, ':prefix': 'ENDPOINT#' },
        ConsistentRead: true,
      }),
    );
    return ((page.Items ?? []) as Item[]).map(toEndpoint);
  },

  async get(id: string): Promise<WebhookEndpoint | undefined> {
    const { Item: item } = await dynamo().send(
      new GetCommand({ TableName: tableName(), Key: endpointKey(id), ConsistentRead: true }),
    );
    return item ? toEndpoint(item) : undefined;
  },

  /** Deletes; false when there was no such endpoint. */
  async delete(id: string): Promise<boolean> {
    try {
      await dynamo().send(
        new DeleteCommand({
          TableName: tableName(),
          Key: endpointKey(id),
          ConditionExpression: 'attribute_exists(PK)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  },

  /** Replaces the secrets if they are still `expected` (a concurrent rotation loses and is told so). */
  async replaceSecrets(id: string, expected: readonly EndpointSecret[], secrets: EndpointSecret[]): Promise<boolean> {
    try {
      await dynamo().send(
        new UpdateCommand({
          TableName: tableName(),
          Key: endpointKey(id),
          UpdateExpression: 'SET secrets = :secrets',
          ConditionExpression: 'secrets = :expected',
          ExpressionAttributeValues: { ':secrets': secrets, ':expected': expected },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  },

  async deliveries(eventId: string): Promise<Delivery[]> {
    const page = await dynamo().send(
      new QueryCommand({
        TableName: tableName(),
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        ExpressionAttributeValues: { ':pk': domainEventKey(eventId).PK, ':prefix': 'DELIVERY#' },
        ConsistentRead: true,
      }),
    );
    return ((page.Items ?? []) as Item[]).map(toDelivery);
  },

  async delivery(eventId: string, endpointId: string): Promise<Delivery | undefined> {
    const { Item: item } = await dynamo().send(
      new GetCommand({ TableName: tableName(), Key: deliveryKey(eventId, endpointId), ConsistentRead: true }),
    );
    return item ? toDelivery(item) : undefined;
  },

  /** Appends an attempt and sets the status (the latest attempts are kept). */
  async recordAttempt(eventId: string, endpointId: string, attempt: DeliveryAttempt, status: DeliveryStatus) {
    const existing = await webhookEndpoints.delivery(eventId, endpointId);
    const attempts = [...(existing?.attempts ?? []), attempt].slice(-ATTEMPTS_KEPT);
    await dynamo().send(
      new PutCommand({
        TableName: tableName(),
        Item: {
          ...deliveryKey(eventId, endpointId),
          entity: 'event-delivery',
          eventId,
          endpointId,
          status,
          attempts,
          updatedAt: attempt.at,
          // Kept as long as the event itself.
          ttl: Math.floor(Date.parse(attempt.at) / 1000) + 30 * 24 * 3600,
        },
      }),
    );
  },
};
