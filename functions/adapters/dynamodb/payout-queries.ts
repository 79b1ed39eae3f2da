import { GetCommand, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Currency } from '#core/money';
import type { Payout } from '#core/payout-model';
import type { PayoutPlanningStore, PayoutRecordReader } from '#core/payout-ports';
import { periodOfPayoutId } from '#core/payout-rules';
import { dynamo, tableName } from './client.ts';
import {
  checkKey,
  decodeJsonCursor,
  decodeKeyCursor,
  encodeJsonCursor,
  invalidCursor,
  type KeyShape,
} from './cursor.ts';
import { partnerPk } from './keys.ts';
import {
  AWAITING_FUNDS_INDEX_PK,
  heldAvailableBefore,
  heldIndexPartitions,
  LEDGER_PREFIX,
  payoutKey,
  payoutRunKey,
  RUN_SKIP_PREFIX,
  runPayoutIndexPk,
} from './payment-keys.ts';
import { CURRENCY_LIST, gsi2Shape, gsi3Shape, type Item, type StoredEntry, toPayout } from './payout-items.ts';
import { batchGetAll, queryAll, queryPrefix } from './query.ts';
import { INDEX_SHARDS } from './shards.ts';

/** The payout run's reads: payouts by id and by index, and what planning reads (held entries, skips). */

/** One page of payouts from an index query, with the cursor of the next page. */
async function payoutPage(
  input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>,
  cursor: string | undefined,
  shape: KeyShape,
): Promise<{ payouts: Payout[]; nextCursor: string | null }> {
  const page = await dynamo().send(
    new QueryCommand({
      ...input,
      TableName: tableName(),
      ...(cursor ? { ExclusiveStartKey: decodeKeyCursor(cursor, shape) } : {}),
    }),
  );
  return {
    payouts: ((page.Items ?? []) as Item[]).map(toPayout),
    nextCursor: page.LastEvaluatedKey ? encodeJsonCursor(page.LastEvaluatedKey) : null,
  };
}

/**
 * The planning cursor: a currency position, a shard of that currency's held-entries index, and within the shard the
 * index key to resume after (or null).
 */
function planningCursor(value: unknown): { c: number; s: number; k: Item | null } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidCursor();
  const { c, s, k } = value as { c?: unknown; s?: unknown; k?: unknown };
  if (typeof c !== 'number' || !Number.isInteger(c) || c < 0 || c >= CURRENCY_LIST.length) throw invalidCursor();
  if (typeof s !== 'number' || !Number.isInteger(s) || s < 0 || s >= INDEX_SHARDS.held) throw invalidCursor();
  if (k === null || k === undefined) return { c, s, k: null };
  const partition = heldIndexPartitions(CURRENCY_LIST[c] as Currency)[s] as string;
  return { c, s, k: checkKey(k, gsi3Shape(partition)) };
}

export const dynamoPayoutReader: PayoutRecordReader = {
  async getPayout(partnerId, payoutId) {
    const period = periodOfPayoutId(payoutId);
    if (!period) return undefined;
    const { Item: item } = await dynamo().send(
      new GetCommand({ TableName: tableName(), Key: payoutKey(partnerId, period, payoutId), ConsistentRead: true }),
    );
    return item ? toPayout(item) : undefined;
  },

  async getPayouts(refs) {
    const keys = refs.flatMap((ref) => {
      const period = periodOfPayoutId(ref.payoutId);
      return period ? [payoutKey(ref.partnerId, period, ref.payoutId)] : [];
    });
    const payouts = (await batchGetAll(keys)).filter((item) => item.entity === 'payout').map(toPayout);
    return new Map(payouts.map((payout) => [payout.id, payout]));
  },

  listAwaitingFunds({ before, cursor, limit }) {
    return payoutPage(
      {
        IndexName: 'GSI3',
        // Sort key `<at>#<payoutId>`: '~' sorts after '#', so payouts waiting since exactly `before` are included.
        KeyConditionExpression: 'GSI3PK = :pk AND GSI3SK < :before',
        ExpressionAttributeValues: { ':pk': AWAITING_FUNDS_INDEX_PK, ':before': `${before}~` },
        Limit: limit,
      },
      cursor,
      gsi3Shape(AWAITING_FUNDS_INDEX_PK),
    );
  },

  listRunPayouts(runId, { status, cursor, limit }) {
    return payoutPage(
      {
        IndexName: 'GSI2',
        KeyConditionExpression: status ? 'GSI2PK = :pk AND begins_with(GSI2SK, :status)' : 'GSI2PK = :pk',
        ExpressionAttributeValues: { ':pk': runPayoutIndexPk(runId), ...(status ? { ':status': `${status}#` } : {}) },
        Limit: limit,
      },
      cursor,
      gsi2Shape(runPayoutIndexPk(runId)),
    );
  },
};

