import type { PayoutDeps } from './payout-ports.ts';
import { periodOfPayoutId, runIdFor } from './payout-rules.ts';
import { finishRunsIfDone, planPage, releasePage, requeueAwaitingFunds } from './payout-run.ts';
import { type PrefetchedPayout, prefetchPayouts, sendPayout } from './payout-send.ts';

/** A message of the payout queue: one payout to send, or one page of a run to plan, release or requeue. */
export type PayoutMessage =
  | { type: 'payout'; partnerId: string; payoutId: string }
  | { type: 'plan'; runId: string; cursor: string | null }
  | { type: 'release'; runId: string; cursor: string | null }
  | { type: 'requeue'; before: string; cursor: string };

export interface PayoutBatchRecord {
  id: string;
  message: PayoutMessage;
  /** How many times the queue has delivered it (1: the first time). */
  receiveCount: number;
}

export interface PayoutBatchLog {
  info(message: string, details: Record<string, unknown>): void;
  warn(message: string, details: Record<string, unknown>): void;
  error(message: string, details: Record<string, unknown>): void;
}

/**
 * One batch of the payout queue: the records run concurrently (their payouts and partners read in two requests);
 * the ids returned are the records to deliver again — a payout to retry later, or any that threw. Whether a run has
 * finished is checked once per batch and run, after every record of the batch settled (not once per payout); if
 * that check fails, the run's records come back (each is `already_done` then) and check again.
 */
export async function processPayoutBatch(
  deps: PayoutDeps,
  records: readonly PayoutBatchRecord[],
  log: PayoutBatchLog,
): Promise<string[]> {
  const failures: string[] = [];
  /** Runs touched by this batch, with the records that settled one of their payouts. */
  const touchedRuns = new Map<string, string[]>();
  const payoutRefs = records.flatMap(({ message }) => (message.type === 'payout' ? [message] : []));
  // The batch's payouts and partners in two reads; if that fails, each record reads its own.
  const known = await prefetchPayouts(deps, payoutRefs).catch((error: unknown) => {
    log.warn('Could not prefetch the batch; reading payouts one by one', { error });
    return new Map<string, PrefetchedPayout>();
  });
  await Promise.all(
    records.map(async ({ id, message, receiveCount }) => {
      try {
        if (message.type === 'plan') {
          await planPage(deps, message.runId, message.cursor, { redelivered: receiveCount > 1 });
          return;
        }
        if (message.type === 'release') {
          await releasePage(deps, message.runId, message.cursor);
          return;
        }
        if (message.type === 'requeue') {
          await requeueAwaitingFunds(deps, { before: message.before, cursor: message.cursor });
          return;
        }
        const prefetched = known.get(message.payoutId);
        const result = await sendPayout(deps, message, {
          checkRunFinished: false,
          ...(prefetched ? { known: prefetched } : {}),
        });
        log.info('Payout processed', { payoutId: message.payoutId, result });
        if (result === 'retry_later') failures.push(id);
        const period = periodOfPayoutId(message.payoutId);
        if (period && result !== 'retry_later' && result !== 'not_found') {
          const runId = runIdFor(period);
          touchedRuns.set(runId, [...(touchedRuns.get(runId) ?? []), id]);
        }
      } catch (error) {
        log.error('Payout message failed; it will be retried', { messageId: id, error });
        failures.push(id);
      }
    }),
  );
  for (const [runId, ids] of touchedRuns) {
    try {
      await finishRunsIfDone(deps, [runId]);
    } catch (error) {
      log.warn('Could not check whether the payout run finished; its messages will be redelivered', { runId, error });
      failures.push(...ids);
    }
  }
  return failures;
}
