import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { backfillIndexShards } from '#adapters/dynamodb/index-backfill';
import { partnerKey, statusIndexPartitions, statusIndexPk } from '#adapters/dynamodb/keys';
import { heldIndexPk, paymentIndexKeys, paymentIndexPartitions, paymentKey } from '#adapters/dynamodb/payment-keys';
import { queryShards } from '#adapters/dynamodb/sharded-index';
import { shardedPartitionOf } from '#adapters/dynamodb/shards';
import { resetConfigForTests } from '#config';
import { PARTNER_STATUSES } from '#core/partner';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '#local/dynamodb';
import { functionEnvironment } from '#local/stack';
import { newPartnerUser } from '#tests/connect';
import { api, stackInfo } from '#tests/local';
import { activePayee, admin, customer, paymentRequest, requestIntent } from '#tests/payments';

/**
 * Write-sharded index reads against DynamoDB Local: the merged shards page exactly like one unsharded partition,
 * cursors resume exactly, the list routes hand out every item once in order, and the backfill moves items written
 * under the old keys.
 */

let client: DynamoDBDocumentClient;
const table = () => stackInfo().tableName;

beforeAll(() => {
  Object.assign(process.env, functionEnvironment(stackInfo(), 'unused', ''));
  resetConfigForTests();
  client = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: stackInfo().dynamoEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }),
  );
});

async function queryAll(input: Omit<QueryCommandInput, 'TableName'>) {
  const items: Array<Record<string, unknown>> = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new QueryCommand({ ...input, TableName: table(), ExclusiveStartKey: startKey }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

describe('merged shards against one unsharded partition (DynamoDB Local)', () => {
  const run = randomUUID().slice(0, 8);
  const SHARDS = 6;
  const ITEMS = 90;
  const sharded = `SHARDTEST#${run}`;
  const flat = `SHARDTEST_FLAT#${run}`;
  const partitions = Array.from({ length: SHARDS }, (_, shard) => `${sharded}#${String(shard).padStart(2, '0')}`);
  // Sort keys like ours (`<time>#<id>`), some at the same millisecond; every tenth item has another kind.
  const rows = Array.from({ length: ITEMS }, (_, n) => ({
    id: `it_${String(n).padStart(3, '0')}`,
    sk: `${new Date(Date.UTC(2026, 10, 1) + Math.floor(n / 3) * 1_000).toISOString()}#it_${String(n).padStart(3, '0')}`,
    kind: n % 10 === 0 ? 'other' : 'kept',
  }));

  beforeAll(async () => {
    const puts = rows.flatMap((row) => [
      {
        PK: `${sharded}#${row.id}`,
        SK: 'ITEM',
        kind: row.kind,
        GSI2PK: shardedPartitionOf(sharded, row.id, SHARDS),
        GSI2SK: row.sk,
      },
      { PK: `${flat}#${row.id}`, SK: 'ITEM', kind: row.kind, GSI2PK: flat, GSI2SK: row.sk },
    ]);
    for (let i = 0; i < puts.length; i += 25) {
      await client.send(
        new BatchWriteCommand({
          RequestItems: { [table()]: puts.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) },
        }),
      );
    }
  });

  it('every shard holds some of the items (positive control for the merge)', async () => {
    const counts = await Promise.all(
      partitions.map(
        async (pk) =>
          (
            await queryAll({
              IndexName: 'GSI2',
              KeyConditionExpression: 'GSI2PK = :pk',
              ExpressionAttributeValues: { ':pk': pk },
            })
          ).length,
      ),
    );
    expect(counts.every((count) => count > 0)).toBe(true);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(ITEMS);
  });

  it('pages exactly as the unsharded partition does, and every cursor resumes exactly', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          limit: fc.integer({ min: 1, max: 25 }),
          descending: fc.boolean(),
          filtered: fc.boolean(),
          low: fc.option(fc.integer({ min: 0, max: 29 }), { nil: undefined }),
          high: fc.option(fc.integer({ min: 0, max: 29 }), { nil: undefined }),
        }),
        async ({ limit, descending, filtered, low, high }) => {
          const at = (s: number) => new Date(Date.UTC(2026, 10, 1) + s * 1_000).toISOString();
          // Bounds between items (`#` sorts after the time): low below second `low`, high after second `high`.
          const bounds = {
            ...(low === undefined ? {} : { low: at(low) }),
            ...(high === undefined ? {} : { high: `${at(high)}#~` }),
          };
          const filter = filtered ? { expression: 'kind = :kept', values: { ':kept': 'kept' } } : undefined;
          const pages: string[][] = [];
          const cursors: string[] = [];
          let cursor: string | undefined;
          do {
            const page = await queryShards({
              index: 'GSI2',
              partitions,
              descending,
              limit,
              cursor,
              bounds,
              ...(filter ? { filter } : {}),
            });
            pages.push(page.items.map((item) => String(item.GSI2SK)));
            cursor = page.nextCursor ?? undefined;
            if (cursor) cursors.push(cursor);
          } while (cursor);
          // The unsharded order: one Query over the flat copy with the same key condition and filter.
          const empty = bounds.low !== undefined && bounds.high !== undefined && bounds.low > bounds.high;
          const expected = empty
            ? []
            : await queryAll({
                IndexName: 'GSI2',
                KeyConditionExpression:
                  bounds.low && bounds.high
                    ? 'GSI2PK = :pk AND GSI2SK BETWEEN :low AND :high'
                    : bounds.low
                      ? 'GSI2PK = :pk AND GSI2SK >= :low'
                      : bounds.high
                        ? 'GSI2PK = :pk AND GSI2SK <= :high'
                        : 'GSI2PK = :pk',
                ExpressionAttributeValues: {
                  ':pk': flat,
                  ...(bounds.low ? { ':low': bounds.low } : {}),
                  ...(bounds.high ? { ':high': bounds.high } : {}),
                  ...(filter ? filter.values : {}),
                },
                ...(filter ? { FilterExpression: filter.expression } : {}),
                ScanIndexForward: !descending,
              });
          const all = pages.flat();
          expect(all).toEqual(expected.map((item) => String(item.GSI2SK)));
          expect(new Set(all).size).toBe(all.length);
          for (const page of pages.slice(0, -1)) expect(page).toHaveLength(limit);
          // Each cursor, asked again, gives the same next page.
          for (const [i, again] of cursors.entries()) {
            const page = await queryShards({
              index: 'GSI2',
              partitions,
              descending,
              limit,
              cursor: again,
              bounds,
              ...(filter ? { filter } : {}),
            });
            expect(page.items.map((item) => String(item.GSI2SK))).toEqual(pages[i + 1]);
          }
        },
      ),
      { numRuns: 12, seed: 42 },
    );
  }, 120_000);
});

