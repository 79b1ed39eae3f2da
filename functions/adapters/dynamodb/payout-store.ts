import type { PayoutStore } from '#core/payout-ports';
import { dynamoPayoutPlanningStore } from './payout-planning-store.ts';
import { dynamoPayoutReader } from './payout-queries.ts';
import { dynamoPayoutReversalStore, dynamoPayoutSendStore } from './payout-record-store.ts';
import { dynamoPayoutRunStore } from './payout-run-store.ts';

/**
 * Every payout port on the single table, in one object: the run store (`payout-run-store.ts`), planning
 * (`payout-planning-store.ts`), the reads (`payout-queries.ts`) and the transitions of a payout record
 * (`payout-record-store.ts`), all on the items of `payout-items.ts` and the writes of `payout-writes.ts`.
 */
export const dynamoPayoutStore: PayoutStore = {
  ...dynamoPayoutRunStore,
  ...dynamoPayoutPlanningStore,
  ...dynamoPayoutReader,
  ...dynamoPayoutSendStore,
  ...dynamoPayoutReversalStore,
};

export { counterShardOf, payoutItem } from './payout-items.ts';
