import { type Clock, systemClock } from '#core/clock';
import type { ReconciliationPorts } from '#core/reconciliation';
import { dynamoReconciliationStore as store } from './dynamodb/reconciliation-store.ts';
import { withStripeShare } from './stripe/lane.ts';
import { chargeFact, connectedPayoutById, transferById, transferPage } from './stripe/reconciliation.ts';

/** A Stripe read made in reconciliation's own share of the rate budget (see core/stripe-limits.ts). */
const inShare =
  <A extends unknown[], R>(read: (...args: A) => Promise<R>) =>
  (...args: A): Promise<R> =>
    withStripeShare('reconciliation', () => read(...args));

/**
 * Reconciliation's ports: Stripe's read-only calls, each in reconciliation's share of the rate budget, and our table.
 * One set per invocation (its partner account cache).
 */
export function reconciliationDeps(clock: Clock = systemClock): ReconciliationPorts {
  const accounts = new Map<string, string | null>();
  return {
    transferPage: inShare(transferPage),
    transfer: inShare(transferById),
    charge: inShare(chargeFact),
    connectedPayout: inShare(connectedPayoutById),
    openConnectedPayoutPage: (through, cursor, limit) => store.openConnectedPayoutPage(through, cursor, limit),
    payout: (partnerId, payoutId) => store.payout(partnerId, payoutId, accounts),
    sellerTransfer: (orderId, partnerId) => store.sellerTransfer(orderId, partnerId),
    payment: (paymentId) => store.payment(paymentId),
    paidPayoutPage: (start, end, cursor, limit) => store.paidPayoutPage(start, end, cursor, limit, accounts),
    markListed: (runId, transferIds) => store.markListed(runId, transferIds),
    listed: (runId, transferIds) => store.listed(runId, transferIds),
    record: (discrepancy, event) => store.record(discrepancy, event),
    beginRun: (run) => store.beginRun(run),
    countPage: (runId, date, pageKey, counts) => store.countPage(runId, date, pageKey, counts),
    finishRun: (runId, date, finishedAt) => store.finishRun(runId, date, finishedAt),
    saveReport: (report) => store.saveReport(report),
    clock,
  };
}
