import {
  BatchGetCommand,
  BatchWriteCommand,
  type NativeAttributeValue,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { dynamo, tableName } from './client.ts';

export type Item = Record<string, NativeAttributeValue>;

/** Every page of a query (for item collections that are small by design: one partner's members, totals, …). */
export async function queryAll(input: QueryCommandInput): Promise<Item[]> {
  const items: Item[] = [];
  let startKey: Item | undefined;
  do {
    const page = await dynamo().send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
    items.push(...((page.Items ?? []) as Item[]));
    startKey = page.LastEvaluatedKey as Item | undefined;
  } while (startKey);
  return items;
}

/** Every item of partition `pk` whose sort key starts with `prefix`, read consistently. */
export function queryPrefix(pk: string, prefix: string): Promise<Item[]> {
  return queryAll({
    TableName: tableName(),
    KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
    ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
    ConsistentRead: true,
  });
}

/** BatchGetItem takes at most 100 keys per request, BatchWriteItem 25 items. */
const BATCH_GET_LIMIT = 100;
const BATCH_WRITE_LIMIT = 25;

/** A short growing pause before asking DynamoDB again for what it left unprocessed (throttling). */
const unprocessedBackoff = (round: number) =>
  round > 0 ? new Promise((resolve) => setTimeout(resolve, Math.min(1_000, 50 * 2 ** round))) : undefined;

/**
 * The items at `keys` (missing ones are simply absent), read consistently, 100 keys per request; keys DynamoDB
 * leaves unprocessed (throttling) are asked for again after a short back-off.
 */
export async function batchGetAll(keys: readonly Item[]): Promise<Item[]> {
  const items: Item[] = [];
  for (let i = 0; i < keys.length; i += BATCH_GET_LIMIT) {
    let pending: Item[] = keys.slice(i, i + BATCH_GET_LIMIT);
    for (let round = 0; pending.length > 0; round++) {
      await unprocessedBackoff(round);
      const page = await dynamo().send(
        new BatchGetCommand({ RequestItems: { [tableName()]: { Keys: pending, ConsistentRead: true } } }),
      );
      items.push(...((page.Responses?.[tableName()] ?? []) as Item[]));
      pending = (page.UnprocessedKeys?.[tableName()]?.Keys ?? []) as Item[];
    }
  }
  return items;
}

/**
 * Puts `items` unconditionally, 25 per request; items DynamoDB leaves unprocessed (throttling) are sent again after
 * a short back-off. Only for writes that need no condition (idempotent marks, seeding).
 */
export async function batchPutAll(items: readonly Item[]): Promise<void> {
  for (let i = 0; i < items.length; i += BATCH_WRITE_LIMIT) {
    let pending = items.slice(i, i + BATCH_WRITE_LIMIT).map((Item) => ({ PutRequest: { Item } }));
    for (let round = 0; pending.length > 0; round++) {
      await unprocessedBackoff(round);
      const result = await dynamo().send(new BatchWriteCommand({ RequestItems: { [tableName()]: pending } }));
      pending = (result.UnprocessedItems?.[tableName()] ?? []) as typeof pending;
    }
  }
}
