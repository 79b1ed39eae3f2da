import type { Clock } from './clock.ts';
import { CONNECTED_PAYOUT_OPEN, type ConnectedPayout, type ConnectedPayoutStatus } from './connected-payout.ts';
import { type DomainEvent, domainEvent } from './domain-events.ts';
import { fail } from './errors.ts';

/**
 * Reconciliation: after the fact, our records are compared with Stripe's for one UTC day, and every difference is
 * stored once, counted and announced (`reconciliation.discrepancy`). Stripe is the source of truth for what moved;
 * a discrepancy is for an operator to investigate (docs/runbooks/reconciliation.md), never corrected here.
 *
 * A day is reconciled by a run of bounded steps (`reconcileStep`), first over Stripe's transfers of the day, then
 * over our payouts recorded as paid that day:
 * - a transfer for a monthly payout (our `metadata.payoutId`) is compared with the payout record: the record must
 *   exist and name this transfer, with the same amount, currency and destination, and Stripe's reversed amount must
 *   be what our ledger holds (a reversal whose webhook was lost shows here);
 * - a seller's transfer of a multi-seller order (`metadata.orderId`) is compared with the order's record of that
 *   seller's share in the same way (transfer, amount, currency, account, reversed amount);
 * - a transfer of a destination charge (`source_transaction`) is compared with the payment: Stripe's application fee
 *   must be the payment's fee;
 * - any other transfer — made by hand in the Dashboard, or whose metadata names nothing of ours — is unknown.
 * Then the payouts we recorded as paid that day whose transfer is not among Stripe's (the run notes the payout
 * transfers it was listed) are looked up one by one: a transfer Stripe does not have at all is missing (one created
 * on another day is compared by that day's run).
 * Last, the connected accounts' bank payouts we still hold as open (pending or in transit) whose arrival date is on
 * or before the day are read at Stripe one by one, on their account: one Stripe made final without our hearing of
 * it (a lost `payout.paid`/`payout.failed`/`payout.canceled`), or whose amount or currency differ, is a mismatch;
 * one Stripe does not have on that account is missing. Stripe lists payouts per connected account only, so a payout
 * whose every event was lost (we have no record of it) is not found here.
 */
export type DiscrepancyKind =
  | 'transfer_unknown'
  | 'transfer_missing'
  | 'transfer_mismatch'
  | 'reversal_unrecorded'
  | 'fee_mismatch'
  | 'connected_payout_mismatch'
  | 'connected_payout_missing';

