import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { CURRENCIES, type Currency } from '#core/money';
import { setIndexKeys } from './index-backfill.ts';
import { availabilityIndexKeys, heldIndexPartitions } from './payment-keys.ts';
import type { Item } from './query.ts';

/**
 * One-off migration for the availability sweep (./availability-store.ts): held earnings written before the sweep
 * existed are not in its work index (GSI2 `AVAILABILITY#<shard>`), so they would never get their transition to
 * available or their `earning.available`. This puts each such earning in the index: it reads the payout planner's
 * index of held, unattached entries (GSI3 `HELD#<currency>#<shard>`, Queries only, never a Scan), keeps the
 * earnings with no transition and no availability keys, and sets their keys, conditional on both still missing.
 * Earnings already in a payout are left out (they are paid or being paid; their availability is old news).
 *
 * Idempotent and resumable: an earning put in the index is skipped by the next pass. Run it once every function runs
 * the new code (bin/backfill-index-shards.ts `--availability`); the next sweeps then write the events.
 */
export interface AvailabilityBackfillOptions {
  client: DynamoDBDocumentClient;
  table: string;
  /** Items per Query page. */
  pageSize?: number;
  /** Count what would be indexed; write nothing. */
  dryRun?: boolean;
  onProgress?: (line: string) => void;
}

export interface AvailabilityBackfillResult {
  /** Earnings put in the availability index (or, in a dry run, found missing from it). */
  indexed: number;
  /** Earnings that changed meanwhile (indexed or made available by new code, attached to a payout, gone). */
  skipped: number;
}

export async function backfillAvailabilityIndex(
  options: AvailabilityBackfillOptions,
): Promise<AvailabilityBackfillResult> {
  const { client, table, dryRun = false } = options;
  const result: AvailabilityBackfillResult = { indexed: 0, skipped: 0 };
  for (const currency of Object.keys(CURRENCIES) as Currency[]) {
    for (const partition of heldIndexPartitions(currency)) {
      let startKey: Item | undefined;
      do {
        const page = await client.send(
          new QueryCommand({
            TableName: table,
            IndexName: 'GSI3',
            KeyConditionExpression: 'GSI3PK = :pk',
            FilterExpression:
              '#type = :earning AND attribute_not_exists(availableSince) AND attribute_not_exists(GSI2PK)',
            ExpressionAttributeNames: { '#type': 'type' },
            ExpressionAttributeValues: { ':pk': partition, ':earning': 'earning' },
            ProjectionExpression: 'PK, SK, id, partnerId, availableAt',
            Limit: options.pageSize ?? 100,
            ExclusiveStartKey: startKey,
          }),
        );
        const items = (page.Items ?? []) as Item[];
        if (dryRun) result.indexed += items.length;
        else {
          for (const indexed of await Promise.all(items.map((item) => indexItem(client, table, item)))) {
            if (indexed) result.indexed += 1;
            else result.skipped += 1;
          }
        }
        startKey = page.LastEvaluatedKey as Item | undefined;
      } while (startKey);
    }
    options.onProgress?.(`${currency}: done (${result.indexed} indexed so far)`);
  }
  return result;
}

const indexItem = (client: DynamoDBDocumentClient, table: string, item: Item): Promise<boolean> =>
  setIndexKeys(
    client,
    table,
    item,
    availabilityIndexKeys(Number(item.availableAt), String(item.partnerId), String(item.id)),
    'attribute_exists(GSI3PK) AND attribute_not_exists(GSI2PK) AND attribute_not_exists(availableSince)',
  );
