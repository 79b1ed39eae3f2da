import type { EventBridgeEvent } from 'aws-lambda';
import { isPeriod, type Period, previousPeriod } from '#core/period';
import { logger } from '#middleware/observability';

/**
 * EventBridge target of the monthly schedule. It resolves which period the run is for (the month that just
 * ended, or an explicit `detail.period` when an operator starts it).
 *
 * Planning itself — selecting payable partners from the ledger index, writing one payout record per partner and
 * period, and queueing them — arrives with the ledger and payouts issues (#5, #6); until then the run only
 * resolves and logs its period, so the schedule, permissions and alarms can be deployed and exercised.
 */
export interface PlanPayoutsDetail {
  period?: string;
}

export async function handler(event: EventBridgeEvent<string, PlanPayoutsDetail>): Promise<{ period: Period }> {
  const requested = event.detail?.period;
  const period = requested && isPeriod(requested) ? requested : previousPeriod(new Date(event.time));
  logger.info('Monthly payout run triggered', { period, source: event.source });
  return { period };
}
