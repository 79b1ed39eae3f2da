import type { PayoutReversalStore, PayoutSendStore } from '#core/payout-ports';
import {
  afterSendingRace,
  completionRetry,
  planAwaitFunds,
  planCarryForward,
  planCompletion,
  planFailure,
  planKeptReversal,
  planReversal,
  planSending,
  releasesEntries,
} from '#core/payout-transitions';
import { isConditionFailed } from './conditions.ts';
import { attachEntry, releaseEntry } from './payout-items.ts';
import { dynamoPayoutReader } from './payout-queries.ts';
import {
  applyPayoutPlan,
  coveredEntryItems,
  ENTRIES_PER_TRANSACTION,
  transactOrUpdate,
  updateEntries,
  writePayoutPlan,
} from './payout-writes.ts';

/**
 * The transitions of a payout record, each one of the pure plans of `#core/payout-transitions` applied as one
 * conditional write (`applyPayoutPlan`).
 */
export const dynamoPayoutSendStore: PayoutSendStore = {
  async ensureAttached(payout) {
    // Entries up to the first chunk were attached in the transaction that created the payout; only the rest can
    // have been left behind by a planner that crashed between chunks.
    let all = true;
    for (const entry of payout.entries.slice(ENTRIES_PER_TRANSACTION)) {
      try {
        await transactOrUpdate([attachEntry(payout, entry)]);
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
        all = false; // another payout's (or paid): never ours again
      }
    }
    return all;
  },

  async markSending(payout, at) {
    const planned = planSending(payout, at);
    if (!planned) return payout; // a redelivery: as recorded
    try {
      await writePayoutPlan(payout, planned.plan);
      return planned.sending;
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      // Another worker moved it first (a duplicate delivery): continue with what is stored (same key or newer).
      const latest = await dynamoPayoutReader.getPayout(payout.partnerId, payout.id);
      if (!latest) throw error;
      return afterSendingRace(latest, payout);
    }
  },

  async completePayout(payout, transferId, at) {
    // `known` is the status we believe is stored (the worker's read, or what markSending wrote). If it moved, re-read
    // once and decide again.
    let known = payout.status;
    for (let tries = 0; ; tries++) {
      const plan = planCompletion(payout, known, transferId, at);
      try {
        await writePayoutPlan(payout, plan);
        return 'completed';
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
        const next = completionRetry(await dynamoPayoutReader.getPayout(payout.partnerId, payout.id), known, tries);
        if (next.kind === 'give_up') throw error;
        if (next.kind === 'already') {
          // Finish what a crashed or concurrent worker started.
          await updateEntries(coveredEntryItems(payout, plan.entries));
          return 'already';
        }
        known = next.known;
      }
    }
  },

  carryForward(payout, reason, at, expected, action) {
    return applyPayoutPlan(payout, planCarryForward(payout, reason, at, expected, action));
  },

  failPayout(payout, message, at, expected) {
    return applyPayoutPlan(payout, planFailure(payout, message, at, expected));
  },

  awaitFunds(payout, at, expected) {
    // False: recorded by a concurrent delivery of the same key, or moved on.
    return applyPayoutPlan(payout, planAwaitFunds(payout, at, expected));
  },

  async ensureReleased(payout) {
    // The first chunk of entries was released in the transaction that closed the payout; only the rest can have
    // been left behind by a worker that crashed between chunks.
    if (!releasesEntries(payout)) return;
    await updateEntries(payout.entries.slice(ENTRIES_PER_TRANSACTION).map((e) => releaseEntry(payout, e, 'in_payout')));
  },
};

export const dynamoPayoutReversalStore: PayoutReversalStore = {
  async reversePayout(payout, amountReversed, reversalId, at) {
    const transferId = payout.stripeTransferId;
    const plan = transferId ? planReversal(payout, { transferId, amountReversed, reversalId }, at) : null;
    return plan ? applyPayoutPlan(payout, plan) : false;
  },

  keepReversal(payout, plan, action) {
    return applyPayoutPlan(payout, planKeptReversal(payout, plan, action));
  },
};
