import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { reconciliationDeps } from '#adapters/reconciliation-deps';
import { previousDay, type ReconciliationReport, reconcileDay } from '#core/reconciliation';
import { logger, metrics } from '#middleware/observability';

export interface ReconcileDetail {
  /** A UTC day `YYYY-MM-DD`; default: the day before the schedule fired. */
  date?: string;
}

/**
 * EventBridge target of the daily schedule: reconciles the previous UTC day (or `detail.date`) and counts what it
 * found (`ReconciliationDiscrepancies`, alarmed on). Running a day again stores and announces nothing twice.
 */
async function reconcile(event: EventBridgeEvent<string, ReconcileDetail>): Promise<ReconciliationReport> {
  const date = event.detail?.date ?? previousDay(new Date(event.time));
  const report = await reconcileDay(reconciliationDeps(), date);
  metrics.addMetric('ReconciliationDiscrepancies', 'Count', report.discrepancies);
  metrics.addMetric('ReconciliationTransfersChecked', 'Count', report.transfersChecked);
  (report.discrepancies > 0 ? logger.warn : logger.info).call(logger, 'Reconciliation finished', { ...report });
  return report;
}

export const handler = middy(reconcile).use(injectLambdaContext(logger)).use(logMetrics(metrics));
