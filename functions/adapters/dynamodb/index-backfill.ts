import {
  type DynamoDBDocumentClient,
  QueryCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { CURRENCIES, type Currency } from '#core/money';
import { PARTNER_STATUSES } from '#core/partner';
import { writtenUnlessConditionFailed } from './conditions.ts';
import { statusIndexPk } from './keys.ts';
import { heldIndexPk, PAYMENTS_INDEX_PREFIX, paymentIndexKeys } from './payment-keys.ts';
import type { Item } from './query.ts';
import type { IndexName } from './table-schema.ts';

/**
 * One-off migration of items written before the index keys were write-sharded (./shards.ts): it moves each item
 * from its old, unsharded index partition (`PAYMENTS`, `PARTNERS#<status>`, `HELD#<currency>`) to its shard by
 * rewriting that one index attribute. Only Queries on the old partitions, never a Scan.
 *
 * - Idempotent: each rewrite is conditional on the item still holding the old value, so an item already moved,
 *   changed since by the new code (a status change writes the sharded key itself), attached to a payout (no longer
 *   held) or deleted is left alone.
 * - Resumable: a moved item leaves the old partition, so the work left is exactly what the old partitions still
 *   hold. Stopping at any point and running again continues; a run ends after a pass over every old partition moves
 *   nothing.
 *
 * Run it (bin/backfill-index-shards.ts) after every function runs the new code — an old function still running
 * writes old keys — and before the next payout run, which reads only the shards.
 */

interface LegacyPartition {
  index: IndexName;
  pk: string;
  /** The sharded partition key value of an item, from its index sort key. */
  target(sortKey: string): string;
}

/** The id after the first `#` of `<ISO time>#<id>`. */
const afterTime = (sortKey: string) => sortKey.slice(sortKey.indexOf('#') + 1);

export function legacyPartitions(): LegacyPartition[] {
  return [
    // GSI2SK `<createdAt>#<paymentId>`.
    { index: 'GSI2', pk: PAYMENTS_INDEX_PREFIX, target: (sk) => paymentIndexKeys('', afterTime(sk)).GSI2PK },
    // GSI2SK `<createdAt>#<partnerId>`.
    ...PARTNER_STATUSES.map(
      (status): LegacyPartition => ({
        index: 'GSI2',
        pk: `PARTNERS#${status}`,
        target: (sk) => statusIndexPk(status, afterTime(sk)),
      }),
    ),
    // GSI3SK `<availableAt>#<partnerId>#<entryId>`.
    ...(Object.keys(CURRENCIES) as Currency[]).map(
      (currency): LegacyPartition => ({
        index: 'GSI3',
        pk: `HELD#${currency}`,
        target: (sk) => heldIndexPk(currency, sk.split('#')[1] ?? ''),
      }),
    ),
  ];
}

export interface BackfillOptions {
  client: DynamoDBDocumentClient;
  table: string;
  /** Items per Query page (and rewrites in flight at once). */
  pageSize?: number;
  /** Stop after this many rewrites (a resumable slice; run again to go on). */
  maxMoves?: number;
  /** Count what would move; write nothing. */
  dryRun?: boolean;
  onProgress?: (line: string) => void;
}

export interface BackfillResult {
  /** Items moved to their shard (or, in a dry run, found in an old partition). */
  moved: number;
  /** Items whose rewrite found them changed meanwhile (already moved, no longer held, gone). */
  skipped: number;
  /** True when a pass over every old partition found nothing left to move. */
  done: boolean;
}

export async function backfillIndexShards(options: BackfillOptions): Promise<BackfillResult> {
  const { client, table, dryRun = false } = options;
  const pageSize = options.pageSize ?? 100;
  const result: BackfillResult = { moved: 0, skipped: 0, done: false };
  const stopped = () => options.maxMoves !== undefined && result.moved >= options.maxMoves;
  for (let pass = 1; ; pass++) {
    let found = 0;
    for (const legacy of legacyPartitions()) {
      const pkName = `${legacy.index}PK`;
      const skName = `${legacy.index}SK`;
      let startKey: Item | undefined;
      do {
        if (stopped()) return result;
        const page = await client.send(
          new QueryCommand({
            TableName: table,
            IndexName: legacy.index,
            KeyConditionExpression: '#pk = :pk',
            ExpressionAttributeNames: { '#pk': pkName, '#sk': skName },
            ExpressionAttributeValues: { ':pk': legacy.pk },
            ProjectionExpression: 'PK, SK, #pk, #sk',
            Limit: Math.min(pageSize, options.maxMoves === undefined ? pageSize : options.maxMoves - result.moved),
            ExclusiveStartKey: startKey,
          }),
        );
        const items = (page.Items ?? []) as Item[];
        found += items.length;
        if (dryRun) result.moved += items.length;
        else {
          const outcomes = await Promise.all(
            items.map((item) => moveItem(client, table, pkName, legacy.pk, legacy.target(String(item[skName])), item)),
          );
          for (const moved of outcomes) {
            if (moved) result.moved++;
            else result.skipped++;
          }
        }
        startKey = page.LastEvaluatedKey as Item | undefined;
      } while (startKey);
      options.onProgress?.(`pass ${pass}: ${legacy.index} ${legacy.pk} done (${result.moved} moved so far)`);
    }
    // A dry run counts one pass; otherwise go again until a pass finds nothing (the index is eventually
    // consistent, so a pass may meet items an earlier one already moved: their rewrite is skipped).
    if (found === 0 || dryRun) {
      result.done = found === 0;
      return result;
    }
  }
}

/** The fields of a backfill's conditional update of one item (its key and table aside). */
type ItemUpdate = Pick<
  UpdateCommandInput,
  'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
>;

/** One conditional update of an item found by a backfill: false when the condition failed (it changed, or is gone). */
const updateItem = (client: DynamoDBDocumentClient, table: string, item: Item, update: ItemUpdate) =>
  writtenUnlessConditionFailed(() =>
    client.send(new UpdateCommand({ TableName: table, Key: { PK: item.PK, SK: item.SK }, ...update })),
  );

/**
 * Sets an item's GSI2 keys, conditional on `condition` (with `values`): a sparse-index backfill's one write per item.
 * False when the condition failed (the item changed meanwhile, or is gone).
 */
export const setIndexKeys = (
  client: DynamoDBDocumentClient,
  table: string,
  item: Item,
  keys: { GSI2PK: string; GSI2SK: string },
  condition: string,
  values: Record<string, unknown> = {},
): Promise<boolean> =>
  updateItem(client, table, item, {
    UpdateExpression: 'SET GSI2PK = :pk, GSI2SK = :sk',
    ConditionExpression: condition,
    ExpressionAttributeValues: { ':pk': keys.GSI2PK, ':sk': keys.GSI2SK, ...values },
  });

const moveItem = (
  client: DynamoDBDocumentClient,
  table: string,
  pkName: string,
  from: string,
  to: string,
  item: Item,
): Promise<boolean> =>
  updateItem(client, table, item, {
    UpdateExpression: 'SET #pk = :to',
    ConditionExpression: '#pk = :from',
    ExpressionAttributeNames: { '#pk': pkName },
    ExpressionAttributeValues: { ':from': from, ':to': to },
  });
