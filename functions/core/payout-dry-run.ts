import type { Currency } from './money.ts';
import { emptyCounters } from './payout-model.ts';
import type { PayoutDepsWith, PayoutPlanningStore } from './payout-ports.ts';
import type { SkipReason } from './payout-rules.ts';
import { cutoffFor, decideFor, isCollision, requireRunPeriod } from './payout-run.ts';
import type { Period } from './period.ts';

/** The dry run: the planner's decisions for a period, counted and listed, with nothing written. */

export interface DryRunResult {
  period: Period;
  cutoff: number;
  considered: number;
  payable: number;
  skipped: Record<SkipReason, number>;
  amounts: Partial<Record<Currency, number>>;
  payouts: Array<{ partnerId: string; currency: Currency; amount: number }>;
  complete: boolean;
  nextCursor: string | null;
}

export async function dryRun(
  deps: PayoutDepsWith<Pick<PayoutPlanningStore, 'planningPage' | 'heldEntries'>, 'partners' | 'clock' | 'settings'>,
  input: { period: string; cursor?: string | null; deadline?: number },
): Promise<DryRunResult> {
  requireRunPeriod(deps, input.period, deps.clock.now());
  const cutoff = cutoffFor(input.period, deps.clock.now());
  const result: DryRunResult = {
    period: input.period,
    cutoff,
    considered: 0,
    payable: 0,
    skipped: emptyCounters().skipped,
    amounts: {},
    payouts: [],
    complete: false,
    nextCursor: null,
  };
  let cursor = input.cursor ?? null;
  do {
    const page = await deps.store.planningPage(cutoff, cursor, deps.settings.planningPageSize);
    for (const { partnerId, currency } of page.candidates) {
      // Entries a real run already planned are attached to its payout and no longer held: nothing to count twice.
      // A partner whose decision fails is counted as `planning_failed`, as the real run records it.
      const decided = await decideFor(deps, partnerId, currency, cutoff).catch((error: unknown) => {
        if (isCollision(error)) throw error;
        return undefined;
      });
      if (!decided) {
        result.considered += 1;
        result.skipped.planning_failed += 1;
        continue;
      }
      const { held, decision } = decided;
      if (held.length === 0) continue;
      result.considered += 1;
      if (decision.kind === 'skip') {
        result.skipped[decision.reason] += 1;
      } else {
        result.payable += 1;
        result.amounts[currency] = (result.amounts[currency] ?? 0) + decision.amount;
        result.payouts.push({ partnerId, currency, amount: decision.amount });
      }
    }
    cursor = page.nextCursor;
  } while (cursor && (input.deadline === undefined || deps.clock.now().getTime() < input.deadline));
  result.complete = cursor === null;
  result.nextCursor = cursor;
  return result;
}
