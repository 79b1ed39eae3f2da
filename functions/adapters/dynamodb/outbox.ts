import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { DomainEvent, DomainEventType } from '#core/domain-events';
import { dynamo, tableName } from './client.ts';
import type { Item } from './query.ts';
import { queryShards, shardedPartitionOf } from './sharded-index.ts';
import { INDEX_SHARDS } from './shards.ts';
import type { TransactItem } from './transactions.ts';

/**
 * The transactional outbox. A change that others must hear of adds `outboxPut(event)` to its own
 * `TransactWriteItems`, so the event item exists exactly when the change committed; the table's stream carries new
 * event items to the publisher (functions/jobs/publish-events.ts). The put is conditional on the event id being
 * new: ids are derived from the occurrence, so a retried change cannot publish twice.
 *
 * | Item          | PK                  | SK    | Index keys                                                           |
 * |---------------|---------------------|-------|----------------------------------------------------------------------|
 * | Domain event  | DOMAIN_EVENT#<id>   | EVENT | GSI2 EVENTS#<shard> / <occurredAt>#<id> (every event, 8 shards);      |
 * |               |                     |       | GSI1 EVENTS#PARTNER#<partnerId>#00 / <occurredAt>#<id>; ttl 30 days   |
 */
export const EVENT_SHARDS = INDEX_SHARDS.events;
const EVENTS = 'EVENTS';
const partnerEvents = (partnerId: string) => `EVENTS#PARTNER#${partnerId}`;
/** The stored copy serves the operators' list and redelivery; the bus's archive keeps events for replay. */
const RETENTION_SECONDS = 30 * 24 * 3600;

export const domainEventKey = (eventId: string) => ({ PK: `DOMAIN_EVENT#${eventId}`, SK: 'EVENT' });

export function domainEventItem(event: DomainEvent): Item {
  const order = `${event.occurredAt}#${event.id}`;
  return {
    ...domainEventKey(event.id),
    entity: 'domain-event',
    eventId: event.id,
    type: event.type,
    occurredAt: event.occurredAt,
    event,
    GSI2PK: shardedPartitionOf(EVENTS, event.id, EVENT_SHARDS),
    GSI2SK: order,
    ...(event.partnerId
      ? { partnerId: event.partnerId, GSI1PK: `${partnerEvents(event.partnerId)}#00`, GSI1SK: order }
      : {}),
    ttl: Math.floor(Date.parse(event.occurredAt) / 1000) + RETENTION_SECONDS,
  };
}

/** The outbox write to add to a change's transaction. */
export function outboxPut(event: DomainEvent): TransactItem {
  return {
    Put: {
      TableName: tableName(),
      Item: domainEventItem(event),
      ConditionExpression: 'attribute_not_exists(PK)',
    },
  };
}

export const isDomainEventItem = (item: Item): boolean => item.entity === 'domain-event';

export interface EventQuery {
  type?: DomainEventType | undefined;
  partnerId?: string | undefined;
  cursor?: string | undefined;
  limit: number;
}

export const domainEvents = {
  async get(eventId: string): Promise<DomainEvent | undefined> {
    const { Item: item } = await dynamo().send(
      new GetCommand({ TableName: tableName(), Key: domainEventKey(eventId), ConsistentRead: true }),
    );
    return item ? (item.event as DomainEvent) : undefined;
  },

  /** Newest first; by partner (one partition) or across all events (merged shards); optionally of one type. */
  async list(query: EventQuery): Promise<{ events: DomainEvent[]; nextCursor: string | null }> {
    const filter = query.type
      ? { expression: '#type = :type', names: { '#type': 'type' }, values: { ':type': query.type } }
      : undefined;
    const page = await queryShards({
      ...(query.partnerId
        ? { index: 'GSI1', partitions: { prefix: partnerEvents(query.partnerId), shards: 1 } }
        : { index: 'GSI2', partitions: { prefix: EVENTS, shards: EVENT_SHARDS } }),
      descending: true,
      limit: query.limit,
      cursor: query.cursor,
      ...(filter ? { filter } : {}),
    });
    return { events: page.items.map((item) => item.event as DomainEvent), nextCursor: page.nextCursor };
  },
};
