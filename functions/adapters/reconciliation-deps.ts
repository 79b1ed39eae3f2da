import type { ReconciliationPorts } from '#core/reconciliation';
import { dynamoReconciliationStore as store } from './dynamodb/reconciliation-store.ts';
import { chargeFact, transferById, transfersCreated } from './stripe/reconciliation.ts';

/** Reconciliation's ports: Stripe's read-only calls and our table. One set per run (its partner account cache). */
export function reconciliationDeps(clock: () => Date = () => new Date()): ReconciliationPorts {
  const accounts = new Map<string, string | null>();
  return {
    transfers: transfersCreated,
    transfer: transferById,
    charge: chargeFact,
    payout: (partnerId, payoutId) => store.payout(partnerId, payoutId, accounts),
    payment: (paymentId) => store.payment(paymentId),
    paidPayouts: (start, end) => store.paidPayouts(start, end, accounts),
    record: (discrepancy, event) => store.record(discrepancy, event),
    saveReport: (report) => store.saveReport(report),
    clock,
  };
}
