import { dynamoLedgerStore } from '#adapters/dynamodb/ledger-store';
import { dynamoPayoutStore } from '#adapters/dynamodb/payout-store';
import { MemoryPayoutStore } from '#tests/memory-payout-store';
import { payoutStoreContract } from '#tests/payout-store-contract';

/**
 * One contract, two payout stores: the DynamoDB adapter on DynamoDB Local and the in-memory store of the payout
 * simulation (tests/helpers/payout-simulation.ts). A condition the fake models differently from the adapter fails
 * here for one of them.
 */
payoutStoreContract('DynamoDB', () => ({
  store: dynamoPayoutStore,
  recordHeld: (earning, entry) => dynamoLedgerStore.recordHeld(earning, entry),
  entries: (partnerId) => dynamoLedgerStore.allEntries(partnerId),
  totals: (partnerId) => dynamoLedgerStore.totals(partnerId),
}));

const memory = new MemoryPayoutStore();
payoutStoreContract('in memory', () => ({
  store: memory,
  recordHeld: (earning, entry) => memory.recordHeld(earning, entry),
  entries: async (partnerId) => memory.entriesOf(partnerId),
  totals: async (partnerId) => memory.totals(partnerId),
}));
