import { BatchGetCommand, type NativeAttributeValue, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { awaitsAvailability } from '#core/earning-availability';
import { earningRecordedEvent } from '#core/earning-events';
import { EARNING_TYPES } from '#core/ledger';
import type { Currency } from '#core/money';
import type { HeldEarning, LedgerRecord, LedgerStore, LedgerTotals } from '#core/payment-ports';
import { dynamo, tableName } from './client.ts';
import { isConditionFailed } from './conditions.ts';
import { decodeTextCursor, encodeTextCursor } from './cursor.ts';
import { partnerPk } from './keys.ts';
import { outboxPut } from './outbox.ts';
import {
  availabilityIndexKeys,
  heldAvailableBefore,
  heldEarningKey,
  heldIndexKeys,
  heldIndexPartitions,
  LEDGER_PREFIX,
  ledgerEntryKey,
  TOTALS_PREFIX,
  totalsKey,
  VISIBLE_END,
  VISIBLE_PREFIX,
  visibleFrom,
} from './payment-keys.ts';
import { queryAll, queryPrefix } from './query.ts';
import { queryShards } from './sharded-index.ts';
import { type TransactItem, transactWrite } from './transactions.ts';

type Item = Record<string, NativeAttributeValue>;

/**
 * Ledger entries are written with `attribute_not_exists` and never updated by this module: amounts are immutable.
 * (The payout run updates only the payout annotations: `payoutStatus`, `payoutId`, and removes the GSI3 keys; the
 * availability sweep sets `availableSince` and removes the GSI2 keys, ./availability-store.ts.)
 */
export function ledgerEntryItem(entry: LedgerRecord): Item {
  const visible = EARNING_TYPES.has(entry.type);
  const held = entry.payoutStatus === 'pending' && entry.availableAt !== undefined;
  return {
    ...ledgerEntryKey(entry.partnerId, visible, entry.occurredAt, entry.id),
    entity: 'ledger-entry',
    ...entry,
    ...(held ? heldIndexKeys(entry.currency, entry.availableAt as number, entry.partnerId, entry.id) : {}),
    ...(awaitsAvailability(entry) ? availabilityIndexKeys(entry.availableAt as number, entry.partnerId, entry.id) : {}),
  };
}

export function toLedgerRecord(item: Item): LedgerRecord {
  return {
    id: item.id,
    partnerId: item.partnerId,
    currency: item.currency,
    type: item.type,
    amount: Number(item.amount),
    occurredAt: Number(item.occurredAt),
    description: item.description,
    reference: item.reference,
    ...(typeof item.platformReference === 'string' ? { platformReference: item.platformReference } : {}),
    recordedAt: item.recordedAt,
    ...(item.payoutStatus ? { payoutStatus: item.payoutStatus } : {}),
    ...(item.availableAt !== undefined ? { availableAt: Number(item.availableAt) } : {}),
    ...(item.availableSince !== undefined ? { availableSince: Number(item.availableSince) } : {}),
    ...(item.payoutId ? { payoutId: item.payoutId } : {}),
    ...(item.gross !== undefined ? { gross: Number(item.gross) } : {}),
    ...(item.fee !== undefined ? { fee: Number(item.fee) } : {}),
  };
}

/**
 * The transaction items that write entries of ONE partner and currency together with their running totals.
 * Totals change only in the transaction that writes the entries, so `balance` is always the sum of the entries.
 */
export function ledgerWriteItems(entries: readonly LedgerRecord[]): TransactItem[] {
  const first = entries[0];
  if (!first) return [];
  let balance = 0;
  let earned = 0;
  for (const entry of entries) {
    if (entry.partnerId !== first.partnerId || entry.currency !== first.currency) {
      throw new Error('ledgerWriteItems: entries of one partner and currency only');
    }
    balance += entry.amount;
    if (EARNING_TYPES.has(entry.type)) earned += entry.amount;
  }
  return [
    ...entries.map(
      (entry): TransactItem => ({
        Put: { TableName: tableName(), Item: ledgerEntryItem(entry), ConditionExpression: 'attribute_not_exists(PK)' },
      }),
    ),
    {
      Update: {
        TableName: tableName(),
        Key: totalsKey(first.partnerId, first.currency),
        UpdateExpression:
          'SET entity = :entity, partnerId = :p, currency = :c ADD balance :b, earned :e, entryCount :n',
        ExpressionAttributeValues: {
          ':entity': 'ledger-totals',
          ':p': first.partnerId,
          ':c': first.currency,
          ':b': balance,
          ':e': earned,
          ':n': entries.length,
        },
      },
    },
  ];
}

export function heldItem(earning: HeldEarning): Item {
  return { ...heldEarningKey(earning.externalId), entity: 'held-earning', ...earning };
}

function toHeld(item: Item): HeldEarning {
  return {
    externalId: item.externalId,
    partnerId: item.partnerId,
    amount: Number(item.amount),
    currency: item.currency,
    description: item.description,
    availableAt: Number(item.availableAt),
    entryId: item.entryId,
    fingerprint: item.fingerprint,
    clawedBack: Number(item.clawedBack ?? 0),
    recordedAt: item.recordedAt,
    version: Number(item.version),
  };
}

const encode = encodeTextCursor;
const decode = decodeTextCursor;

const ISO = '\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z';
const ENTRY_ID = '[A-Za-z0-9_:.\\-]{1,200}';
const VISIBLE_CURSOR = new RegExp(`^LEDGER#E#${ISO}#${ENTRY_ID}$`);

export const dynamoLedgerStore: LedgerStore = {
  async recordHeld(earning, entry) {
    try {
      await transactWrite([
        {
          Put: {
            TableName: tableName(),
            Item: heldItem(earning),
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
        ...ledgerWriteItems([entry]),
        outboxPut(earningRecordedEvent(earning)),
      ]);
      return { recorded: true };
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      const existing = (await this.getHeld([earning.externalId])).get(earning.externalId);
      if (!existing) throw error; // cancelled for another reason (a conflict): let the caller's retry run again
      return { recorded: false, existing };
    }
  },

  async getHeld(externalIds) {
    const found = new Map<string, HeldEarning>();
    for (let start = 0; start < externalIds.length; start += 100) {
      let keys: Item[] | undefined = externalIds.slice(start, start + 100).map((id) => heldEarningKey(id));
      while (keys && keys.length > 0) {
        const result = await dynamo().send(
          new BatchGetCommand({ RequestItems: { [tableName()]: { Keys: keys, ConsistentRead: true } } }),
        );
        for (const item of result.Responses?.[tableName()] ?? []) found.set(item.externalId, toHeld(item));
        keys = result.UnprocessedKeys?.[tableName()]?.Keys as Item[] | undefined;
      }
    }
    return found;
  },

  async clawBack(earning, entry) {
    try {
      await transactWrite([
        {
          Update: {
            TableName: tableName(),
            Key: heldEarningKey(earning.externalId),
            UpdateExpression: 'SET clawedBack = :clawed, version = :next',
            ConditionExpression: 'version = :version',
            ExpressionAttributeValues: {
              ':clawed': earning.clawedBack - entry.amount,
              ':next': earning.version + 1,
              ':version': earning.version,
            },
          },
        },
        ...ledgerWriteItems([entry]),
      ]);
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  },

  async listVisible(partnerId, { currency, cursor, limit }) {
    const entries: LedgerRecord[] = [];
    let startKey: Item | undefined = cursor
      ? { PK: partnerPk(partnerId), SK: decode(cursor, VISIBLE_CURSOR) }
      : undefined;
    let lastSk: string | undefined;
    let more = false;
    // With a currency filter a page may come back short: keep reading until it is full or the partition ends.
    do {
      const page = await dynamo().send(
        new QueryCommand({
          TableName: tableName(),
          KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
          ExpressionAttributeValues: {
            ':pk': partnerPk(partnerId),
            ':prefix': VISIBLE_PREFIX,
            ...(currency ? { ':currency': currency } : {}),
          },
          ...(currency ? { FilterExpression: 'currency = :currency' } : {}),
          ScanIndexForward: false,
          ConsistentRead: true,
          Limit: limit,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of (page.Items ?? []) as Item[]) {
        if (entries.length === limit) {
          more = true;
          break;
        }
        entries.push(toLedgerRecord(item));
        lastSk = item.SK;
      }
      startKey = page.LastEvaluatedKey as Item | undefined;
      if (entries.length === limit && startKey) more = true;
    } while (!more && startKey);
    return { entries, nextCursor: more && lastSk ? encode(lastSk) : null };
  },

  async visibleSince(partnerId, since) {
    const items = await queryAll({
      TableName: tableName(),
      KeyConditionExpression: 'PK = :pk AND SK BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': partnerPk(partnerId), ':from': visibleFrom(since), ':to': VISIBLE_END },
      ConsistentRead: true,
    });
    return items.map(toLedgerRecord);
  },

  async totals(partnerId) {
    const items = await queryPrefix(partnerPk(partnerId), TOTALS_PREFIX);
    return items.map(
      (item): LedgerTotals => ({
        partnerId: item.partnerId,
        currency: item.currency,
        balance: Number(item.balance ?? 0),
        earned: Number(item.earned ?? 0),
        entryCount: Number(item.entryCount ?? 0),
      }),
    );
  },

  async allEntries(partnerId) {
    const items = await queryPrefix(partnerPk(partnerId), LEDGER_PREFIX);
    return items.map(toLedgerRecord);
  },

  async heldAvailableBy(currency: Currency, at, { cursor, limit }) {
    // Oldest availability first, merged from the currency's write shards. Sort keys carry a `#…` suffix, so none
    // equals the bound: an inclusive high bound acts as `SK < before`.
    const page = await queryShards({
      index: 'GSI3',
      partitions: heldIndexPartitions(currency),
      descending: false,
      limit,
      cursor,
      bounds: { high: heldAvailableBefore(at) },
    });
    return { entries: page.items.map(toLedgerRecord), nextCursor: page.nextCursor };
  },
};
