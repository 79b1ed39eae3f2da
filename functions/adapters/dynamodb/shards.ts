import { createHash } from 'node:crypto';

/**
 * Write sharding of the index partitions that a whole class of items would otherwise share. DynamoDB serves one
 * partition key value from one partition, and an index whose sort key only grows (a creation time) keeps writing
 * at its end, so splitting cannot help: a class of items on one key value tops out at one partition's throughput.
 * Each such index spreads its items over `<prefix>#<00..n-1>`, the shard from a hash of a stable id, so the write
 * ceiling is n partitions' worth. Readers that need one order merge the shards (./sharded-index.ts).
 *
 * The shard count of every sharded index, in one place (docs/capacity.md derives the ceilings from these).
 * Raising a count needs no migration: readers query every shard below the new count, and items written under the
 * old count sit in shards below it. Lowering one would strand items above it (run bin/backfill-index-shards.ts
 * after deploying the lower count).
 */
export const INDEX_SHARDS = {
  /** GSI2 `PAYMENTS#<shard>`: every payment (operators' newest-first list), by payment id. */
  payments: 16,
  /** GSI3 `HELD#<currency>#<shard>`: platform-held entries of a currency (the payout planner), by partner id. */
  held: 16,
  /** GSI2 `PARTNERS#<status>#<shard>`: partners of a status (operators' list), by partner id. */
  partners: 4,
  /** GSI2 `EVENTS#<shard>`: every domain event (operators' list), by event id. */
  events: 8,
  /** GSI2 `AVAILABILITY#<shard>`: held earnings waiting for their transition to available (the sweep), by partner id. */
  availability: 8,
  /** GSI2 `CONNECTED_PAYOUT_OPEN#<shard>`: connected payouts still pending or in transit (reconciliation), by payout id. */
  openConnectedPayouts: 4,
} as const satisfies Record<string, number>;

export type ShardedIndex = keyof typeof INDEX_SHARDS;

/** Shard numbers are two digits: at most this many shards per index. */
export const MAX_SHARDS = 100;

/** A stable shard for an id: the first 4 bytes of its SHA-256, modulo the shard count. */
export function shardOf(id: string, shards: number): number {
  return createHash('sha256').update(id).digest().readUInt32BE(0) % shards;
}

export const shardedPartition = (prefix: string, shard: number) => `${prefix}#${String(shard).padStart(2, '0')}`;

/** The partition key value for an item with id `id` under `prefix`. */
export const shardedPartitionOf = (prefix: string, id: string, shards: number) =>
  shardedPartition(prefix, shardOf(id, shards));

/** Every partition key value of a sharded prefix, shard 0 first. */
export const shardPartitions = (prefix: string, shards: number): string[] =>
  Array.from({ length: shards }, (_, shard) => shardedPartition(prefix, shard));
