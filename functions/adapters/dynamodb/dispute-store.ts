import { GetCommand, type NativeAttributeValue } from '@aws-sdk/lib-dynamodb';
import { disputeEvents } from '#core/dispute-events';
import type { DisputeRecord } from '#core/disputes';
import type { DisputeStore, LedgerRecord } from '#core/payment-ports';
import { dynamo, tableName } from './client.ts';
import { failedConditions, isConditionFailed } from './conditions.ts';
import { ledgerWriteItems } from './ledger-store.ts';
import { outboxPut } from './outbox.ts';
import { disputeKey, orderKey } from './payment-keys.ts';
import { type TransactItem, transactWrite } from './transactions.ts';

type Item = Record<string, NativeAttributeValue>;

/** Entries grouped per partner and currency: each group is written with its running totals. */
function entryGroups(entries: readonly LedgerRecord[]): LedgerRecord[][] {
  const groups = new Map<string, LedgerRecord[]>();
  for (const entry of entries) {
    const key = `${entry.partnerId}#${entry.currency}`;
    groups.set(key, [...(groups.get(key) ?? []), entry]);
  }
  return [...groups.values()];
}

/**
 * A dispute record (`PAYMENT#<paymentId>` / `DISPUTE#<disputeId>`) and the ledger entries its change books, in one
 * transaction: a new record is a conditional put, a change is compare-and-set on its version.
 */
export const dynamoDisputeStore: DisputeStore = {
  async get(paymentId, disputeId) {
    const { Item: item } = await dynamo().send(
      new GetCommand({ TableName: tableName(), Key: disputeKey(paymentId, disputeId), ConsistentRead: true }),
    );
    if (!item) return undefined;
    const { PK: _pk, SK: _sk, entity: _entity, ...record } = item as Item;
    return { ...(record as DisputeRecord), version: Number(record.version) };
  },

  async write({ record, expectedVersion, entries, orderReversals }) {
    const put: TransactItem = {
      Put: {
        TableName: tableName(),
        Item: { ...disputeKey(record.paymentId, record.id), entity: 'dispute', ...record },
        ConditionExpression: expectedVersion === null ? 'attribute_not_exists(PK)' : 'version = :version',
        ...(expectedVersion === null ? {} : { ExpressionAttributeValues: { ':version': expectedVersion } }),
      },
    };
    // An order of several sellers: what the dispute reversed of each seller's Transfer, guarded by the record's own
    // condition (so added exactly once).
    const order: TransactItem[] =
      orderReversals && orderReversals.sellers.length > 0
        ? [
            {
              Update: {
                TableName: tableName(),
                Key: orderKey(orderReversals.orderId),
                UpdateExpression: `SET ${orderReversals.sellers
                  .map(
                    ({ index }, i) =>
                      `sellers[${index}].disputeReversed = if_not_exists(sellers[${index}].disputeReversed, :zero) + :r${i}`,
                  )
                  .join(', ')}`,
                ConditionExpression: 'attribute_exists(PK)',
                ExpressionAttributeValues: {
                  ':zero': 0,
                  ...Object.fromEntries(orderReversals.sellers.map(({ amount }, i) => [`:r${i}`, amount])),
                },
              },
            },
          ]
        : [];
    const changes = [put, ...order, ...entryGroups(entries).flatMap((group) => ledgerWriteItems(group))];
    const events = disputeEvents({ record, expectedVersion, entries }).map(outboxPut);
    try {
      await transactWrite([...changes, ...events]);
      return true;
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      // Only the events were refused: they were written with an earlier change of this dispute (announced once).
      const failed = failedConditions(error) ?? [];
      if (events.length === 0 || failed.slice(0, changes.length).some(Boolean)) return false;
    }
    try {
      await transactWrite(changes);
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  },
};
