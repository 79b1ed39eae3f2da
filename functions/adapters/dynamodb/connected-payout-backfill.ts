import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { PARTNER_STATUSES } from '#core/partner';
import { setIndexKeys } from './index-backfill.ts';
import { CONNECTED_PAYOUT_PREFIX, openConnectedPayoutIndexKeys, statusIndexPartitions } from './keys.ts';
import type { Item } from './query.ts';

/**
 * One-off migration for reconciliation's connected-payouts phase: connected payouts recorded open (pending or in
 * transit) before the work index of open payouts existed carry no GSI2 `CONNECTED_PAYOUT_OPEN#<shard>` keys, so no
 * run would read them. This reads every partner from the partners' status index (GSI2 `PARTNERS#<status>#<shard>`),
 * then each partner's connected payouts (a Query on the partner's partition), keeps the open ones without index
 * keys, and sets their keys, conditional on the record being unchanged (same event) and still unindexed. Queries
 * only, never a Scan.
 *
 * Idempotent and resumable: a payout put in the index is skipped by the next pass, and one an event made final
 * meanwhile is left alone. Run it once every function runs the new code (bin/backfill-index-shards.ts
 * `--connected-payouts`); the next reconciliation runs then compare those payouts with Stripe's.
 */
export interface ConnectedPayoutBackfillOptions {
  client: DynamoDBDocumentClient;
  table: string;
  /** Items per Query page. */
  pageSize?: number;
  /** Count what would be indexed; write nothing. */
  dryRun?: boolean;
  onProgress?: (line: string) => void;
}

export interface ConnectedPayoutBackfillResult {
  /** Open payouts put in the index (or, in a dry run, found missing from it). */
  indexed: number;
  /** Payouts that changed meanwhile (a newer event, indexed by new code, gone). */
  skipped: number;
}

/** Every item of a Query, page by page. */
async function* queryAll(client: DynamoDBDocumentClient, input: ConstructorParameters<typeof QueryCommand>[0]) {
  let startKey: Item | undefined;
  do {
    const page = await client.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
    yield (page.Items ?? []) as Item[];
    startKey = page.LastEvaluatedKey as Item | undefined;
  } while (startKey);
}

export async function backfillOpenConnectedPayouts(
  options: ConnectedPayoutBackfillOptions,
): Promise<ConnectedPayoutBackfillResult> {
  const { client, table, dryRun = false } = options;
  const limit = options.pageSize ?? 100;
  const result: ConnectedPayoutBackfillResult = { indexed: 0, skipped: 0 };
  for (const partition of statusIndexPartitions(PARTNER_STATUSES)) {
    const partners = queryAll(client, {
      TableName: table,
      IndexName: 'GSI2',
      KeyConditionExpression: 'GSI2PK = :pk',
      ExpressionAttributeValues: { ':pk': partition },
      ProjectionExpression: 'PK',
      Limit: limit,
    });
    for await (const page of partners) {
      for (const partner of page) {
        const payouts = queryAll(client, {
          TableName: table,
          KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
          FilterExpression: '#status IN (:pending, :in_transit) AND attribute_not_exists(GSI2PK)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':pk': partner.PK,
            ':prefix': CONNECTED_PAYOUT_PREFIX,
            ':pending': 'pending',
            ':in_transit': 'in_transit',
          },
          ProjectionExpression: 'PK, SK, id, arrivalDate, eventCreated, eventId',
          Limit: limit,
        });
        for await (const open of payouts) {
          if (dryRun) {
            result.indexed += open.length;
            continue;
          }
          for (const indexed of await Promise.all(open.map((item) => indexPayout(client, table, item)))) {
            if (indexed) result.indexed += 1;
            else result.skipped += 1;
          }
        }
      }
    }
    options.onProgress?.(`${partition}: done (${result.indexed} indexed so far)`);
  }
  return result;
}

/** Indexes an open payout, conditional on its record being unchanged (same event) and still unindexed. */
const indexPayout = (client: DynamoDBDocumentClient, table: string, item: Item): Promise<boolean> =>
  setIndexKeys(
    client,
    table,
    item,
    openConnectedPayoutIndexKeys({
      id: String(item.id),
      arrivalDate: item.arrivalDate ?? null,
      eventCreated: Number(item.eventCreated),
    }),
    'eventId = :event AND attribute_not_exists(GSI2PK)',
    { ':event': item.eventId },
  );
