import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, EventBridgeEvent } from 'aws-lambda';
import { dynamoAvailabilityStore } from '#adapters/dynamodb/availability-store';
import { systemClock } from '#core/clock';
import { type SweepReport, sweepAvailableEarnings } from '#core/earning-availability';
import { logger, metrics } from '#middleware/observability';

/** Entries per page and pages per invocation: 5,000 transitions at most per run; the rest waits for the next. */
export const SWEEP_PAGE_SIZE = 100;
export const SWEEP_MAX_PAGES = 50;
/** Time kept back from the function's limit: a page (100 transactions) is never started without it. */
const RESERVE_MS = 30_000;

/**
 * EventBridge target of the availability schedule (every `EARNINGS_SWEEP_MINUTES`): stores the transition to
 * `available`, with its `earning.available` event, of every held earning whose holding period has ended. Bounded
 * per run; a backlog is continued by the next run. Running it again, or twice at once, writes nothing twice.
 */
async function sweep(_event: EventBridgeEvent<string, unknown>, context: Context): Promise<SweepReport> {
  const report = await sweepAvailableEarnings(
    { store: dynamoAvailabilityStore, clock: systemClock },
    {
      pageSize: SWEEP_PAGE_SIZE,
      maxPages: SWEEP_MAX_PAGES,
      hasTime: () => context.getRemainingTimeInMillis() > RESERVE_MS,
    },
  );
  metrics.addMetric('EarningsMadeAvailable', 'Count', report.madeAvailable);
  (report.more ? logger.warn : logger.info).call(logger, 'Availability sweep finished', { ...report });
  return report;
}

export const handler = middy(sweep).use(injectLambdaContext(logger)).use(logMetrics(metrics));
