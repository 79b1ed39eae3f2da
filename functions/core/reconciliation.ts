import { type DomainEvent, domainEvent } from './domain-events.ts';
import { fail } from './errors.ts';

/**
 * Reconciliation: after the fact, our records are compared with Stripe's for one UTC day, and every difference is
 * stored once, counted and announced (`reconciliation.discrepancy`). Stripe is the source of truth for what moved;
 * a discrepancy is for an operator to investigate (docs/runbooks/reconciliation.md), never corrected here.
 *
 * The day's Stripe transfers are walked once:
 * - a transfer for a monthly payout (our `metadata.payoutId`) is compared with the payout record: the record must
 *   exist and name this transfer, with the same amount, currency and destination, and Stripe's reversed amount must
 *   be what our ledger holds (a reversal whose webhook was lost shows here);
 * - a transfer of a destination charge (`source_transaction`) is compared with the payment: Stripe's application fee
 *   must be the payment's fee (sellers' transfers of multi-seller orders, `metadata.orderId`, are not compared here);
 * - any other transfer — made by hand in the Dashboard, or whose metadata names nothing of ours — is unknown.
 * Then the payouts we recorded as paid that day whose transfer is not among Stripe's are looked up one by one: a
 * transfer Stripe does not have at all is missing (one created on another day is compared by that day's run).
 */
export type DiscrepancyKind =
  | 'transfer_unknown'
  | 'transfer_missing'
  | 'transfer_mismatch'
  | 'reversal_unrecorded'
  | 'fee_mismatch';

export const DISCREPANCY_KINDS: Readonly<Record<DiscrepancyKind, string>> = {
  transfer_unknown: 'A Stripe transfer we have no record of (made outside this backend, e.g. in the Dashboard).',
  transfer_missing: 'A payout we recorded as paid whose transfer Stripe does not have.',
  transfer_mismatch: 'A payout transfer whose amount, currency or destination differs from our record.',
  reversal_unrecorded: 'Stripe reversed more of a payout transfer than our ledger holds (a reversal event was lost).',
  fee_mismatch: 'A destination charge whose application fee or transferred net differs from the payment record.',
};

export interface StripeTransferFact {
  id: string;
  amount: number;
  currency: string;
  destination: string;
  /** Epoch seconds. */
  created: number;
  amountReversed: number;
  /** Our payout's id and partner, when our payout worker made it. */
  payoutId: string | null;
  partnerId: string | null;
  /** The order, on a seller's transfer of a multi-seller order (separate charges and transfers). */
  orderId: string | null;
  /** The destination charge this transfer comes from (Stripe made it with the charge), if any. */
  sourceTransaction: string | null;
}

/** What we recorded for a monthly payout that was sent. */
export interface PayoutFact {
  payoutId: string;
  partnerId: string;
  amount: number;
  currency: string;
  /** The partner's connected account (where the transfer must go). */
  destination: string | null;
  transferId: string | null;
  reversedAmount: number;
}

/** A destination charge as Stripe has it, with the payment it belongs to (from the PaymentIntent's metadata). */
export interface ChargeFact {
  chargeId: string;
  paymentId: string | null;
  /** Null: the charge carries no application fee (a separate charge; its sellers' transfers are not compared). */
  applicationFee: number | null;
}

export interface PaymentFact {
  paymentId: string;
  partnerId: string;
  fee: number;
  currency: string;
}

export interface Discrepancy {
  /** Stable per day, kind and subject: a re-run finds the same discrepancy and stores nothing new. */
  id: string;
  date: string;
  kind: DiscrepancyKind;
  stripeId: string | null;
  /** Our record's id (payout or payment), when there is one. */
  recordId: string | null;
  partnerId: string | null;
  currency: string | null;
  /** What our record says and what Stripe says (minor units), when the difference is an amount. */
  expected: number | null;
  actual: number | null;
  detail: string;
}

export interface ReconciliationPorts {
  /** Every transfer Stripe created in [start, end) (epoch seconds), with reversals' totals. */
  transfers(start: number, end: number): AsyncIterable<StripeTransferFact>;
  /** One transfer by id; undefined when Stripe has none. */
  transfer(transferId: string): Promise<StripeTransferFact | undefined>;
  charge(chargeId: string): Promise<ChargeFact | undefined>;
  payout(partnerId: string, payoutId: string): Promise<PayoutFact | undefined>;
  payment(paymentId: string): Promise<PaymentFact | undefined>;
  /** Payouts we recorded as paid (their transfer created) in [start, end) (epoch ms). */
  paidPayouts(start: number, end: number): AsyncIterable<PayoutFact>;
  /** Stores the discrepancy with its event unless already stored; true when it was new. */
  record(discrepancy: Discrepancy, event: DomainEvent): Promise<boolean>;
  saveReport(report: ReconciliationReport): Promise<void>;
  clock(): Date;
}

