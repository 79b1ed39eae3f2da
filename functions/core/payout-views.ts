import type { Currency } from './money.ts';
import { type Payout, type PayoutRun, runStatus } from './payout-model.ts';
import type { SkipReason } from './payout-rules.ts';

/** What operators see of a run: status and totals (considered, paid, skipped by reason, failed, amounts). */
export function payoutRunView(run: PayoutRun) {
  const c = run.counters;
  return {
    id: run.id,
    period: run.period,
    status: runStatus(run),
    requireApproval: run.requireApproval,
    approved: run.approved,
    cutoff: new Date(run.cutoff).toISOString(),
    totals: {
      considered: c.considered,
      queued: c.queued,
      paid: c.paid,
      awaitingFunds: c.awaitingFunds,
      carriedForward: c.carriedForward,
      failed: c.failed,
      skipped: c.skipped,
      amounts: { planned: c.plannedAmount, paid: c.paidAmount },
    },
    startedAt: run.startedAt,
    startedBy: run.startedBy,
    finishedAt: run.finishedAt,
  };
}

export interface RunReportRow {
  partnerId: string;
  currency: Currency;
  amount: number;
  status: string;
  payoutId: string;
  stripeTransferId: string;
  reason: string;
}

export function runReportRows(
  payouts: readonly Payout[],
  skips: ReadonlyArray<{ partnerId: string; currency: Currency; reason: SkipReason; amount: number }>,
): RunReportRow[] {
  return [
    ...payouts.map((p) => ({
      partnerId: p.partnerId,
      currency: p.currency,
      amount: p.amount,
      status: p.status,
      payoutId: p.id,
      stripeTransferId: p.stripeTransferId ?? '',
      // A paid payout has no reason (one it waited for, e.g. awaiting_funds, is history, not its outcome).
      reason: p.status === 'paid' ? '' : (p.reason ?? ''),
    })),
    ...skips.map((s) => ({
      partnerId: s.partnerId,
      currency: s.currency,
      amount: s.amount,
      status: 'skipped',
      payoutId: '',
      stripeTransferId: '',
      reason: s.reason,
    })),
  ].sort((a, b) => a.partnerId.localeCompare(b.partnerId) || a.currency.localeCompare(b.currency));
}

/** RFC 4180 CSV; a cell starting with = + - @ is prefixed with ' so spreadsheets never run it as a formula. */
export function toCsv(rows: readonly RunReportRow[]): string {
  const header = [
    'partner_id',
    'currency',
    'amount_minor_units',
    'status',
    'payout_id',
    'stripe_transfer_id',
    'reason',
  ];
  const cell = (value: string | number) => {
    let text = String(value);
    if (/^[=+\-@]/.test(text) && typeof value === 'string') text = `'${text}`;
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const lines = rows.map((r) =>
    [r.partnerId, r.currency, r.amount, r.status, r.payoutId, r.stripeTransferId, r.reason].map(cell).join(','),
  );
  return `${[header.join(','), ...lines].join('\r\n')}\r\n`;
}
