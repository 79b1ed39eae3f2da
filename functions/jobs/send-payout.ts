import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import * as z from 'zod';
import { sqsPayoutQueue } from '#adapters/sqs/payout-queue';
import { stripeTransfers } from '#adapters/stripe/create-transfer';
import { type PayoutBatchLog, type PayoutBatchRecord, processPayoutBatch } from '#core/payout-worker';
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
 * to queue); the batch is processed by `processPayoutBatch` (#core/payout-worker), its records concurrently, sharing
 * the Stripe rate budget with every other worker. A record that must be retried is reported as a batch item failure:
 * SQS redelivers it after the visibility timeout — with the same payout and so the same idempotency key — and moves
 * it to the DLQ after 5 receives.
 */
async function processBatch(event: SQSEvent): Promise<SQSBatchResponse> {
  const deps = await payoutDepsForRequest({ transfers: stripeTransfers, queue: sqsPayoutQueue });
  const failures: string[] = [];
  const records: PayoutBatchRecord[] = [];
  for (const record of event.Records) {
    const parsed = Message.safeParse(messageJson(record.body));
    if (!parsed.success) {
      // A malformed message can never succeed: keep it for the DLQ (and its alarm) rather than drop it.
      logger.error('Unreadable payout message', { messageId: record.messageId });
      failures.push(record.messageId);
      continue;
    }
    records.push({
      id: record.messageId,
      message: parsed.data,
      receiveCount: Number(record.attributes.ApproximateReceiveCount),
    });
  }
  failures.push(...(await processPayoutBatch(deps, records, batchLog)));
  return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
}

/** The batch's log lines, through the function's logger (errors as errors). */
const batchLog: PayoutBatchLog = {
  info: (message, details) => logger.info(message, details),
  warn: (message, { error, ...details }) =>
    logger.warn(message, { ...details, ...(error ? { error: error as Error } : {}) }),
  error: (message, { error, ...details }) =>
    logger.error(message, { ...details, ...(error ? { error: error as Error } : {}) }),
};

export const handler = middy(processBatch).use(injectLambdaContext(logger)).use(logMetrics(metrics));
