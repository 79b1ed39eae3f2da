import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Payout } from '#core/payout-model';
import type { CoveredEntries, PayoutPlan } from '#core/payout-transitions';
import { dynamo } from './client.ts';
import { isConditionFailed } from './conditions.ts';
import { ledgerWriteItems } from './ledger-store.ts';
import { operatorActionPut } from './operator-actions.ts';
import { outboxPut } from './outbox.ts';
import { counterUpdate, payoutChangeItem, releaseEntry, settleEntry } from './payout-items.ts';
import { type TransactItem, transactWrite } from './transactions.ts';

/** How a payout plan becomes DynamoDB writes: one transaction, and the entries beyond it chunk by chunk. */

/** DynamoDB allows 100 items per transaction; the rest of a payout's entries follow in further transactions. */
export const ENTRIES_PER_TRANSACTION = 90;

/** One item is a plain conditional update (half the cost of a transaction); several are one transaction. */
export async function transactOrUpdate(items: TransactItem[]): Promise<void> {
  const [only] = items;
  if (items.length === 1 && only?.Update) await dynamo().send(new UpdateCommand(only.Update));
  else await transactWrite(items);
}

/** Applies entry updates chunk by chunk; an entry already in the target state (a retry) is skipped. */
export async function updateEntries(items: TransactItem[]): Promise<void> {
  for (const item of items) {
    try {
      const update = item.Update;
      if (update) await dynamo().send(new UpdateCommand(update));
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
  }
}

/** The updates that move every entry the payout covers as the plan says (conditioned on belonging to it). */
export function coveredEntryItems(payout: Payout, entries: CoveredEntries): TransactItem[] {
  switch (entries.move) {
    case 'settle':
      return payout.entries.map((entry) => settleEntry(payout, entry, 'paid'));
    case 'release':
      return payout.entries.map((entry) => releaseEntry(payout, entry, entries.from));
    case 'none':
      return [];
  }
}

/**
 * Writes a plan: the payout's change, the ledger entries, the counters, the event (outbox), the operator's action
 * and the first chunk of the covered entries in one transaction; the rest of the entries follow. Throws DynamoDB's
 * condition failure (nothing written) when the payout no longer matches the plan's guard.
 */
export async function writePayoutPlan(payout: Payout, plan: PayoutPlan): Promise<void> {
  const moves = coveredEntryItems(payout, plan.entries);
  const counters = counterUpdate(payout.runId, plan.counters, payout.id);
  await transactOrUpdate([
    ...(plan.action ? [operatorActionPut(plan.action)] : []),
    ...(plan.event ? [outboxPut(plan.event)] : []),
    payoutChangeItem(payout, plan.change),
    ...ledgerWriteItems(plan.ledger),
    ...(counters ? [counters] : []),
    ...moves.slice(0, ENTRIES_PER_TRANSACTION),
  ]);
  await updateEntries(moves.slice(ENTRIES_PER_TRANSACTION));
}

/** `writePayoutPlan`, false instead of the condition failure (then nothing was written). */
export async function applyPayoutPlan(payout: Payout, plan: PayoutPlan): Promise<boolean> {
  try {
    await writePayoutPlan(payout, plan);
    return true;
  } catch (error) {
    if (isConditionFailed(error)) return false;
    throw error;
  }
}
