/**
 * Keys of payments, orders, the ledger and payouts, in the style of keys.ts. Only adapters/dynamodb
 * imports this module.
 *
 * | Item                     | PK                  | SK                                   | Index keys                                  |
 * |--------------------------|---------------------|--------------------------------------|---------------------------------------------|
 * | Payment                  | PAYMENT#<payId>     | PAYMENT                              | GSI2 PAYMENTS#<shard> / <createdAt>#<payId>;|
 * |                          |                     |                                      | GSI1 PAYMENT_REF#<reference> /              |
 * |                          |                     |                                      | <createdAt>#<payId> (sparse: with a ref.)   |
 * | Order                    | ORDER#<ordId>       | ORDER                                | GSI1 ORDER_REF#<reference> /                |
 * |                          |                     |                                      | <createdAt>#<ordId> (sparse: with a ref.)   |
 * | Order item               | ORDER#<ordId>       | ITEM#<nnn>                           |                                             |
 * | Ledger entry (visible)   | PARTNER#<partnerId> | LEDGER#E#<occurredAt ISO>#<entryId>  | GSI3 HELD#<currency>#<shard> /              |
 * |                          |                     |                                      | <availableAt ISO>#<partnerId>#<entryId>     |
 * |                          |                     |                                      | (sparse: platform-held, not yet in a payout)|
 * |                          |                     |                                      | GSI2 AVAILABILITY#<shard> / <availableAt    |
 * |                          |                     |                                      | ISO>#<partnerId>#<entryId> (sparse: held    |
 * |                          |                     |                                      | earnings until their transition to          |
 * |                          |                     |                                      | available is stored)                        |
 * | Ledger entry (movement)  | PARTNER#<partnerId> | LEDGER#M#<occurredAt ISO>#<entryId>  | GSI3 as above for held negative entries     |
 * | Ledger totals            | PARTNER#<partnerId> | TOTALS#<currency>                    |                                             |
 * | Held earning (guard)     | EARNING#<externalId>| EARNING                              |                                             |
 * | Fee policy override      | PARTNER#<partnerId> | FEE_POLICY                           |                                             |
 * | Payout (payout run)      | PARTNER#<partnerId> | PAYOUT#<period>#<payoutId>           | GSI2 RUN#<runId> / <status>#<payoutId>;     |
 * |                          |                     |                                      | GSI3 AWAITING_FUNDS / <at>#<payoutId>       |
 * |                          |                     |                                      | (sparse: only while awaiting funds)         |
 * | Payout run               | PAYOUT_RUN#<runId>  | RUN                                  | GSI2 PAYOUT_RUNS / <startedAt>#<runId>      |
 * | Partner skipped in a run | PAYOUT_RUN#<runId>  | SKIP#<partnerId>#<currency>          |                                             |
 *
 * Partner-visible entries (earning, refund, clawback, adjustment) and money movements (transfer, reversal, payout)
 * have separate SK prefixes, so the earnings history is one Query without a filter and the balance is one Query
 * over `LEDGER#`. Sort keys start with the ISO time, so a window ("the last 30 days") is a key range.
 */
import type { Currency } from '#core/money';
import type { Key } from './keys.ts';
import { INDEX_SHARDS, shardedPartitionOf, shardPartitions } from './shards.ts';

const PARTNER = 'PARTNER#';

export const paymentKey = (paymentId: string): Key => ({ PK: `PAYMENT#${paymentId}`, SK: 'PAYMENT' });

/**
 * GSI2: every payment, newest first (operators), write-sharded by payment id over `PAYMENTS#<shard>`
 * (./shards.ts); the list merges the shards. The sort key is unique across shards.
 */
export const PAYMENTS_INDEX_PREFIX = 'PAYMENTS';
export const paymentIndexPartitions = () => shardPartitions(PAYMENTS_INDEX_PREFIX, INDEX_SHARDS.payments);
export const paymentIndexKeys = (createdAt: string, paymentId: string) => ({
  GSI2PK: shardedPartitionOf(PAYMENTS_INDEX_PREFIX, paymentId, INDEX_SHARDS.payments),
  GSI2SK: `${createdAt}#${paymentId}`,
});

/**
 * GSI1 (sparse): payments and orders by the platform's reference, newest first — only items that carry one are in
 * the index, so `?reference=` is one key lookup. The sort key is unique, so it is also the cursor.
 */
export const paymentReferencePk = (reference: string) => `PAYMENT_REF#${reference}`;
export const orderReferencePk = (reference: string) => `ORDER_REF#${reference}`;
export const referenceIndexKeys = (pk: string, createdAt: string, id: string) => ({
  GSI1PK: pk,
  GSI1SK: `${createdAt}#${id}`,
});

export const orderKey = (orderId: string): Key => ({ PK: `ORDER#${orderId}`, SK: 'ORDER' });
export const orderItemKey = (orderId: string, position: number): Key => ({
  PK: `ORDER#${orderId}`,
  SK: `ITEM#${String(position).padStart(3, '0')}`,
});
export const orderPk = (orderId: string) => `ORDER#${orderId}`;
export const ORDER_ITEM_PREFIX = 'ITEM#';

export const LEDGER_PREFIX = 'LEDGER#';
export const VISIBLE_PREFIX = 'LEDGER#E#';
export const MOVEMENT_PREFIX = 'LEDGER#M#';

export const ledgerEntryKey = (partnerId: string, visible: boolean, occurredAt: number, entryId: string): Key => ({
  PK: `${PARTNER}${partnerId}`,
  SK: `${visible ? VISIBLE_PREFIX : MOVEMENT_PREFIX}${new Date(occurredAt).toISOString()}#${entryId}`,
});