export const DISCREPANCY_KINDS: Readonly<Record<DiscrepancyKind, string>> = {
  transfer_unknown: 'A Stripe transfer we have no record of (made outside this backend, e.g. in the Dashboard).',
  transfer_missing: 'A payout we recorded as paid whose transfer Stripe does not have.',
  transfer_mismatch: 'A payout or seller transfer whose amount, currency or destination differs from our record.',
  reversal_unrecorded:
    'Stripe reversed more of a payout or seller transfer than our ledger holds (a reversal event was lost).',
  fee_mismatch: 'A destination charge whose application fee or transferred net differs from the payment record.',
  connected_payout_mismatch:
    "A connected account's bank payout we hold as open that Stripe has made final (an event was lost), or whose amount or currency differ.",
  connected_payout_missing:
    "A connected account's bank payout we hold as open that Stripe does not have on that account.",
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

/** A connected account's bank payout as we recorded it (from its Connect events), named by Stripe's payout id. */
export type ConnectedPayoutFact = Pick<
  ConnectedPayout,
  'partnerId' | 'accountId' | 'amount' | 'currency' | 'status' | 'arrivalDate'
> & { payoutId: string };

/** The same payout as Stripe has it on the connected account. */
export interface StripeConnectedPayoutFact {
  id: string;
  amount: number;
  currency: string;
  /** Stripe's status, as Stripe writes it (a status we do not know is a mismatch). */
  status: string;
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

/** One page of a listing: its items and the cursor of the next page (null: this was the last). */
export interface FactPage<T> {
  items: T[];
  next: string | null;
}

export interface ReconciliationPorts {
  /** Up to `limit` transfers Stripe created in [start, end) (epoch seconds), with reversals' totals; one list call. */
  transferPage(start: number, end: number, cursor: string | null, limit: number): Promise<FactPage<StripeTransferFact>>;
  /** One transfer by id; undefined when Stripe has none. */
  transfer(transferId: string): Promise<StripeTransferFact | undefined>;
  charge(chargeId: string): Promise<ChargeFact | undefined>;
  payout(partnerId: string, payoutId: string): Promise<PayoutFact | undefined>;
  /** A seller's share of a multi-seller order as we recorded it; undefined when there is no such order or seller. */
  sellerTransfer(orderId: string, partnerId: string): Promise<SellerTransferFact | undefined>;
  payment(paymentId: string): Promise<PaymentFact | undefined>;
  /** Up to `limit` payouts we recorded as paid (their transfer created) in [start, end) (epoch ms). */
  paidPayoutPage(start: number, end: number, cursor: string | null, limit: number): Promise<FactPage<PayoutFact>>;
  /**
   * Up to `limit` connected payouts we hold as open (pending or in transit) whose arrival date is on or before
   * `through` (a UTC day), from the sparse work index of open payouts.
   */
  openConnectedPayoutPage(
    through: string,
    cursor: string | null,
    limit: number,
  ): Promise<FactPage<ConnectedPayoutFact>>;
  /**
   * A connected account's payout by id, read on that account; undefined when Stripe has none there,
   * `account_unreachable` when Stripe refuses to read the account (no longer connected to the platform).
   */
  connectedPayout(
    accountId: string,
    payoutId: string,
  ): Promise<StripeConnectedPayoutFact | 'account_unreachable' | undefined>;
  /** Notes, for this run, the payout transfers Stripe listed for the day. */
  markListed(runId: string, transferIds: readonly string[]): Promise<void>;
  /** Which of these transfers this run found in Stripe's listing of the day. */
  listed(runId: string, transferIds: readonly string[]): Promise<Set<string>>;
  /** Stores the discrepancy with its event unless already stored; true when it was new. */
  record(discrepancy: Discrepancy, event: DomainEvent): Promise<boolean>;
  /** Creates the run (with zero counts) unless it exists; true when it was created. */
  beginRun(run: ReconciliationRunStart): Promise<boolean>;
  /** Adds one page's counts to the run, once per page key (a redelivered page adds nothing); true the first time. */
  countPage(runId: string, date: string, pageKey: string, counts: PageCounts): Promise<boolean>;
  /** Marks the run finished (the first finish time is kept) and returns its counts. */
  finishRun(runId: string, date: string, finishedAt: string): Promise<ReconciliationReport>;
  saveReport(report: ReconciliationReport): Promise<void>;
  clock: Clock;
}

export interface ReconciliationRunStart {
  runId: string;
  date: string;
  startedAt: string;
}

/** What one page adds to its run's counts. */
export interface PageCounts {
  transfersChecked: number;
  payoutsChecked: number;
  connectedPayoutsChecked: number;
  byKind: Record<DiscrepancyKind, number>;
}

export interface ReconciliationReport {
  date: string;
  /** The run that wrote this report (the day's latest finished run). */
  runId: string;
  transfersChecked: number;
  payoutsChecked: number;
  /** Open connected payouts read at Stripe (0 in reports written before this phase existed). */
  connectedPayoutsChecked: number;
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

/** What we recorded for a seller's transfer of a multi-seller order (separate charges and transfers). */
export interface SellerTransferFact {
  orderId: string;
  partnerId: string;
  currency: string;
  /** The seller's connected account. */
  destination: string;
  transferId: string | null;
  /** The amount sent (or fixed to be sent); null when none is fixed yet. */
  amount: number | null;
  /** What refunds and lost disputes have reversed of it, in our records. */
  reversedAmount: number;
}

/** The differences between one Stripe payout transfer and our payout record (none when they agree). */
export function comparePayoutTransfer(
  date: string,
  transfer: StripeTransferFact,
  payout: PayoutFact | undefined,
): Discrepancy[] {
  return compareRecordedTransfer(
    date,
    transfer,
    payout && { ...payout, recordId: payout.payoutId },
    transfer.payoutId ? `payout ${transfer.payoutId}` : null,
  );
}

/** The differences between a seller's Stripe transfer and the order's record of that seller's share. */
export function compareSellerTransfer(
  date: string,
  transfer: StripeTransferFact,
  seller: SellerTransferFact | undefined,
): Discrepancy[] {
  return compareRecordedTransfer(
    date,
    transfer,
    seller && { ...seller, recordId: seller.orderId, amount: seller.amount ?? 0 },
    `order ${transfer.orderId}'s seller ${transfer.partnerId ?? 'none'}`,
  );
}

/** Our record of a transfer, payout or seller share alike: a payout's fields, named by its record's id. */
type RecordedTransfer = Omit<PayoutFact, 'payoutId'> & { recordId: string };

function compareRecordedTransfer(
  date: string,
  transfer: StripeTransferFact,
  record: RecordedTransfer | undefined,
  /** What the transfer's metadata names (null: nothing of ours). */
  subject: string | null,
): Discrepancy[] {
  const base = { stripeId: transfer.id, partnerId: transfer.partnerId, currency: transfer.currency };
  if (!record || record.transferId !== transfer.id) {
    return [
      discrepancy(date, 'transfer_unknown', transfer.id, {
        ...base,
        recordId: record?.recordId ?? null,
        expected: null,
        actual: transfer.amount,
        detail:
          subject === null
            ? 'The transfer names nothing of ours (made outside this backend, e.g. in the Dashboard).'
            : record
              ? `Transfer names ${subject}, which records transfer ${record.transferId ?? 'none'}.`
              : `Transfer names ${subject}, which we have no record of.`,
      }),
    ];
  }
  const found: Discrepancy[] = [];
  const differences = [
    record.amount !== transfer.amount ? `amount ${record.amount} ≠ ${transfer.amount}` : null,
    record.currency !== transfer.currency ? `currency ${record.currency} ≠ ${transfer.currency}` : null,
    record.destination !== null && record.destination !== transfer.destination
      ? `destination ${record.destination} ≠ ${transfer.destination}`
      : null,
  ].filter((d): d is string => d !== null);
  const fields = { ...base, recordId: record.recordId, partnerId: record.partnerId };
  if (differences.length > 0) {
    found.push(
      discrepancy(date, 'transfer_mismatch', transfer.id, {
        ...fields,
        expected: record.amount,
        actual: transfer.amount,
        detail: `Our record of ${subject ?? 'the transfer'} and Stripe's transfer differ: ${differences.join('; ')}.`,
      }),
    );
  }
  if (transfer.amountReversed > record.reversedAmount) {
    found.push(
      discrepancy(date, 'reversal_unrecorded', transfer.id, {
        ...fields,
        expected: record.reversedAmount,
        actual: transfer.amountReversed,
        detail: `Stripe reversed ${transfer.amountReversed} of the transfer; our ledger has ${record.reversedAmount}.`,
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

const isOpenStatus = (status: string): boolean =>
  Object.hasOwn(CONNECTED_PAYOUT_OPEN, status) && CONNECTED_PAYOUT_OPEN[status as ConnectedPayoutStatus];

/**
 * The differences between an open connected payout of ours and Stripe's (none when they agree). Pending and in
 * transit count as the same status: both are open, a step on the way rather than an outcome the partner must hear
 * of. A payout Stripe made final (paid, failed, canceled) while we hold it open means its event never reached us:
 * the partner was not told.
 */
export function compareConnectedPayout(
  date: string,
  ours: ConnectedPayoutFact,
  stripe: StripeConnectedPayoutFact | 'account_unreachable' | undefined,
): Discrepancy[] {
  const fields = {
    stripeId: ours.payoutId,
    recordId: ours.payoutId,
    partnerId: ours.partnerId,
    currency: ours.currency,
    expected: ours.amount,
  };
  if (stripe === undefined || stripe === 'account_unreachable') {
    return [
      discrepancy(date, 'connected_payout_missing', ours.payoutId, {
        ...fields,
        actual: null,
        detail:
          stripe === undefined
            ? `We hold payout ${ours.payoutId} of account ${ours.accountId} as ${ours.status}; Stripe has no such payout on that account.`
            : `We hold payout ${ours.payoutId} of account ${ours.accountId} as ${ours.status}; Stripe refuses to read that account (no longer connected?).`,
      }),
    ];
  }
  const sameStatus = stripe.status === ours.status || (isOpenStatus(stripe.status) && isOpenStatus(ours.status));
  const differences = [
    sameStatus ? null : `status ${ours.status} ≠ ${stripe.status}`,
    ours.amount !== stripe.amount ? `amount ${ours.amount} ≠ ${stripe.amount}` : null,
    ours.currency !== stripe.currency ? `currency ${ours.currency} ≠ ${stripe.currency}` : null,
  ].filter((d): d is string => d !== null);
  if (differences.length === 0) return [];
  return [
    discrepancy(date, 'connected_payout_mismatch', ours.payoutId, {
      ...fields,
      actual: stripe.amount,
      detail: `Our record of payout ${ours.payoutId} of account ${ours.accountId} and Stripe's differ: ${differences.join('; ')}.`,
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

/** Items per step: one Stripe list page (Stripe's maximum is 100), or as many of our payout records (or Stripe reads). */
export const RECONCILIATION_PAGE_SIZE = 100;

export const emptyCounts = (): Record<DiscrepancyKind, number> =>
  Object.fromEntries(Object.keys(DISCREPANCY_KINDS).map((kind) => [kind, 0])) as Record<DiscrepancyKind, number>;

/** The phases of a run, in order. */
export const RECONCILIATION_PHASES = ['transfers', 'payouts', 'connected-payouts'] as const;
export type ReconciliationPhase = (typeof RECONCILIATION_PHASES)[number];

/** The phase after each (null: the run is finished). */
const NEXT_PHASE: Readonly<Record<ReconciliationPhase, ReconciliationPhase | null>> = {
  transfers: 'payouts',
  payouts: 'connected-payouts',
  'connected-payouts': null,
};

/**
 * One bounded step of a day's reconciliation run: one page of Stripe's transfers of the day (`transfers`), then one
 * page of the payouts we recorded as paid that day (`payouts`), then one page of the connected accounts' bank
 * payouts we hold as open that should have arrived by the day (`connected-payouts`). Each step reads at most
 * `pageSize` items and names the next, so a day of any size is a chain of short invocations (the reconciliation
 * queue), never one long one.
 */
export interface ReconciliationStep {
  runId: string;
  date: string;
  phase: ReconciliationPhase;
  /** The page's number within its phase: with the run, it keys the page's counts (a redelivery counts once). */
  page: number;
  cursor: string | null;
  pageSize: number;
}

const RUN_ID = /^[A-Za-z0-9_.:-]{1,100}$/;

/** The first step of a run of `day` (400 `invalid_date` for a day that is not one). */
export function firstStep(runId: string, day: string, pageSize = RECONCILIATION_PAGE_SIZE): ReconciliationStep {
  const { date } = parseDay(day);
  if (!RUN_ID.test(runId)) fail('bad_request', 'A reconciliation run id is 1–100 letters, digits or _.:-');
  const size = Number.isInteger(pageSize)
    ? Math.min(Math.max(pageSize, 1), RECONCILIATION_PAGE_SIZE)
    : RECONCILIATION_PAGE_SIZE;
  return { runId, date, phase: 'transfers', page: 0, cursor: null, pageSize: size };
}

/** Starts a run: records it (once: starting the same run again changes nothing) and returns its first step. */
export async function startReconciliation(
  ports: ReconciliationPorts,
  step: ReconciliationStep,
): Promise<{ created: boolean; step: ReconciliationStep }> {
  const created = await ports.beginRun({
    runId: step.runId,
    date: step.date,
    startedAt: ports.clock.now().toISOString(),
  });
  return { created, step };
}

export type StepOutcome = { next: ReconciliationStep; report?: never } | { next: null; report: ReconciliationReport };

/**
 * Runs one step and returns the next, or, after the last, the run's report (saved as the day's). Every write of a step is
 * idempotent — discrepancies are stored once per day, the listed transfers are a set, the counts are added once per
 * page — so a step delivered twice, or again after a crash, leaves the same records and report.
 */
export async function reconcileStep(ports: ReconciliationPorts, step: ReconciliationStep): Promise<StepOutcome> {
  const { date, start, end } = parseDay(step.date);
  const counts: PageCounts = {
    transfersChecked: 0,
    payoutsChecked: 0,
    connectedPayoutsChecked: 0,
    byKind: emptyCounts(),
  };
  const note = async (found: readonly Discrepancy[]) => {
    for (const d of found) {
      counts.byKind[d.kind] += 1;
      await ports.record(d, discrepancyEvent(d, ports.clock.now()));
    }
  };
  const work: PageWork = { ports, step, date, start, end, counts, note };
  const next = await PAGE[step.phase](work);
  await ports.countPage(step.runId, date, `${step.phase}#${step.page}`, counts);
  if (next !== null) return { next: { ...step, page: step.page + 1, cursor: next } };
  const phase = NEXT_PHASE[step.phase];
  if (phase !== null) return { next: { ...step, phase, page: 0, cursor: null } };
  const report = await ports.finishRun(step.runId, date, ports.clock.now().toISOString());
  await ports.saveReport(report);
  return { next: null, report };
}

/** What a step's page works with: the day (`start`/`end` in epoch ms), the counts it adds to, and `note`. */
interface PageWork {
  ports: ReconciliationPorts;
  step: ReconciliationStep;
  date: string;
  start: number;
  end: number;
  counts: PageCounts;
  /** Stores what was found (once) and counts it. */
  note: (found: readonly Discrepancy[]) => Promise<void>;
}

/** Compares items `COMPARE_BATCH` at a time (their reads are independent) and notes what each comparison found. */
async function compareInBatches<T>(
  items: readonly T[],
  compare: (item: T) => Promise<Discrepancy[]>,
  note: PageWork['note'],
): Promise<void> {
  for (let i = 0; i < items.length; i += COMPARE_BATCH) {
    for (const found of await Promise.all(items.slice(i, i + COMPARE_BATCH).map(compare))) await note(found);
  }
}

/** One page of Stripe's transfers, each compared with our record of it; the payout transfers are noted as listed. */
async function transfersPage({ ports, step, date, start, end, counts, note }: PageWork): Promise<string | null> {
  const page = await ports.transferPage(start / 1000, end / 1000, step.cursor, step.pageSize);
  counts.transfersChecked = page.items.length;
  const compare = async (transfer: StripeTransferFact): Promise<Discrepancy[]> => {
    if (transfer.orderId) {
      const seller = transfer.partnerId ? await ports.sellerTransfer(transfer.orderId, transfer.partnerId) : undefined;
      return compareSellerTransfer(date, transfer, seller);
    }
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
  // Our side of each transfer, read a batch at a time (the reads are independent).
  await compareInBatches(page.items, compare, note);
  const payoutTransfers = page.items.filter((t) => t.payoutId !== null).map((t) => t.id);
  if (payoutTransfers.length > 0) await ports.markListed(step.runId, payoutTransfers);
  return page.next;
}

/**
 * One page of the payouts we recorded as paid that day: a payout whose transfer Stripe did not list for the day is
 * looked up by id — created on another day (around midnight; compared by that day's run), or missing.
 */
async function payoutsPage({ ports, step, date, start, end, counts, note }: PageWork): Promise<string | null> {
  const page = await ports.paidPayoutPage(start, end, step.cursor, step.pageSize);
  counts.payoutsChecked = page.items.length;
  const withTransfer = page.items.filter((payout) => payout.transferId !== null);
  const listed = await ports.listed(
    step.runId,
    withTransfer.map((payout) => payout.transferId as string),
  );
  for (const payout of withTransfer) {
    const transferId = payout.transferId as string;
    if (listed.has(transferId) || (await ports.transfer(transferId))) continue;
    await note([
      discrepancy(date, 'transfer_missing', payout.payoutId, {
        stripeId: transferId,
        recordId: payout.payoutId,
        partnerId: payout.partnerId,
        currency: payout.currency,
        expected: payout.amount,
        actual: null,
        detail: `Payout ${payout.payoutId} records transfer ${transferId}, which Stripe does not have.`,
      }),
    ]);
  }
  return page.next;
}

/**
 * One page of the connected payouts we hold as open whose arrival date is on or before the day, each read at Stripe
 * on its account and compared (a batch at a time; the reads are independent).
 */
async function connectedPayoutsPage({ ports, step, date, counts, note }: PageWork): Promise<string | null> {
  const page = await ports.openConnectedPayoutPage(date, step.cursor, step.pageSize);
  counts.connectedPayoutsChecked = page.items.length;
  const compare = async (ours: ConnectedPayoutFact) =>
    compareConnectedPayout(date, ours, await ports.connectedPayout(ours.accountId, ours.payoutId));
  await compareInBatches(page.items, compare, note);
  return page.next;
}

/** Each phase's page. */
const PAGE: Readonly<Record<ReconciliationPhase, (work: PageWork) => Promise<string | null>>> = {
  transfers: transfersPage,
  payouts: payoutsPage,
  'connected-payouts': connectedPayoutsPage,
};

/**
 * Reconciles one day in this process, step after step (the local CLI, tests and the benchmark; deployed, each step
 * is one invocation on the reconciliation queue). Every discrepancy found is stored (once) with its event; the
 * report counts what this run found (a re-run of a day reports the same discrepancies, stored once).
 */
export async function reconcileDay(
  ports: ReconciliationPorts,
  day: string,
  runId: string,
  pageSize?: number,
): Promise<ReconciliationReport> {
  let { step } = await startReconciliation(ports, firstStep(runId, day, pageSize));
  for (;;) {
    const outcome = await reconcileStep(ports, step);
    if (outcome.next === null) return outcome.report;
    step = outcome.next;
  }
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
