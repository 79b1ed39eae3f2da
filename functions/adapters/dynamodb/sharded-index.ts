import { createHash } from 'node:crypto';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo, tableName } from './client.ts';
import { decodeJsonCursor, encodeJsonCursor, invalidCursor } from './cursor.ts';
import type { Item } from './query.ts';
import { shardPartitions } from './shards.ts';
import type { IndexName } from './table-schema.ts';

export { shardedPartition, shardedPartitionOf, shardOf } from './shards.ts';

/**
 * Ordered reads over write-sharded index partitions (./shards.ts): one page in the index's global order, merged
 * from a Query per partition, run in parallel. Never a Scan.
 *
 * The cursor carries each shard's position in two parts: the merge position — the last sort key handed out — and
 * the set of shards already read to their end. Every sort key these indexes hold ends in the item's own id, so
 * sort keys are unique across shards and every shard that is not finished resumes exactly after the merge
 * position: nothing is skipped (a shard's unreturned items all sort after it) and nothing is handed out twice
 * (everything up to it was). This keeps the cursor one sort key long however many shards are merged (20 partitions
 * for "partners of any status"), within the API's cursor length; finished shards are not queried again.
 * A cursor also names the query it belongs to (a hash of the index, direction and partitions), so a cursor of
 * another list, status or shard layout is refused with `invalid_cursor` instead of silently paging elsewhere.
 */

interface ShardedQueryBase {
  index: IndexName;
  /** Newest (largest sort key) first, or oldest first. */
  descending: boolean;
  limit: number;
  cursor?: string | undefined;
  /** Inclusive bounds on the sort key (in ascending sense), applied in the key condition. */
  bounds?: { low?: string; high?: string };
  /** An optional filter on other attributes (applied per shard, as a FilterExpression). */
  filter?: { expression: string; names?: Record<string, string>; values?: Record<string, unknown> };
}

/**
 * The partitions to merge: explicit partition key values, a sharded prefix and its shard count, or (the original
 * form) `prefix` and `shards` beside the other fields.
 */
export type ShardedQuery = ShardedQueryBase &
  (
    | { partitions: readonly string[] | { prefix: string; shards: number } }
    | { prefix: string; shards: number; partitions?: undefined }
  );

export interface ShardedPage {
  items: Item[];
  nextCursor: string | null;
}

/** What one shard gives for a page: up to `want` items in the query's order, and whether it holds more. */
export interface ShardRead {
  items: Item[];
  more: boolean;
}

/** Reads one partition strictly after the sort key `after` (in the query's direction), at most `want` items. */
export type ShardReader = (partition: string, after: string | undefined, want: number) => Promise<ShardRead>;

export interface ShardPosition {
  /** The last sort key handed out (undefined on the first page). */
  after?: string | undefined;
  /** Indexes (into the partition list) of the shards read to their end. */
  finished: ReadonlySet<number>;
}

/** Longest merge position a cursor may carry (our sort keys are far shorter). */
const MAX_SORT_KEY = 400;

function partitionList(query: ShardedQuery): readonly string[] {
  const partitions = query.partitions ?? { prefix: query.prefix, shards: query.shards };
  return 'prefix' in partitions ? shardPartitions(partitions.prefix, partitions.shards) : partitions;
}

/** Which query a cursor belongs to. */
export function queryTag(index: string, descending: boolean, partitions: readonly string[]): string {
  return createHash('sha256')
    .update(`${index}\n${descending ? 'desc' : 'asc'}\n${partitions.join('\n')}`)
    .digest('base64url')
    .slice(0, 10);
}

export function encodeShardCursor(tag: string, position: ShardPosition): string {
  let mask = 0n;
  for (const shard of position.finished) mask |= 1n << BigInt(shard);
  return encodeJsonCursor({ q: tag, a: position.after, x: mask.toString(16) });
}

export function decodeShardCursor(cursor: string, tag: string, partitions: number): ShardPosition {
  return decodeJsonCursor(cursor, (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidCursor();
    const { q, a, x, ...rest } = value as Record<string, unknown>;
    if (Object.keys(rest).length > 0 || q !== tag) throw invalidCursor();
    // A page that has more always handed out an item, so a cursor always carries a position.
    if (typeof a !== 'string' || a.length === 0 || a.length > MAX_SORT_KEY) throw invalidCursor();
    if (typeof x !== 'string' || !/^[0-9a-f]{1,25}$/.test(x)) throw invalidCursor();
    const mask = BigInt(`0x${x}`);
    if (mask >> BigInt(partitions) !== 0n) throw invalidCursor();
    const finished = new Set<number>();
    for (let shard = 0; shard < partitions; shard++) if ((mask >> BigInt(shard)) & 1n) finished.add(shard);
    return { after: a, finished };
  });
}

