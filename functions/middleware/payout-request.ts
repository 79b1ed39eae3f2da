import * as z from 'zod';
import { type PayoutGrants, payoutDeps } from '#adapters/payout-deps';
import type { PayoutDeps, PayoutMetrics } from '#core/payouts';
import { logger, metrics } from './observability.ts';

const payoutMetrics: PayoutMetrics = {
  count: (name, value = 1) => metrics.addMetric(name, 'Count', value),
};

/**
 * The payout run's dependencies for jobs, workers and admin routes (metrics: PayoutPaid, PayoutAwaitingFunds, …):
 * the table's, plus the Transfers and queue ports the function's `access` grants, passed by the handler.
 */
export const payoutDepsForRequest = async (grants: PayoutGrants = {}): Promise<PayoutDeps> => ({
  ...(await payoutDeps(payoutMetrics, grants)),
  log: { error: (message, details) => logger.error(message, details) },
});

/** Run ids are per period: `run_2026-11`. */
export const RunId = z.string().regex(/^run_\d{4}-\d{2}$/, 'expected a run id (run_YYYY-MM)');