/** Lower bound of the visible entries that occurred at or after `since`. */
export const visibleFrom = (since: number) => `${VISIBLE_PREFIX}${new Date(since).toISOString()}`;
/** Above every visible entry (ISO years start with a digit below 9). */
export const VISIBLE_END = `${VISIBLE_PREFIX}9`;

/**
 * GSI3 (sparse): platform-held entries not yet attached to a payout, per currency, by availability, write-sharded
 * over `HELD#<currency>#<shard>` (./shards.ts). The shard comes from the partner's id, not the entry's: a partner's
 * held entries stay in one shard, so the planner meets each partner in one shard as it did in one partition, and a
 * partner's own write rate is bounded by its totals item anyway (docs/capacity.md).
 */
export const heldIndexPrefix = (currency: Currency) => `HELD#${currency}`;
export const heldIndexPartitions = (currency: Currency) =>
  shardPartitions(heldIndexPrefix(currency), INDEX_SHARDS.held);
export const heldIndexPk = (currency: Currency, partnerId: string) =>
  shardedPartitionOf(heldIndexPrefix(currency), partnerId, INDEX_SHARDS.held);
export const heldIndexKeys = (currency: Currency, availableAt: number, partnerId: string, entryId: string) => ({
  GSI3PK: heldIndexPk(currency, partnerId),
  GSI3SK: `${new Date(availableAt).toISOString()}#${partnerId}#${entryId}`,
});
/** Exclusive upper bound of the held entries available at or before `at`. */
export const heldAvailableBefore = (at: number) => new Date(at + 1).toISOString();

/**
 * GSI2 (sparse): held earnings waiting for their transition to `available` (functions/core/earning-availability.ts),
 * by `availableAt`, write-sharded by partner id over `AVAILABILITY#<shard>`. An earning enters the index when it is
 * written and leaves it when the sweep stores its transition, so the sweep reads only work left to do.
 */
export const AVAILABILITY_INDEX_PREFIX = 'AVAILABILITY';
export const availabilityIndexPartitions = () => shardPartitions(AVAILABILITY_INDEX_PREFIX, INDEX_SHARDS.availability);
export const availabilityIndexKeys = (availableAt: number, partnerId: string, entryId: string) => ({
  GSI2PK: shardedPartitionOf(AVAILABILITY_INDEX_PREFIX, partnerId, INDEX_SHARDS.availability),
  GSI2SK: `${new Date(availableAt).toISOString()}#${partnerId}#${entryId}`,
});

export const totalsKey = (partnerId: string, currency: Currency): Key => ({
  PK: `${PARTNER}${partnerId}`,
  SK: `TOTALS#${currency}`,
});
export const TOTALS_PREFIX = 'TOTALS#';

export const heldEarningKey = (externalId: string): Key => ({ PK: `EARNING#${externalId}`, SK: 'EARNING' });

export const feePolicyKey = (partnerId: string): Key => ({ PK: `${PARTNER}${partnerId}`, SK: 'FEE_POLICY' });

/** Operator actions on a partner's money (holds, adjustments, exclusions, kept reversals), newest last. */
export const operatorActionKey = (partnerId: string, at: string, actionId: string): Key => ({
  PK: `${PARTNER}${partnerId}`,
  SK: `OPERATOR_ACTION#${at}#${actionId}`,
});
export const OPERATOR_ACTION_PREFIX = 'OPERATOR_ACTION#';

/** A dispute on one of our payments, with what it holds or took back per partner. */
export const disputeKey = (paymentId: string, disputeId: string): Key => ({
  PK: `PAYMENT#${paymentId}`,
  SK: `DISPUTE#${disputeId}`,
});

export const payoutKey = (partnerId: string, period: string, payoutId: string): Key => ({
  PK: `${PARTNER}${partnerId}`,
  SK: `PAYOUT#${period}#${payoutId}`,
});
export const PAYOUT_PREFIX = 'PAYOUT#';

/** Payout runs, and each payout's place in its run (GSI2) and in the awaiting-funds work list (sparse GSI3). */
export const payoutRunKey = (runId: string): Key => ({ PK: `PAYOUT_RUN#${runId}`, SK: 'RUN' });
export const PAYOUT_RUNS_INDEX_PK = 'PAYOUT_RUNS';
export const payoutRunIndexKeys = (startedAt: string, runId: string) => ({
  GSI2PK: PAYOUT_RUNS_INDEX_PK,
  GSI2SK: `${startedAt}#${runId}`,
});
export const runSkipKey = (runId: string, partnerId: string, currency: Currency): Key => ({
  PK: `PAYOUT_RUN#${runId}`,
  SK: `SKIP#${partnerId}#${currency}`,
});
export const RUN_SKIP_PREFIX = 'SKIP#';
/**
 * A run's counters are spread over this many items beside the run item, each payout adding to one of them: in AWS,
 * concurrent transactions that touch the same item cancel each other (TransactionConflict), and every payout's
 * transaction adds to its run's counters. Reading a run sums them (one query).
 */
export const RUN_COUNTER_SHARDS = 32;
export const RUN_COUNTER_PREFIX = 'COUNTERS#';
export const runCounterKey = (runId: string, shard: number): Key => ({
  PK: `PAYOUT_RUN#${runId}`,
  SK: `${RUN_COUNTER_PREFIX}${String(shard).padStart(2, '0')}`,
});
export const runPayoutIndexPk = (runId: string) => `RUN#${runId}`;
export const runPayoutIndexSk = (status: string, payoutId: string) => `${status}#${payoutId}`;
export const AWAITING_FUNDS_INDEX_PK = 'AWAITING_FUNDS';
export const awaitingFundsIndexKeys = (at: string, payoutId: string) => ({
  GSI3PK: AWAITING_FUNDS_INDEX_PK,
  GSI3SK: `${at}#${payoutId}`,
});
