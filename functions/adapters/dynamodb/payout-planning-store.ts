import type { PayoutPlanningStore } from '#core/payout-ports';
import { planSkip } from '#core/payout-transitions';
import { tableName } from './client.ts';
import { isConditionFailed } from './conditions.ts';
import { runSkipKey } from './payment-keys.ts';
import { attachEntry, counterUpdate, payoutItem } from './payout-items.ts';
import { dynamoPayoutReader, dynamoPlanningReads } from './payout-queries.ts';
import { ENTRIES_PER_TRANSACTION, updateEntries } from './payout-writes.ts';
import { transactWrite } from './transactions.ts';

/** What planning writes: a new payout with the entries it covers attached, or the record of a skipped partner. */
export const dynamoPayoutPlanningStore: PayoutPlanningStore = {
  ...dynamoPlanningReads,

  async createPayout(payout, delta) {
    const [first, rest] = [
      payout.entries.slice(0, ENTRIES_PER_TRANSACTION),
      payout.entries.slice(ENTRIES_PER_TRANSACTION),
    ];
    const counters = counterUpdate(payout.runId, delta, payout.id);
    try {
      await transactWrite([
        { Put: { TableName: tableName(), Item: payoutItem(payout), ConditionExpression: 'attribute_not_exists(PK)' } },
        ...first.map((entry) => attachEntry(payout, entry)),
        ...(counters ? [counters] : []),
      ]);
    } catch (error) {
      if (isConditionFailed(error) && (await dynamoPayoutReader.getPayout(payout.partnerId, payout.id)))
        return 'exists';
      throw error;
    }
    await updateEntries(rest.map((entry) => attachEntry(payout, entry)));
    return 'created';
  },

  async recordSkip(runId, partnerId, currency, reason, amount, at) {
    const { record, counters: delta } = planSkip({ runId, partnerId, currency, reason, amount, at });
    const counters = counterUpdate(runId, delta, partnerId);
    try {
      await transactWrite([
        {
          Put: {
            TableName: tableName(),
            Item: { ...runSkipKey(runId, partnerId, currency), entity: 'payout-skip', ...record },
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
        ...(counters ? [counters] : []),
      ]);
    } catch (error) {
      if (!isConditionFailed(error)) throw error; // already recorded by an earlier planner: count once
    }
  },
};
