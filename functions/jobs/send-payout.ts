import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import * as z from 'zod';
import { sqsPayoutQueue } from '#adapters/sqs/payout-queue';
import { stripeTransfers } from '#adapters/stripe/create-transfer';
import { periodOfPayoutId, runIdFor } from '#core/payout-rules';
import {
  finishRunsIfDone,
  type PrefetchedPayout,
  planPage,
  prefetchPayouts,
  releasePage,
  requeueAwaitingFunds,
  sendPayout,
} from '#core/payouts';
import { logger, metrics } from '#middleware/observability';
import { payoutDepsForRequest } from '#middleware/payout-request';
import { messageJson } from '#middleware/queue-message';

const Message = z.discriminatedUnion('type', [
  z.object({ type: z.literal('payout'), partnerId: z.string().min(1), payoutId: z.string().min(1) }),
  z.object({ type: z.literal('plan'), runId: z.string().min(1), cursor: z.string().nullable() }),
  z.object({ type: z.literal('release'), runId: z.string().min(1), cursor: z.string().nullable() }),
  z.object({ type: z.literal('requeue'), before: z.iso.datetime(), cursor: z.string().min(1) }),
]);

/**
 * Payout queue worker. Each message is one payout to send (or one page of a run to plan, or of its planned payouts
 * to queue); the records of a batch
 * run concurrently and share the Stripe rate budget with every other worker. A record that must be retried is
 * reported as a batch item failure: SQS redelivers it after the visibility timeout — with the same payout and so
 * the same idempotency key — and moves it to the DLQ after 5 receives. Whether a run has finished is checked once
 * per batch, after all its records settled (not once per payout).
 */
async function processBatch(event: SQSEvent): Promise<SQSBatchResponse> {
  const deps = await payoutDepsForRequest({ transfers: stripeTransfers, queue: sqsPayoutQueue });
  const failures: string[] = [];
  /** Runs touched by this batch, with the messages that settled one of their payouts. */
  const touchedRuns = new Map<string, string[]>();
  const messages = event.Records.map((record) => ({ record, parsed: Message.safeParse(messageJson(record.body)) }));
  const payoutRefs = messages.flatMap(({ parsed }) =>
    parsed.success && parsed.data.type === 'payout' ? [parsed.data] : [],
  );
  // The batch's payouts and partners in two reads; if that fails, each record reads its own.
  const known = await prefetchPayouts(deps, payoutRefs).catch((error: unknown) => {
    logger.warn('Could not prefetch the batch; reading payouts one by one', { error: error as Error });
    return new Map<string, PrefetchedPayout>();
  });
  await Promise.all(
    messages.map(async ({ record, parsed }) => {
      if (!parsed.success) {
        // A malformed message can never succeed: keep it for the DLQ (and its alarm) rather than drop it.
        logger.error('Unreadable payout message', { messageId: record.messageId });
        failures.push(record.messageId);
        return;
      }
      const message = parsed.data;
      try {
        if (message.type === 'plan') {
          const redelivered = Number(record.attributes.ApproximateReceiveCount) > 1;
          await planPage(deps, message.runId, message.cursor, { redelivered });
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
        logger.info('Payout processed', { payoutId: message.payoutId, result });
        if (result === 'retry_later') failures.push(record.messageId);
        const period = periodOfPayoutId(message.payoutId);
        if (period && result !== 'retry_later' && result !== 'not_found') {
          const runId = runIdFor(period);
          touchedRuns.set(runId, [...(touchedRuns.get(runId) ?? []), record.messageId]);
        }
      } catch (error) {
        logger.error('Payout message failed; it will be retried', {
          messageId: record.messageId,
          error: error as Error,
        });
        failures.push(record.messageId);
      }
    }),
  );
  // Once per batch and run, after every record settled: whoever settles a run's last payout records it finished.
  // If that check fails, the run's messages come back (each is `already_done` then) and check again.
  for (const [runId, messageIds] of touchedRuns) {
    try {
      await finishRunsIfDone(deps, [runId]);
    } catch (error) {
      logger.warn('Could not check whether the payout run finished; its messages will be redelivered', {
        runId,
        error: error as Error,
      });
      failures.push(...messageIds);
    }
  }
  return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
}

export const handler = middy(processBatch).use(injectLambdaContext(logger)).use(logMetrics(metrics));