export interface ReconciliationReport {
  date: string;
  transfersChecked: number;
  payoutsChecked: number;
  discrepancies: number;
  byKind: Record<DiscrepancyKind, number>;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A UTC calendar day `YYYY-MM-DD` (400 `invalid_date` otherwise). */
export function parseDay(value: string): { date: string; start: number; end: number } {
  const start = DATE.test(value) ? Date.parse(`${value}T00:00:00.000Z`) : Number.NaN;
  if (!Number.isFinite(start) || new Date(start).toISOString().slice(0, 10) !== value) {
    fail('invalid_date');
  }
  return { date: value, start, end: start + 86_400_000 };
}

/** The day before `now` (UTC): what the daily schedule reconciles. */
export const previousDay = (now: Date) => new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10);

function discrepancy(
  date: string,
  kind: DiscrepancyKind,
  subject: string,
  fields: Omit<Discrepancy, 'id' | 'date' | 'kind'>,
): Discrepancy {
  return { id: `${date}:${kind}:${subject}`, date, kind, ...fields };
}

/** The differences between one Stripe payout transfer and our payout record (none when they agree). */
export function comparePayoutTransfer(
  date: string,
  transfer: StripeTransferFact,
  payout: PayoutFact | undefined,
): Discrepancy[] {
  const base = { stripeId: transfer.id, partnerId: transfer.partnerId, currency: transfer.currency };
  if (!payout || payout.transferId !== transfer.id) {
    return [
      discrepancy(date, 'transfer_unknown', transfer.id, {
        ...base,
        recordId: payout?.payoutId ?? null,
        expected: null,
        actual: transfer.amount,
        detail: payout
          ? `Transfer names payout ${payout.payoutId}, which records transfer ${payout.transferId ?? 'none'}.`
          : `Transfer names payout ${transfer.payoutId}, which we have no record of.`,
      }),
    ];
  }
  const found: Discrepancy[] = [];
  const differences = [
    payout.amount !== transfer.amount ? `amount ${payout.amount} ≠ ${transfer.amount}` : null,
    payout.currency !== transfer.currency ? `currency ${payout.currency} ≠ ${transfer.currency}` : null,
    payout.destination !== null && payout.destination !== transfer.destination
      ? `destination ${payout.destination} ≠ ${transfer.destination}`
      : null,
  ].filter((d): d is string => d !== null);
  if (differences.length > 0) {
    found.push(
      discrepancy(date, 'transfer_mismatch', transfer.id, {
        ...base,
        recordId: payout.payoutId,
        partnerId: payout.partnerId,
        expected: payout.amount,
        actual: transfer.amount,
        detail: `Our payout record and Stripe's transfer differ: ${differences.join('; ')}.`,
      }),
    );
  }
  if (transfer.amountReversed > payout.reversedAmount) {
    found.push(
      discrepancy(date, 'reversal_unrecorded', transfer.id, {
        ...base,
        recordId: payout.payoutId,
        partnerId: payout.partnerId,
        expected: payout.reversedAmount,
        actual: transfer.amountReversed,
        detail: `Stripe reversed ${transfer.amountReversed} of the transfer; our ledger has ${payout.reversedAmount}.`,
      }),
    );
  }
  return found;
}

/** The differences between a destination charge's transfer and the payment it settles. */
export function compareChargeTransfer(
  date: string,
  transfer: StripeTransferFact,
  charge: ChargeFact | undefined,
  payment: PaymentFact | undefined,
): Discrepancy[] {
  const base = { stripeId: transfer.id, currency: transfer.currency };
  if (!charge?.paymentId || !payment) {
    return [
      discrepancy(date, 'transfer_unknown', transfer.id, {
        ...base,
        recordId: charge?.paymentId ?? null,
        partnerId: null,
        expected: null,
        actual: transfer.amount,
        detail: `Transfer of charge ${transfer.sourceTransaction} matches no payment of ours.`,
      }),
    ];
  }
  if (charge.applicationFee === null || charge.applicationFee === payment.fee) return [];
  return [
    discrepancy(date, 'fee_mismatch', transfer.id, {
      ...base,
      recordId: payment.paymentId,
      partnerId: payment.partnerId,
      expected: payment.fee,
      actual: charge.applicationFee,
      detail: `Payment ${payment.paymentId}: our fee is ${payment.fee}; Stripe's application fee is ${charge.applicationFee}.`,
    }),
  ];
}

