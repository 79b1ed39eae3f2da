import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { sqsPayoutQueue } from '#adapters/sqs/payout-queue';
import { startRun } from '#core/payouts';
import { isPeriod, previousPeriod } from '#core/period';
import { logger, metrics } from '#middleware/observability';
import { payoutDepsForRequest } from '#middleware/payout-request';

export interface PlanPayoutsDetail {
  period?: string;
}

/**
 * EventBridge target of the monthly schedule (default: the 1st, 06:00 UTC). It starts the run for the month that
 * just ended (or `detail.period`); planning proceeds page by page on the payout queue, so the run never depends on
 * this invocation's time limit. Starting the same period again changes nothing.
 */
async function start(event: EventBridgeEvent<string, PlanPayoutsDetail>): Promise<{ runId: string; created: boolean }> {
  const requested = event.detail?.period;
  const period = requested && isPeriod(requested) ? requested : previousPeriod(new Date(event.time));
  const { run, created } = await startRun(await payoutDepsForRequest({ queue: sqsPayoutQueue }), {
    period,
    startedBy: 'schedule',
  });
  logger.info(created ? 'Payout run started' : 'Payout run already exists', { runId: run.id, period });
  return { runId: run.id, created };
}

export const handler = middy(start).use(injectLambdaContext(logger)).use(logMetrics(metrics));