/** What planning reads: the held-entries index page by page, a partner's held entries, a run's skips. */
export const dynamoPlanningReads: Pick<PayoutPlanningStore, 'planningPage' | 'heldEntries' | 'listSkips'> = {
  async planningPage(cutoff, cursor, limit) {
    // Currency by currency, and within a currency shard by shard of its held-entries index. A partner's held entries
    // share one shard (payment-keys.ts), so a partner shows up in one shard of a currency, as it did in one partition.
    let position = cursor ? decodeJsonCursor(cursor, planningCursor) : { c: 0, s: 0, k: null };
    const seen = new Map<string, { partnerId: string; currency: Currency }>();
    while (position.c < CURRENCY_LIST.length && seen.size < limit) {
      const currency = CURRENCY_LIST[position.c] as Currency;
      const page = await dynamo().send(
        new QueryCommand({
          TableName: tableName(),
          IndexName: 'GSI3',
          KeyConditionExpression: 'GSI3PK = :pk AND GSI3SK < :before',
          ExpressionAttributeValues: {
            ':pk': heldIndexPartitions(currency)[position.s],
            ':before': heldAvailableBefore(cutoff),
          },
          ProjectionExpression: 'partnerId, currency',
          Limit: limit,
          ...(position.k ? { ExclusiveStartKey: position.k } : {}),
        }),
      );
      for (const item of (page.Items ?? []) as Item[]) {
        seen.set(`${item.partnerId}#${currency}`, { partnerId: String(item.partnerId), currency });
      }
      position = page.LastEvaluatedKey
        ? { c: position.c, s: position.s, k: page.LastEvaluatedKey as Item }
        : position.s + 1 < INDEX_SHARDS.held
          ? { c: position.c, s: position.s + 1, k: null }
          : { c: position.c + 1, s: 0, k: null };
    }
    return {
      candidates: [...seen.values()],
      nextCursor: position.c < CURRENCY_LIST.length ? encodeJsonCursor(position) : null,
    };
  },

  async heldEntries(partnerId, currency) {
    const items = await queryAll({
      TableName: tableName(),
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      FilterExpression: 'attribute_exists(GSI3PK) AND currency = :currency AND payoutStatus = :pending',
      ExpressionAttributeValues: {
        ':pk': partnerPk(partnerId),
        ':prefix': LEDGER_PREFIX,
        ':currency': currency,
        ':pending': 'pending',
      },
      ProjectionExpression: 'SK, id, amount, availableAt, platformReference',
      ConsistentRead: true,
    });
    return items.map(
      (item): StoredEntry => ({
        id: item.id,
        amount: Number(item.amount),
        availableAt: Number(item.availableAt),
        ref: item.SK,
        ...(typeof item.platformReference === 'string' ? { platformReference: item.platformReference } : {}),
      }),
    );
  },

  async listSkips(runId) {
    const items = await queryPrefix(payoutRunKey(runId).PK, RUN_SKIP_PREFIX);
    return items.map((item) => ({
      partnerId: item.partnerId,
      currency: item.currency,
      reason: item.reason,
      amount: Number(item.amount),
    }));
  },
};