export const discrepancyEvent = (d: Discrepancy, at: Date): DomainEvent =>
  domainEvent(
    'reconciliation.discrepancy',
    d.id,
    { date: d.date, kind: d.kind, stripeId: d.stripeId, detail: d.detail },
    at,
    d.partnerId,
  );

/** Transfers whose records are read concurrently. */
const COMPARE_BATCH = 25;

const emptyCounts = (): Record<DiscrepancyKind, number> =>
  Object.fromEntries(Object.keys(DISCREPANCY_KINDS).map((kind) => [kind, 0])) as Record<DiscrepancyKind, number>;

/**
 * Reconciles one day. Every discrepancy found is stored (once) with its event; the report counts what was found in
 * this run (a re-run of a day reports the same discrepancies, stored once).
 */
export async function reconcileDay(ports: ReconciliationPorts, day: string): Promise<ReconciliationReport> {
  const { date, start, end } = parseDay(day);
  const startedAt = ports.clock();
  const byKind = emptyCounts();
  const seenTransfers = new Set<string>();
  let transfersChecked = 0;
  let payoutsChecked = 0;
  const note = async (found: Discrepancy[]) => {
    for (const d of found) {
      byKind[d.kind] += 1;
      await ports.record(d, discrepancyEvent(d, ports.clock()));
    }
  };

  // Our side of each transfer, read for a batch at a time (the reads are independent; Stripe pages by 100).
  const compare = async (transfer: StripeTransferFact): Promise<Discrepancy[]> => {
    // A seller's share of a multi-seller order is compared with the order by its own checks, not here.
    if (transfer.orderId) return [];
    if (transfer.sourceTransaction) {
      const charge = await ports.charge(transfer.sourceTransaction);
      const payment = charge?.paymentId ? await ports.payment(charge.paymentId) : undefined;
      return compareChargeTransfer(date, transfer, charge, payment);
    }
    if (transfer.payoutId && transfer.partnerId) {
      return comparePayoutTransfer(date, transfer, await ports.payout(transfer.partnerId, transfer.payoutId));
    }
    return comparePayoutTransfer(date, transfer, undefined);
  };
  let batch: StripeTransferFact[] = [];
  const flush = async () => {
    for (const found of await Promise.all(batch.map(compare))) await note(found);
    batch = [];
  };
  for await (const transfer of ports.transfers(start / 1000, end / 1000)) {
    transfersChecked += 1;
    seenTransfers.add(transfer.id);
    batch.push(transfer);
    if (batch.length >= COMPARE_BATCH) await flush();
  }
  await flush();

  for await (const payout of ports.paidPayouts(start, end)) {
    payoutsChecked += 1;
    if (!payout.transferId || seenTransfers.has(payout.transferId)) continue;
    // Created on another day (around midnight; it is compared with the run of its own day), or not at all.
    if (await ports.transfer(payout.transferId)) continue;
    await note([
      discrepancy(date, 'transfer_missing', payout.payoutId, {
        stripeId: payout.transferId,
        recordId: payout.payoutId,
        partnerId: payout.partnerId,
        currency: payout.currency,
        expected: payout.amount,
        actual: null,
        detail: `Payout ${payout.payoutId} records transfer ${payout.transferId}, which Stripe does not have.`,
      }),
    ]);
  }

  const finishedAt = ports.clock();
  const report: ReconciliationReport = {
    date,
    transfersChecked,
    payoutsChecked,
    discrepancies: Object.values(byKind).reduce((sum, n) => sum + n, 0),
    byKind,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - startedAt.getTime(),
  };
  await ports.saveReport(report);
  return report;
}

const CSV_COLUMNS = [
  'date',
  'kind',
  'stripeId',
  'recordId',
  'partnerId',
  'currency',
  'expected',
  'actual',
  'detail',
] as const;

const csvCell = (value: string | number | null) => {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  const text = value;
  // Quote every cell that needs it; a leading formula character is neutralised for spreadsheets.
  const safe = /^[=+\-@]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) || safe !== text ? `"${safe.replace(/"/g, '""')}"` : safe;
};

export function discrepanciesCsv(discrepancies: readonly Discrepancy[]): string {
  const rows = discrepancies.map((d) => CSV_COLUMNS.map((column) => csvCell(d[column])).join(','));
  return `${[CSV_COLUMNS.join(','), ...rows].join('\r\n')}\r\n`;
}