/**
 * The merge itself, independent of DynamoDB: reads every unfinished shard after the position, takes the first
 * `limit` items of the merged order, and says where the next page starts. `sortKey` gives an item's sort key.
 */
export async function mergeShards(options: {
  partitions: readonly string[];
  descending: boolean;
  limit: number;
  position: ShardPosition;
  read: ShardReader;
  sortKey: (item: Item) => string;
}): Promise<{ items: Item[]; next: ShardPosition | null }> {
  const { partitions, descending, limit, position, read, sortKey } = options;
  const perShard = await Promise.all(
    partitions.map(async (partition, shard) =>
      position.finished.has(shard)
        ? { shard, items: [] as Item[], more: false }
        : { shard, ...(await read(partition, position.after, limit)) },
    ),
  );
  const merged = perShard
    .flatMap(({ shard, items }) => items.map((item) => ({ shard, item, key: sortKey(item) })))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) * (descending ? -1 : 1));
  const page = merged.slice(0, limit);
  const more = merged.length > limit || perShard.some((shard) => shard.more);
  const last = page.at(-1);
  if (!more || !last) return { items: page.map((entry) => entry.item), next: null };
  const finished = new Set(position.finished);
  for (const { shard, items, more: shardMore } of perShard) {
    const taken = page.filter((entry) => entry.shard === shard).length;
    if (!shardMore && taken === items.length) finished.add(shard);
  }
  return { items: page.map((entry) => entry.item), next: { after: last.key, finished } };
}

/** One page in the index's global order, merged from every shard (see the module comment). */
export async function queryShards(query: ShardedQuery): Promise<ShardedPage> {
  const { pk, sk } = indexKeyNames(query.index);
  const partitions = partitionList(query);
  const tag = queryTag(query.index, query.descending, partitions);
  const position: ShardPosition = query.cursor
    ? decodeShardCursor(query.cursor, tag, partitions.length)
    : { finished: new Set() };
  const read: ShardReader = async (partition, after, want) => {
    // The cursor tightens the bound on the side the query moves away from; a strict bound where the other side is
    // open, otherwise BETWEEN (inclusive) and the cursor's own item dropped.
    let low = query.bounds?.low;
    let high = query.bounds?.high;
    if (after !== undefined) {
      if (query.descending) high = high === undefined || after < high ? after : high;
      else low = low === undefined || after > low ? after : low;
    }
    const strictLow = after !== undefined && !query.descending && low === after;
    const strictHigh = after !== undefined && query.descending && high === after;
    let condition = '#pk = :pk';
    const values: Record<string, unknown> = { ':pk': partition };
    if (low !== undefined && high !== undefined) {
      if (low > high) return { items: [], more: false };
      condition += ' AND #sk BETWEEN :low AND :high';
      Object.assign(values, { ':low': low, ':high': high });
    } else if (low !== undefined) {
      condition += ` AND #sk ${strictLow ? '>' : '>='} :low`;
      values[':low'] = low;
    } else if (high !== undefined) {
      condition += ` AND #sk ${strictHigh ? '<' : '<='} :high`;
      values[':high'] = high;
    }
    const items: Item[] = [];
    let startKey: Item | undefined;
    do {
      const page = await dynamo().send(
        new QueryCommand({
          TableName: tableName(),
          IndexName: query.index,
          KeyConditionExpression: condition,
          ExpressionAttributeNames: {
            '#pk': pk,
            ...(condition.includes('#sk') ? { '#sk': sk } : {}),
            ...query.filter?.names,
          },
          ExpressionAttributeValues: { ...values, ...query.filter?.values },
          ...(query.filter ? { FilterExpression: query.filter.expression } : {}),
          ScanIndexForward: !query.descending,
          // One more than wanted: tells whether the shard has more, and covers the cursor's own item under BETWEEN.
          Limit: want + 2 - items.length,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...((page.Items ?? []) as Item[]).filter((item) => after === undefined || item[sk] !== after));
      startKey = page.LastEvaluatedKey as Item | undefined;
    } while (startKey && items.length <= want);
    return { items: items.slice(0, want), more: items.length > want || startKey !== undefined };
  };
  const { items, next } = await mergeShards({
    partitions,
    descending: query.descending,
    limit: query.limit,
    position,
    read,
    sortKey: (item) => String(item[sk]),
  });
  return { items, nextCursor: next ? encodeShardCursor(tag, next) : null };
}

function indexKeyNames(index: IndexName): { pk: string; sk: string } {
  return { pk: `${index}PK`, sk: `${index}SK` };
}
