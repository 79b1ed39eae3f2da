import { createHash } from 'node:crypto';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { DomainError } from '#core/errors';
import { dynamo, tableName } from './client.ts';
import type { Item } from './query.ts';
import type { IndexName } from './table-schema.ts';

/**
 * Write-sharded index partitions. An index whose partition key would be shared by a whole class of items (every
 * event, every payment) spreads them over `shards` partition key values — `<prefix>#<00..shards-1>`, the shard
 * from a hash of the item's own id — so no single partition takes every write. Readers that need one order query
 * every shard and merge; the cursor carries each shard's position (the last sort key it gave), so pages are
 * exactly the unsharded order.
 */

/** A stable shard for an id: the first 4 bytes of its SHA-256, modulo the shard count. */
export function shardOf(id: string, shards: number): number {
  return createHash('sha256').update(id).digest().readUInt32BE(0) % shards;
}

export const shardedPartition = (prefix: string, shard: number) => `${prefix}#${String(shard).padStart(2, '0')}`;

/** The partition key value for an item with id `id` under `prefix`. */
export const shardedPartitionOf = (prefix: string, id: string, shards: number) =>
  shardedPartition(prefix, shardOf(id, shards));

export interface ShardedQuery {
  index: IndexName;
  prefix: string;
  shards: number;
  /** Newest (largest sort key) first, or oldest first. */
  descending: boolean;
  limit: number;
  cursor?: string | undefined;
  /** An optional filter on other attributes (applied per shard, as a FilterExpression). */
  filter?: { expression: string; names?: Record<string, string>; values?: Record<string, unknown> };
}

export interface ShardedPage {
  items: Item[];
  nextCursor: string | null;
}

/** Per shard: the last sort key already returned, or null when the shard is exhausted. */
const CursorState = z.record(z.string().regex(/^\d{1,3}$/), z.string().max(512).nullable());

export function encodeShardCursor(state: Record<string, string | null>): string {
  return Buffer.from(JSON.stringify(state), 'utf8').toString('base64url');
}

export function decodeShardCursor(cursor: string, shards: number): Record<string, string | null> {
  try {
    const state = CursorState.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    // A cursor this list hands out always names at least one shard (a page that has more took an item from one).
    if (Object.keys(state).length === 0) throw new Error('empty cursor');
    if (Object.keys(state).some((shard) => Number(shard) >= shards)) throw new Error('shard out of range');
    return state;
  } catch {
    throw new DomainError('validation', 'invalid_cursor', 'The cursor is not one this list returned.');
  }
}

/**
 * One page in the index's global order, merged from every shard. Each shard is read from just after its last
 * returned sort key; at most `limit` items per shard are read per page (with a filter, a shard may need more than
 * one read to fill its share).
 */
export async function queryShards(query: ShardedQuery): Promise<ShardedPage> {
  const { pk, sk } = indexKeyNames(query.index);
  const state = query.cursor ? decodeShardCursor(query.cursor, query.shards) : {};
  const perShard = await Promise.all(
    Array.from({ length: query.shards }, async (_, shard) => {
      const after = state[String(shard)];
      if (after === null) return { shard, items: [] as Item[], exhausted: true };
      const items: Item[] = [];
      let startKey: Item | undefined;
      do {
        const page = await dynamo().send(
          new QueryCommand({
            TableName: tableName(),
            IndexName: query.index,
            KeyConditionExpression:
              after === undefined ? '#pk = :pk' : `#pk = :pk AND #sk ${query.descending ? '<' : '>'} :after`,
            ExpressionAttributeNames: {
              '#pk': pk,
              ...(after === undefined ? {} : { '#sk': sk }),
              ...query.filter?.names,
            },
            ExpressionAttributeValues: {
              ':pk': shardedPartition(query.prefix, shard),
              ...(after === undefined ? {} : { ':after': after }),
              ...query.filter?.values,
            },
            ...(query.filter ? { FilterExpression: query.filter.expression } : {}),
            ScanIndexForward: !query.descending,
            Limit: query.limit + 1,
            ExclusiveStartKey: startKey,
          }),
        );
        items.push(...((page.Items ?? []) as Item[]));
        startKey = page.LastEvaluatedKey as Item | undefined;
      } while (startKey && items.length <= query.limit);
      return { shard, items, exhausted: !startKey && items.length <= query.limit };
    }),
  );

  const compare = (a: Item, b: Item) => {
    const order = String(a[sk]).localeCompare(String(b[sk]));
    return query.descending ? -order : order;
  };
  const merged = perShard
    .flatMap(({ shard, items }) => items.map((item) => ({ shard, item })))
    .sort((a, b) => compare(a.item, b.item));
  const page = merged.slice(0, query.limit);
  const more = merged.length > query.limit || perShard.some((result) => !result.exhausted);

  const next: Record<string, string | null> = {};
  for (const { shard, items, exhausted } of perShard) {
    const taken = page.filter((entry) => entry.shard === shard);
    const last = taken.at(-1);
    if (last) next[String(shard)] = String(last.item[sk]);
    else if (state[String(shard)] !== undefined) next[String(shard)] = state[String(shard)] ?? null;
    const allTaken = taken.length === items.length && exhausted;
    if (allTaken) next[String(shard)] = null;
  }
  return { items: page.map((entry) => entry.item), nextCursor: more ? encodeShardCursor(next) : null };
}

function indexKeyNames(index: IndexName): { pk: string; sk: string } {
  return { pk: `${index}PK`, sk: `${index}SK` };
}