/** Every page of an admin list route; returns the ids in the order handed out. */
async function pageRoute<T extends { id: string }>(path: string, key: string, token: string, limit: number) {
  const seen: T[] = [];
  let cursor: string | null = null;
  for (let guard = 0; guard < 10_000; guard++) {
    const separator = path.includes('?') ? '&' : '?';
    const response = await api<Record<string, unknown>>(
      'GET',
      `${path}${separator}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
      { token },
    );
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    seen.push(...(response.body[key] as T[]));
    cursor = response.body.nextCursor as string | null;
    if (!cursor) return seen;
    expect(cursor.length).toBeLessThanOrEqual(512);
  }
  throw new Error('the list did not end');
}

/** The index rows of every shard, newest first: what one unsharded partition returned before. */
async function unshardedOrder(pks: readonly string[]) {
  const rows = (
    await Promise.all(
      pks.map((pk) =>
        queryAll({
          IndexName: 'GSI2',
          KeyConditionExpression: 'GSI2PK = :pk',
          ExpressionAttributeValues: { ':pk': pk },
        }),
      ),
    )
  ).flat();
  return rows
    .map((row) => ({ id: String(row.id), sk: String(row.GSI2SK) }))
    .sort((a, b) => (a.sk < b.sk ? 1 : a.sk > b.sk ? -1 : 0));
}

/** Every id of `before` appears exactly once, in `before`'s order (items created meanwhile may appear too). */
function expectSameOrder(listed: string[], before: Array<{ id: string }>) {
  expect(new Set(listed).size).toBe(listed.length);
  const known = new Set(before.map((row) => row.id));
  expect(listed.filter((id) => known.has(id))).toEqual(before.map((row) => row.id));
}

describe('list routes over the shards', () => {
  let ops: string;
  beforeAll(async () => {
    ops = (await admin()).idToken;
  });

  it('GET /admin/partners hands out every partner once, newest first, for one status and for all', async () => {
    for (let i = 0; i < 5; i++) await newPartnerUser(`shards-${i}`);
    const one = await unshardedOrder(statusIndexPartitions(['not_set_up']));
    expect(one.length).toBeGreaterThanOrEqual(5);
    const listedOne = await pageRoute<{ id: string }>('/admin/partners?status=not_set_up', 'partners', ops, 3);
    expectSameOrder(
      listedOne.map((partner) => partner.id),
      one,
    );
    const all = await unshardedOrder(statusIndexPartitions(PARTNER_STATUSES));
    const listedAll = await pageRoute<{ id: string }>('/admin/partners', 'partners', ops, 7);
    expectSameOrder(
      listedAll.map((partner) => partner.id),
      all,
    );
    // A cursor of the one-status list is not a cursor of the all-statuses list.
    const first = await api<{ nextCursor: string }>('GET', '/admin/partners?status=not_set_up&limit=1', { token: ops });
    const misused = await api<{ error: { code: string } }>(
      'GET',
      `/admin/partners?limit=1&cursor=${first.body.nextCursor}`,
      {
        token: ops,
      },
    );
    expect(misused.status).toBe(400);
    expect(misused.body.error.code).toBe('invalid_cursor');
  }, 120_000);

  it('GET /admin/payments hands out every payment once, newest first', async () => {
    const payee = await activePayee('shards-payee');
    const buyer = await customer('shards-buyer');
    for (let i = 0; i < 4; i++) {
      const request = await paymentRequest(payee, 1_000 + i, `Shards ${i}`);
      expect((await requestIntent(buyer.idToken, request.id)).status).toBe(201);
    }
    const before = await unshardedOrder(paymentIndexPartitions());
    expect(before.length).toBeGreaterThanOrEqual(4);
    const listed = await pageRoute<{ id: string }>('/admin/payments', 'payments', ops, 5);
    expectSameOrder(
      listed.map((payment) => payment.id),
      before,
    );
  }, 120_000);
});

describe('backfill of items written under the unsharded keys', () => {
  it('moves them to their shards in resumable slices, idempotently; the lists find them again', async () => {
    const ops = (await admin()).idToken;
    // Two partners and their profiles put back under the old key; a held entry far in the future under the old
    // key (no payout run's cutoff reaches it).
    const partners = [await newPartnerUser('backfill-a'), await newPartnerUser('backfill-b')];
    for (const partner of partners) {
      await client.send(
        new UpdateCommand({
          TableName: table(),
          Key: partnerKey(partner.partnerId),
          UpdateExpression: 'SET GSI2PK = :old',
          ExpressionAttributeValues: { ':old': 'PARTNERS#not_set_up' },
        }),
      );
    }
    const held = {
      PK: `PARTNER#${partners[0]?.partnerId}`,
      SK: `LEDGER#E#2999-01-01T00:00:00.000Z#le_backfill_${randomUUID()}`,
    };
    const heldSk = `2999-01-01T00:00:00.000Z#${partners[0]?.partnerId}#le_backfill`;
    await client.send(
      new UpdateCommand({
        TableName: table(),
        Key: held,
        UpdateExpression: 'SET entity = :e, GSI3PK = :old, GSI3SK = :sk',
        ExpressionAttributeValues: { ':e': 'backfill-probe', ':old': 'HELD#usd', ':sk': heldSk },
      }),
    );
    // A payment under the old key (a real payment item with its index key put back).
    const payment = await anyPayment();
    await client.send(
      new UpdateCommand({
        TableName: table(),
        Key: paymentKey(payment.id),
        UpdateExpression: 'SET GSI2PK = :old',
        ExpressionAttributeValues: { ':old': 'PAYMENTS' },
      }),
    );
    // Positive control: the lists no longer see them.
    const hidden = await pageRoute<{ id: string }>('/admin/partners?status=not_set_up', 'partners', ops, 100);
    expect(hidden.map((p) => p.id)).not.toContain(partners[0]?.partnerId);

    const dry = await backfillIndexShards({ client, table: table(), dryRun: true });
    expect(dry).toMatchObject({ moved: 4, done: false });
    const first = await backfillIndexShards({ client, table: table(), maxMoves: 2, pageSize: 1 });
    expect(first).toEqual({ moved: 2, skipped: 0, done: false });
    const rest = await backfillIndexShards({ client, table: table(), pageSize: 1 });
    expect(rest).toEqual({ moved: 2, skipped: 0, done: true });
    const again = await backfillIndexShards({ client, table: table() });
    expect(again).toEqual({ moved: 0, skipped: 0, done: true });

    const item = async (Key: { PK: string; SK: string }) =>
      (
        await client.send(
          new QueryCommand({
            TableName: table(),
            KeyConditionExpression: 'PK = :pk AND SK = :sk',
            ExpressionAttributeValues: { ':pk': Key.PK, ':sk': Key.SK },
          }),
        )
      ).Items?.[0];
    for (const partner of partners) {
      expect((await item(partnerKey(partner.partnerId)))?.GSI2PK).toBe(statusIndexPk('not_set_up', partner.partnerId));
    }
    expect((await item(held))?.GSI3PK).toBe(heldIndexPk('usd', partners[0]?.partnerId ?? ''));
    expect((await item(paymentKey(payment.id)))?.GSI2PK).toBe(paymentIndexKeys(payment.createdAt, payment.id).GSI2PK);
    const listed = await pageRoute<{ id: string }>('/admin/partners?status=not_set_up', 'partners', ops, 100);
    expect(listed.map((p) => p.id)).toEqual(expect.arrayContaining(partners.map((p) => p.partnerId)));
    await client.send(new DeleteCommand({ TableName: table(), Key: held }));
  }, 120_000);
});

/** A payment of the table (creating one when there is none yet). */
async function anyPayment(): Promise<{ id: string; createdAt: string }> {
  const rows = await unshardedOrder(paymentIndexPartitions());
  if (rows.length === 0) {
    const payee = await activePayee('backfill-payee');
    const buyer = await customer('backfill-buyer');
    const request = await paymentRequest(payee, 1_500, 'Backfill');
    await requestIntent(buyer.idToken, request.id);
    return anyPayment();
  }
  const row = rows[0] as { id: string; sk: string };
  return { id: row.id, createdAt: row.sk.slice(0, row.sk.indexOf('#')) };
}
