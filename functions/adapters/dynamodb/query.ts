import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type NativeAttributeValue, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
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

export const isCancelled = (error: unknown): error is TransactionCanceledException =>
  error instanceof TransactionCanceledException;
