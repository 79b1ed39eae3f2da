import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import * as z from 'zod';
import { reconciliationDeps } from '#adapters/reconciliation-deps';
import { type ReconciliationMessage, sendReconciliationMessage } from '#adapters/sqs/reconciliation-queue';
import {
  firstStep,
  previousDay,
  RECONCILIATION_PAGE_SIZE,
  RECONCILIATION_PHASES,
  type ReconciliationPorts,
  type ReconciliationStep,
  reconcileStep,
  startReconciliation,
} from '#core/reconciliation';
import { logger, metrics } from '#middleware/observability';
import { messageJson } from '#middleware/queue-message';

const Step = z.strictObject({
  runId: z.string().min(1).max(100),
  date: z.string().length(10),
  phase: z.enum(RECONCILIATION_PHASES),
  page: z.number().int().min(0),
  cursor: z.string().min(1).max(4_096).nullable(),
  pageSize: z.number().int().min(1).max(RECONCILIATION_PAGE_SIZE),
});
const Message = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('start'),
    runId: z.string().min(1).max(100),
    date: z.string().optional(),
    scheduledAt: z.string().optional(),
    pageSize: z.number().int().min(1).max(RECONCILIATION_PAGE_SIZE).optional(),
  }),
  z.strictObject({ type: z.literal('step'), step: Step }),
]);

/** The step a message asks for: a start records the run (once) and is its first step. */
async function stepOf(ports: ReconciliationPorts, message: z.infer<typeof Message>): Promise<ReconciliationStep> {
  if (message.type === 'step') return message.step;
  const date = message.date ?? previousDay(new Date(message.scheduledAt ?? Date.now()));
  const { created, step } = await startReconciliation(ports, firstStep(message.runId, date, message.pageSize));
  logger.info(created ? 'Reconciliation run started' : 'Reconciliation run started again', {
    runId: step.runId,
    date: step.date,
  });
  return step;
}

/**
 * The reconciliation queue's consumer (one message per invocation): the daily schedule's start message begins the
 * previous UTC day's run (or `date`'s); each step reads one bounded page and queues the next, so no invocation runs
 * long however many transfers a day has. The last step saves the day's report and counts what the run found
 * (`ReconciliationDiscrepancies`, alarmed on). Every step is idempotent: a redelivered step stores and counts
 * nothing twice; a step that keeps failing ends in the queue's dead-letter queue (alarmed on).
 */
async function reconcile(event: SQSEvent): Promise<SQSBatchResponse> {
  const failures: { itemIdentifier: string }[] = [];
  for (const record of event.Records) {
    const parsed = Message.safeParse(messageJson(record.body));
    if (!parsed.success) {
      logger.error('Unreadable reconciliation message; dropped', { messageId: record.messageId });
      continue;
    }
    try {
      const ports = reconciliationDeps();
      const outcome = await reconcileStep(ports, await stepOf(ports, parsed.data));
      if (outcome.next) {
        await sendReconciliationMessage({ type: 'step', step: outcome.next } satisfies ReconciliationMessage);
        continue;
      }
      const { report } = outcome;
      metrics.addMetric('ReconciliationDiscrepancies', 'Count', report.discrepancies);
      metrics.addMetric('ReconciliationTransfersChecked', 'Count', report.transfersChecked);
      metrics.addMetric('ReconciliationConnectedPayoutsChecked', 'Count', report.connectedPayoutsChecked);
      (report.discrepancies > 0 ? logger.warn : logger.info).call(logger, 'Reconciliation finished', { ...report });
    } catch (error) {
      logger.error('A reconciliation step failed; it will be retried', { error: error as Error });
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures: failures };
}

export const handler = middy(reconcile)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
