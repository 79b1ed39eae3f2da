import type { AvailabilityStore } from '#core/earning-availability';
import { tableName } from './client.ts';
import { writtenUnlessConditionFailed } from './conditions.ts';
import { toLedgerRecord } from './ledger-store.ts';
import { outboxPut } from './outbox.ts';
import { availabilityIndexPartitions, heldAvailableBefore, ledgerEntryKey } from './payment-keys.ts';
import { queryShards } from './sharded-index.ts';
import { transactWrite } from './transactions.ts';

/**
 * The availability sweep's storage. Held earnings wait on the sparse GSI2 `AVAILABILITY#<shard>` (./payment-keys.ts)
 * from the moment they are written; storing the transition sets `availableSince` on the ledger entry and removes
 * it from the index, in one transaction with the `earning.available` outbox item. The update is conditional on no
 * transition being stored yet, and the event's put on its id being new: of two sweeps that read the same entry,
 * one writes both and the other's transaction is refused whole.
 */
export const dynamoAvailabilityStore: AvailabilityStore = {
  async awaitingAvailability(at, { cursor, limit }) {
    // Oldest first, merged from the shards. Sort keys carry a `#…` suffix: the inclusive high bound acts as `<`.
    const page = await queryShards({
      index: 'GSI2',
      partitions: availabilityIndexPartitions(),
      descending: false,
      limit,
      cursor,
      bounds: { high: heldAvailableBefore(at) },
    });
    return { entries: page.items.map(toLedgerRecord), nextCursor: page.nextCursor };
  },

  async markAvailable({ entry, availableSince, event }) {
    return writtenUnlessConditionFailed(() =>
      transactWrite([
        {
          Update: {
            TableName: tableName(),
            Key: ledgerEntryKey(entry.partnerId, true, entry.occurredAt, entry.id),
            UpdateExpression: 'SET availableSince = :since REMOVE GSI2PK, GSI2SK',
            ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(availableSince)',
            ExpressionAttributeValues: { ':since': availableSince },
          },
        },
        outboxPut(event),
      ]),
    );
  },
};
