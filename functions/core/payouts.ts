import { fail } from './errors.ts';
import type { Currency } from './money.ts';
import type { PartnerStatus, PayoutPreference } from './partner.ts';
import {
  decidePayout,
  ineligibility as eligibilityBlocker,
  type HeldEntry,
  type OperatorHold,
  type PayoutRules,
  payoutIdFor,
  periodOfPayoutId,
  runIdFor,
  SKIP_REASONS,
  type SkipReason,
} from './payout-rules.ts';
import { currentPeriod, isPeriod, nextPeriod, type Period, periodBounds, periodOutOfRange } from './period.ts';

/**
 * The monthly payout run: exactly one Stripe Transfer per partner, period and currency.
 *
 * Planning writes one payout record per payable (partner, period, currency) with a conditional put — its id is
 * derived from those three, so two planners, a retry or an operator's rerun name the same record and create nothing
 * new — and attaches the exact held ledger entries it covers. Sending happens in queue workers: each payout's
 * Transfer carries an idempotency key derived from the payout id and its attempt number, and the attempt number
 * changes only after we have proven (by listing the run's transfers) that no transfer exists for the payout.
 */
export type PayoutStatus =
  | 'planned'
  | 'sending'
  | 'paid'
  | 'awaiting_funds'
  | 'carried_forward'
  | 'failed'
  | 'reversed';

export interface Payout {
  id: string;
  runId: string;
  partnerId: string;
  period: Period;
  currency: Currency;
  amount: number;
  status: PayoutStatus;
  /** The held ledger entries this payout covers (opaque references owned by the store). */
  entries: HeldEntry[];
  /** Part of the idempotency key; bumped only when no transfer can exist for the previous key. */
  attempt: number;
  stripeTransferId: string | null;
  reason: string | null;
  /** When the current attempt's key was first sent to Stripe (keys expire after 24 h). */
  attemptStartedAt: string | null;
  /** How much of the payout's transfer has been reversed and returned to the partner's balance so far. */
  reversedAmount: number;
  /**
   * How much of the reversed amount an operator kept for the platform for good (`reversal-final`): booked as a
   * negative adjustment, so it is never paid again. Absent on payouts written before this existed (0).
   */
  keptAmount?: number;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export type RunStatus = 'planning' | 'awaiting_approval' | 'sending' | 'completed';

export interface RunCounters {
  considered: number;
  queued: number;
  paid: number;
  carriedForward: number;
  awaitingFunds: number;
  failed: number;
  /** Partners not paid at planning, by reason. */
  skipped: Record<SkipReason, number>;
  /** Per currency, in minor units. */
  plannedAmount: Partial<Record<Currency, number>>;
  paidAmount: Partial<Record<Currency, number>>;
}

export interface PayoutRun {
  id: string;
  period: Period;
  requireApproval: boolean;
  approved: boolean;
  /** Held entries available at or before this instant (epoch ms) are paid. */
  cutoff: number;
  planningComplete: boolean;
  counters: RunCounters;
  startedAt: string;
  finishedAt: string | null;
  startedBy: string;
}

export function emptyCounters(): RunCounters {
  return {
    considered: 0,
    queued: 0,
    paid: 0,
    carriedForward: 0,
    awaitingFunds: 0,
    failed: 0,
    skipped: Object.fromEntries(SKIP_REASONS.map((reason) => [reason, 0])) as Record<SkipReason, number>,
    plannedAmount: {},
    paidAmount: {},
  };
}

export function runStatus(run: PayoutRun): RunStatus {
  if (!run.planningComplete) return 'planning';
  if (run.requireApproval && !run.approved) return 'awaiting_approval';
  const c = run.counters;
  return c.paid + c.carriedForward + c.failed >= c.queued ? 'completed' : 'sending';
}

/** Counter changes the store applies atomically with the write that causes them. */
export type CounterDelta = Partial<Omit<RunCounters, 'skipped' | 'plannedAmount' | 'paidAmount'>> & {
  skipped?: Partial<Record<SkipReason, number>>;
  plannedAmount?: Partial<Record<Currency, number>>;
  paidAmount?: Partial<Record<Currency, number>>;
};

export interface PartnerPayoutProfile {
  partnerId: string;
  status: PartnerStatus;
  payoutPreference: PayoutPreference;
  stripeAccountId: string | null;
  /** An operator's hold on the partner's payouts, if any (the partner cannot lift it). */
  hold: OperatorHold | null;
}

export interface PlanningPage {
  /** Partners (and currencies) that have held entries available by the cutoff, this page. */
  candidates: Array<{ partnerId: string; currency: Currency }>;
  nextCursor: string | null;
}

export interface PayoutStore {
  getRun(runId: string): Promise<PayoutRun | undefined>;
  /** Creates the run unless it exists; returns the stored run either way. */
  createRun(run: PayoutRun): Promise<{ created: boolean; run: PayoutRun }>;
  listRuns(page: { cursor?: string; limit: number }): Promise<{ runs: PayoutRun[]; nextCursor: string | null }>;
  markPlanningComplete(runId: string, at: string): Promise<void>;
  approveRun(runId: string, at: string): Promise<boolean>;
  /** Records `finishedAt` once, with the run's `payout_run.completed` event (the outbox). */
  markRunFinished(run: PayoutRun, at: string): Promise<void>;
  /** One page of (partner, currency) pairs with held entries available by `cutoff`, over every currency. */
  planningPage(cutoff: number, cursor: string | null, limit: number): Promise<PlanningPage>;
  heldEntries(partnerId: string, currency: Currency): Promise<HeldEntry[]>;
  /** Conditional put + attach + counters; `exists` when a payout with this id was already planned. */
  createPayout(payout: Payout, delta: CounterDelta): Promise<'created' | 'exists'>;
  /** Records why a partner was not paid in this run (once per partner and currency) and counts it. */
  recordSkip(
    runId: string,
    partnerId: string,
    currency: Currency,
    reason: SkipReason,
    amount: number,
    at: string,
  ): Promise<void>;
  getPayout(partnerId: string, payoutId: string): Promise<Payout | undefined>;
  /** Several payouts in one read (a worker's batch), by payout id; missing ones are absent. */
  getPayouts(refs: ReadonlyArray<{ partnerId: string; payoutId: string }>): Promise<Map<string, Payout>>;
  /** Makes sure every entry the payout lists is attached to it (a planner crash between chunks). */
  ensureAttached(payout: Payout): Promise<void>;
  /** Records that the current attempt's key is being sent (first time only). */
  markSending(payout: Payout, at: string): Promise<Payout>;
  completePayout(payout: Payout, transferId: string, at: string): Promise<'completed' | 'already'>;
  /**
   * Releases the entries back to `pending` (they carry forward) and records the reason — only if the payout is still
   * `expected` (status and attempt); false when it moved on meanwhile (then nothing was written).
   */
  carryForward(
    payout: Payout,
    reason: SkipReason,
    at: string,
    expected: PayoutExpectation,
    /** An operator's exclusion: recorded in the same write. */
    action?: OperatorAction,
  ): Promise<boolean>;
  /**
   * Keeps `plan.kept` of a reversed payout's returned money for the platform: a held negative `adjustment` and the
   * payout's `keptAmount`, conditioned on the stored `keptAmount` and `reversedAmount`, with the operator's action.
   */
  keepReversal(payout: Payout, plan: KeepReversalPlan, action: OperatorAction): Promise<boolean>;
  /** Stripe answered balance_insufficient for the `expected` attempt: the payout waits for funds. */
  awaitFunds(payout: Payout, at: string, expected: PayoutExpectation): Promise<boolean>;
  /** Stripe refused the transfer for good: the payout is failed and its entries carry forward (as carryForward). */
  failPayout(payout: Payout, message: string, at: string, expected: PayoutExpectation): Promise<boolean>;
  /** Finishes releasing the entries of a carried-forward or failed payout (a worker crash between chunks). */
  ensureReleased(payout: Payout): Promise<void>;
  /**
   * Payouts awaiting funds that began waiting before `before` (ISO time), oldest first, one page at a time. Payouts
   * that wait again after a retry wait from a later time, so a sweep bounded by its start time ends.
   */
  listAwaitingFunds(page: {
    before: string;
    cursor?: string;
    limit: number;
  }): Promise<{ payouts: Payout[]; nextCursor: string | null }>;
  listRunPayouts(
    runId: string,
    page: { status?: PayoutStatus; cursor?: string; limit: number },
  ): Promise<{ payouts: Payout[]; nextCursor: string | null }>;
  /**
   * transfer.reversed on a payout transfer, with the transfer's new cumulative reversed amount: what is new since
   * `payout.reversedAmount` returns to the partner's held, available balance. False if the payout moved meanwhile.
   */
  reversePayout(payout: Payout, amountReversed: number, reversalId: string, at: string): Promise<boolean>;
  listSkips(
    runId: string,
  ): Promise<Array<{ partnerId: string; currency: Currency; reason: SkipReason; amount: number }>>;
}

/** Who did what and why: every operator action on a partner's money is recorded and shown to operators. */
export interface OperatorAction {
  /** Deterministic where the action is idempotent (a retry writes nothing new). */
  id: string;
  partnerId: string;
  action: 'payout_hold_set' | 'payout_hold_lifted' | 'adjustment' | 'payout_excluded' | 'reversal_kept';
  by: { sub: string; email: string | null };
  reason: string;
  at: string;
  details: Record<string, string | number | null>;
}

export interface KeepReversalPlan {
  /** What is kept now: the reversed amount not kept before. */
  kept: number;
  /** The payout's new `keptAmount`. */
  keptTotal: number;
  entry: {
    id: string;
    amount: number;
    description: string;
  };
}

/** The state a transition requires the payout to still be in: nobody moved it since it was read (or sent). */
export interface PayoutExpectation {
  status: PayoutStatus;
  attempt: number;
}

export interface PartnerLookup {
  payoutProfile(partnerId: string): Promise<PartnerPayoutProfile | undefined>;
  /** Several partners in one read (a worker's batch), by partner id; missing ones are absent. */
  payoutProfiles(partnerIds: readonly string[]): Promise<Map<string, PartnerPayoutProfile>>;
}

export type TransferOutcome =
  | { kind: 'created'; transferId: string }
  | { kind: 'insufficient_funds' }
  | { kind: 'destination_unavailable'; message: string }
  | { kind: 'rate_limited' }
  /** Timeout, connection drop, 5xx: the transfer may or may not exist. */
  | { kind: 'ambiguous'; message: string }
  | { kind: 'rejected'; message: string };

export interface TransferRequest {
  payoutId: string;
  partnerId: string;
  period: Period;
  amount: number;
  currency: Currency;
  destination: string;
  transferGroup: string;
  idempotencyKey: string;
}

export interface TransferGateway {
  create(request: TransferRequest): Promise<TransferOutcome>;
  /** The transfer already sent for this payout, if any (by transfer_group and metadata.payoutId). */
  findForPayout(transferGroup: string, payoutId: string, destination: string): Promise<string | undefined>;
}

export interface PayoutQueue {
  enqueuePayouts(refs: ReadonlyArray<{ partnerId: string; payoutId: string }>): Promise<void>;
  /** One page of partners to plan (`cursor` null: the first). */
  enqueuePlanning(runId: string, cursor: string | null): Promise<void>;
  /** One page of the run's `planned` payouts to queue for sending (`cursor` null: the first). */
  enqueueRelease(runId: string, cursor: string | null): Promise<void>;
  /** The next page of a sweep of the payouts awaiting funds since before `before`. */
  enqueueRequeue(before: string, cursor: string): Promise<void>;
}

export interface PayoutMetrics {
  count(
    name: 'PayoutPaid' | 'PayoutAwaitingFunds' | 'PayoutCarriedForward' | 'PayoutAmbiguous' | 'PayoutFailed',
    value?: number,
  ): void;
}

export interface PayoutSettings {
  rules: PayoutRules;
  holdingPeriodDays: number;
  requireApproval: boolean;
  /** Stripe keeps idempotency keys at least 24 h; after this we look the transfer up before reusing the key. */
  keyTrustMs: number;
  /** Planning pages per invocation; the next page is queued so no invocation runs long. */
  planningPageSize: number;
  /** The platform's launch month: no run (or dry run) for a period before it. */
  launchMonth: Period;
}

/** A DynamoDB collision or throttling that outlived the retries: the caller should be tried again, not give up. */
const isCollision = (error: unknown): boolean =>
  error instanceof Error &&
  /TransactionConflict|Throttl|ProvisionedThroughputExceeded/.test(`${error.name} ${error.message}`);

export interface PayoutDeps {
  /** Where unexpected per-partner failures are reported (optional: tests may leave it out). */
  log?: { error(message: string, details: Record<string, unknown>): void };
  store: PayoutStore;
  partners: PartnerLookup;
  transfers: TransferGateway;
  queue: PayoutQueue;
  metrics: PayoutMetrics;
  clock: () => Date;
  settings: PayoutSettings;
}

/** Refs of one partner and currency's held entries, for the payout record. */
const idempotencyKeyOf = (payout: Pick<Payout, 'id' | 'attempt'>) => `payout-transfer:${payout.id}:${payout.attempt}`;

export function transferIdempotencyKey(payout: Pick<Payout, 'id' | 'attempt'>): string {
  return idempotencyKeyOf(payout);
}

// ---------------------------------------------------------------------------------------------------------------
// Starting and planning a run

/** Cutoff: the end of the period — only earnings available by then are paid; the rest carries forward. */
export function cutoffFor(period: Period, now: Date): number {
  return Math.min(periodBounds(period).end - 1, now.getTime());
}

/** A well-formed period within the range runs may name (see `periodOutOfRange`). */
function requireRunPeriod(deps: PayoutDeps, period: string, now: Date): asserts period is Period {
  if (!isPeriod(period)) {
    fail('invalid_period');
  }
  const out = periodOutOfRange(period, deps.settings.launchMonth, now);
  if (out) {
    const first = deps.settings.launchMonth;
    const last = nextPeriod(currentPeriod(now));
    fail('period_out_of_range', `The period ${period} is outside ${first} (the platform's launch) to ${last}.`, {
      reason: out,
      first,
      last,
    });
  }
}

export async function startRun(
  deps: PayoutDeps,
  input: { period: string; startedBy: string },
): Promise<{ run: PayoutRun; created: boolean }> {
  const now = deps.clock();
  requireRunPeriod(deps, input.period, now);
  if (periodBounds(input.period).start > now.getTime()) {
    fail('period_in_future', `The period ${input.period} has not started yet.`);
  }
  const run: PayoutRun = {
    id: runIdFor(input.period),
    period: input.period,
    requireApproval: deps.settings.requireApproval,
    approved: false,
    cutoff: cutoffFor(input.period, now),
    planningComplete: false,
    counters: emptyCounters(),
    startedAt: now.toISOString(),
    finishedAt: null,
    startedBy: input.startedBy,
  };
  const result = await deps.store.createRun(run);
  if (result.created || planningNeverStarted(result.run, now)) await deps.queue.enqueuePlanning(run.id, null);
  // Payouts that waited for funds in earlier runs get another chance with every run.
  await requeueAwaitingFunds(deps);
  return result;
}

/**
 * A run whose record was written but whose first planning page never ran: the start crashed between writing the run
 * and queueing its first page. Starting the run again queues that page once the run has been quiet for this long
 * (a first page normally runs within seconds; planning twice creates nothing, it only costs reads).
 */
export const PLANNING_STALL_MS = 5 * 60_000;

function planningNeverStarted(run: PayoutRun, now: Date): boolean {
  return (
    !run.planningComplete &&
    run.counters.considered === 0 &&
    now.getTime() - Date.parse(run.startedAt) >= PLANNING_STALL_MS
  );
}

const PLANNING_CONCURRENCY = 16;

async function forEachConcurrently<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await work(item);
      }
    }),
  );
}

/** Plans one page of partners and queues the next page, so no invocation runs long at any number of partners. */
export async function planPage(
  deps: PayoutDeps,
  runId: string,
  cursor: string | null,
  options: { redelivered?: boolean } = {},
): Promise<{ planned: number; done: boolean }> {
  const run = await deps.store.getRun(runId);
  if (!run) fail('run_not_found', `No payout run ${runId}.`);
  if (run.planningComplete) return { planned: 0, done: true };
  // A redelivered page may follow an attempt that planned payouts and crashed before queueing them. Those partners
  // no longer show up as held, so this page cannot find them again: sweep the run's planned payouts instead (page
  // by page, on the queue). A payout queued twice is sent once.
  if (options.redelivered && !run.requireApproval) await deps.queue.enqueueRelease(run.id, null);
  const page = await deps.store.planningPage(run.cutoff, cursor, deps.settings.planningPageSize);
  const toQueue: Array<{ partnerId: string; payoutId: string }> = [];
  // Partners are independent: plan several at once (each is a few small reads and one conditional write).
  // One partner's failure is recorded on that partner (skip `planning_failed`) and the page goes on: a partner
  // whose planning throws must not stall the partners after it, on this page and on every later page.
  await forEachConcurrently(page.candidates, PLANNING_CONCURRENCY, async (candidate) => {
    try {
      const outcome = await planPartner(deps, run, candidate.partnerId, candidate.currency);
      if (outcome.queue) toQueue.push({ partnerId: candidate.partnerId, payoutId: outcome.payoutId });
    } catch (error) {
      if (isCollision(error)) throw error; // a transient DynamoDB collision: the page is delivered again
      const at = deps.clock().toISOString();
      await deps.store
        .recordSkip(run.id, candidate.partnerId, candidate.currency, 'planning_failed', 0, at)
        .catch(() => undefined);
      deps.log?.error('Planning a partner failed; recorded as skipped, the page goes on', {
        runId: run.id,
        partnerId: candidate.partnerId,
        currency: candidate.currency,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  });
  if (!run.requireApproval && toQueue.length > 0) await deps.queue.enqueuePayouts(toQueue);
  if (page.nextCursor) {
    await deps.queue.enqueuePlanning(run.id, page.nextCursor);
    return { planned: toQueue.length, done: false };
  }
  await deps.store.markPlanningComplete(run.id, deps.clock().toISOString());
  await finishRunsIfDone(deps, [run.id]);
  return { planned: toQueue.length, done: true };
}

async function planPartner(
  deps: PayoutDeps,
  run: PayoutRun,
  partnerId: string,
  currency: Currency,
): Promise<{ queue: boolean; payoutId: string }> {
  const payoutId = payoutIdFor(partnerId, run.period, currency);
  // A payout already planned (a second planner, a redelivered page) holds its entries, so they no longer show up
  // as held here; the conditional put below is the guard against a planner planning at the same moment.
  const now = deps.clock().toISOString();
  const { held, decision } = await decideFor(deps, partnerId, currency, run.cutoff);
  if (held.length === 0) return { queue: false, payoutId };
  if (decision.kind === 'skip') {
    await deps.store.recordSkip(run.id, partnerId, currency, decision.reason, decision.amount, now);
    return { queue: false, payoutId };
  }
  const entries = held.filter((entry) => decision.entryIds.includes(entry.id));
  const payout: Payout = {
    id: payoutId,
    runId: run.id,
    partnerId,
    period: run.period,
    currency,
    amount: decision.amount,
    status: 'planned',
    entries,
    attempt: 0,
    stripeTransferId: null,
    reason: null,
    attemptStartedAt: null,
    reversedAmount: 0,
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
  const created = await deps.store.createPayout(payout, {
    considered: 1,
    queued: 1,
    plannedAmount: { [currency]: decision.amount },
  });
  // `exists`: a concurrent planner created it a moment ago; queueing it again is harmless (workers are idempotent).
  void created;
  return { queue: true, payoutId };
}

/** The partner's held entries and what the rules decide for them at the cutoff (the planner and the dry run). */
async function decideFor(deps: PayoutDeps, partnerId: string, currency: Currency, cutoff: number) {
  const [profile, held] = await Promise.all([
    deps.partners.payoutProfile(partnerId),
    deps.store.heldEntries(partnerId, currency),
  ]);
  const decision = decidePayout(
    {
      partnerId,
      currency,
      held,
      status: profile?.status ?? 'not_set_up',
      payoutPreference: profile?.payoutPreference ?? 'stripe',
      hold: profile?.hold ?? null,
    },
    cutoff,
    deps.settings.rules,
    deps.clock().getTime(),
  );
  return { held, decision };
}

/** Operator approval of a run that waits for it: queues every planned payout. */
export async function approveRun(deps: PayoutDeps, runId: string): Promise<PayoutRun> {
  const run = await deps.store.getRun(runId);
  if (!run) fail('run_not_found', `No payout run ${runId}.`);
  if (!run.requireApproval) fail('approval_not_required');
  if (!run.planningComplete) fail('run_still_planning');
  await deps.store.approveRun(runId, deps.clock().toISOString());
  // The workers queue the planned payouts page by page: approving a run of any size is one message.
  await deps.queue.enqueueRelease(runId, null);
  return (await deps.store.getRun(runId)) ?? run;
}

/** Planned payouts queued per release page: one query and 50 SQS batches, well within one invocation. */
export const RELEASE_PAGE_SIZE = 500;

/**
 * Queues one page of the run's `planned` payouts for sending, then the next page: approval (and the sweep after a
 * redelivered planning page) at any number of payouts, without any invocation growing with N. The payouts go on
 * the queue before the next page does, so a crash in between repeats this page (duplicates are sent once), never
 * skips one.
 */
export async function releasePage(
  deps: PayoutDeps,
  runId: string,
  cursor: string | null,
  pageSize = RELEASE_PAGE_SIZE,
): Promise<{ queued: number; done: boolean }> {
  const page = await deps.store.listRunPayouts(runId, {
    status: 'planned',
    limit: pageSize,
    ...(cursor ? { cursor } : {}),
  });
  return queuePage(deps, page, (next) => deps.queue.enqueueRelease(runId, next));
}

/** Queues a page's payouts for sending, then the message for the next page (so a crash repeats, never skips). */
async function queuePage(
  deps: PayoutDeps,
  page: { payouts: Payout[]; nextCursor: string | null },
  queueNext: (cursor: string) => Promise<void>,
): Promise<{ queued: number; done: boolean }> {
  const refs = page.payouts.map((p) => ({ partnerId: p.partnerId, payoutId: p.id }));
  if (refs.length > 0) await deps.queue.enqueuePayouts(refs);
  if (page.nextCursor) await queueNext(page.nextCursor);
  return { queued: refs.length, done: page.nextCursor === null };
}

export const REQUEUE_PAGE_SIZE = 500;

/**
 * Queues the payouts awaiting funds for another try — when funds arrive (`balance.available`) and whenever a run
 * starts — one page here and the rest page by page on the queue, however many there are. The sweep covers the
 * payouts that began waiting before it started (`before`): one that is retried and waits again waits from a later
 * time, so the sweep never chases its own tail while the balance is still short.
 */
export async function requeueAwaitingFunds(
  deps: PayoutDeps,
  sweep: { before?: string; cursor?: string | null; pageSize?: number } = {},
): Promise<{ queued: number; done: boolean }> {
  const before = sweep.before ?? deps.clock().toISOString();
  const page = await deps.store.listAwaitingFunds({
    before,
    limit: sweep.pageSize ?? REQUEUE_PAGE_SIZE,
    ...(sweep.cursor ? { cursor: sweep.cursor } : {}),
  });
  return queuePage(deps, page, (next) => deps.queue.enqueueRequeue(before, next));
}

// ---------------------------------------------------------------------------------------------------------------
// Dry run: the same decisions, nothing written

export interface DryRunResult {
  period: Period;
  cutoff: number;
  considered: number;
  payable: number;
  skipped: Record<SkipReason, number>;
  amounts: Partial<Record<Currency, number>>;
  payouts: Array<{ partnerId: string; currency: Currency; amount: number }>;
  complete: boolean;
  nextCursor: string | null;
}

export async function dryRun(
  deps: PayoutDeps,
  input: { period: string; cursor?: string | null; deadline?: number },
): Promise<DryRunResult> {
  requireRunPeriod(deps, input.period, deps.clock());
  const cutoff = cutoffFor(input.period, deps.clock());
  const result: DryRunResult = {
    period: input.period,
    cutoff,
    considered: 0,
    payable: 0,
    skipped: emptyCounters().skipped,
    amounts: {},
    payouts: [],
    complete: false,
    nextCursor: null,
  };
  let cursor = input.cursor ?? null;
  do {
    const page = await deps.store.planningPage(cutoff, cursor, deps.settings.planningPageSize);
    for (const { partnerId, currency } of page.candidates) {
      // Entries a real run already planned are attached to its payout and no longer held: nothing to count twice.
      // A partner whose decision fails is counted as `planning_failed`, as the real run records it.
      const decided = await decideFor(deps, partnerId, currency, cutoff).catch((error: unknown) => {
        if (isCollision(error)) throw error;
        return undefined;
      });
      if (!decided) {
        result.considered += 1;
        result.skipped.planning_failed += 1;
        continue;
      }
      const { held, decision } = decided;
      if (held.length === 0) continue;
      result.considered += 1;
      if (decision.kind === 'skip') {
        result.skipped[decision.reason] += 1;
      } else {
        result.payable += 1;
        result.amounts[currency] = (result.amounts[currency] ?? 0) + decision.amount;
        result.payouts.push({ partnerId, currency, amount: decision.amount });
      }
    }
    cursor = page.nextCursor;
  } while (cursor && (input.deadline === undefined || deps.clock().getTime() < input.deadline));
  result.complete = cursor === null;
  result.nextCursor = cursor;
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// Sending one payout (queue worker)

export type SendResult =
  | 'paid'
  | 'already_done'
  | 'carried_forward'
  | 'awaiting_funds'
  | 'failed'
  | 'retry_later'
  | 'not_found';

/**
 * Sends one payout's Transfer, or converges on the state it already reached. Safe to run any number of times,
 * concurrently or after a crash at any point: every path either proves the transfer exists (and records it) or
 * proves it does not (and only then uses a new key).
 */
const OPEN_STATUSES: readonly PayoutStatus[] = ['planned', 'sending', 'awaiting_funds'];

export interface SendOptions {
  /**
   * Check (and record) whether the run finished after this payout (default true). The queue worker passes false
   * and checks once per batch and run instead (`finishRunsIfDone`), after every record of the batch settled.
   */
  checkRunFinished?: boolean;
  /** The payout and its partner as read for the whole batch (`prefetchPayouts`), instead of reading them again. */
  known?: PrefetchedPayout;
}

export interface PrefetchedPayout {
  payout: Payout | undefined;
  profile: PartnerPayoutProfile | undefined;
}

/**
 * Reads a worker batch's payouts and their partners in two requests instead of two per payout. Safe to use however
 * stale they become: every write that follows is conditioned on the state it assumes.
 */
export async function prefetchPayouts(
  deps: Pick<PayoutDeps, 'store' | 'partners'>,
  refs: ReadonlyArray<{ partnerId: string; payoutId: string }>,
): Promise<Map<string, PrefetchedPayout>> {
  if (refs.length === 0) return new Map();
  const [payouts, profiles] = await Promise.all([
    deps.store.getPayouts(refs),
    deps.partners.payoutProfiles(refs.map((ref) => ref.partnerId)),
  ]);
  return new Map(
    refs.map((ref) => {
      const payout = payouts.get(ref.payoutId);
      // A payout id names its partner; a message naming another partner finds nothing, as getPayout would.
      const own = payout?.partnerId === ref.partnerId ? payout : undefined;
      return [ref.payoutId, { payout: own, profile: profiles.get(ref.partnerId) }];
    }),
  );
}

export async function sendPayout(
  deps: PayoutDeps,
  ref: { partnerId: string; payoutId: string },
  options: SendOptions = {},
): Promise<SendResult> {
  const result = await sendOne(deps, ref, options.known);
  const period = periodOfPayoutId(ref.payoutId);
  if (options.checkRunFinished !== false && period && result !== 'retry_later' && result !== 'not_found')
    await finishRunsIfDone(deps, [runIdFor(period)]);
  return result;
}

async function sendOne(
  deps: PayoutDeps,
  ref: { partnerId: string; payoutId: string },
  known: PrefetchedPayout | undefined,
): Promise<SendResult> {
  let payout = known ? known.payout : await deps.store.getPayout(ref.partnerId, ref.payoutId);
  if (!payout) return 'not_found';
  if (payout.status === 'carried_forward' || payout.status === 'failed') await deps.store.ensureReleased(payout);
  if (!OPEN_STATUSES.includes(payout.status)) return 'already_done';
  if (!(await runGateOpen(deps, payout.runId))) return 'already_done'; // queued by mistake: approval queues it

  await deps.store.ensureAttached(payout);
  const now = deps.clock();
  const transferGroup = payout.runId;
  const profile = known ? known.profile : await deps.partners.payoutProfile(payout.partnerId);
  const reason = profile ? (eligibilityBlocker(profile, now.getTime()) ?? undefined) : 'not_onboarded';

  // Not payable (any more): close it — but only a payout no transfer can exist for. `planned` was never sent;
  // `awaiting_funds` only ever got balance_insufficient for its key (earlier keys were proven unused). A `sending`
  // payout may have a transfer (a crash after Stripe accepted it, or a worker still waiting for the answer): it
  // goes on below with the same key, and Stripe's answer for that key decides (a replayed transfer is recorded as
  // paid; a restricted or disconnected account is refused, and then it carries forward).
  if ((reason || !profile?.stripeAccountId) && payout.status !== 'sending') {
    const closed = await deps.store.carryForward(payout, reason ?? 'not_onboarded', now.toISOString(), {
      status: payout.status,
      attempt: payout.attempt,
    });
    if (!closed) return 'retry_later'; // another delivery moved it meanwhile: look again later
    deps.metrics.count('PayoutCarriedForward');
    return 'carried_forward';
  }
  if (!profile?.stripeAccountId) {
    // A sending payout whose partner has no account any more: nothing safe to do automatically (DLQ, alarm).
    throw new Error(`payout ${payout.id} is sending but partner ${payout.partnerId} has no connected account`);
  }

  // A key Stripe may have forgotten (24 h) is never reused blindly: look the transfer up first.
  const keyMayHaveExpired =
    payout.attemptStartedAt !== null && now.getTime() - Date.parse(payout.attemptStartedAt) > deps.settings.keyTrustMs;
  if (payout.status === 'awaiting_funds' || keyMayHaveExpired) {
    const found = await deps.transfers.findForPayout(transferGroup, payout.id, profile.stripeAccountId);
    if (found) return recordPaid(deps, payout, found);
    // Proven: no transfer exists for any earlier key. A new key is safe (and needed: Stripe replays a cached
    // balance_insufficient error for the old one).
    payout = { ...payout, attempt: payout.attempt + 1, attemptStartedAt: null };
  }

  payout = await deps.store.markSending(payout, now.toISOString());
  // A concurrent delivery of the same message may have settled it meanwhile: then there is nothing to send.
  if (!OPEN_STATUSES.includes(payout.status)) return 'already_done';
  // Stripe's answer below is for this key: outcomes are recorded only while the payout is still sending with it.
  const sent: PayoutExpectation = { status: 'sending', attempt: payout.attempt };
  for (let tries = 0; ; tries++) {
    // The Stripe client takes the request's start time from the rate budgets as it leaves (the batch's payouts
    // that get there together reserve in one write), so no reserved time passes while the payout is being marked.
    const outcome = await deps.transfers.create({
      payoutId: payout.id,
      partnerId: payout.partnerId,
      period: payout.period,
      amount: payout.amount,
      currency: payout.currency,
      destination: profile.stripeAccountId,
      transferGroup,
      idempotencyKey: transferIdempotencyKey(payout),
    });
    switch (outcome.kind) {
      case 'created':
        return recordPaid(deps, payout, outcome.transferId);
      case 'insufficient_funds':
        if (await deps.store.awaitFunds(payout, deps.clock().toISOString(), sent))
          deps.metrics.count('PayoutAwaitingFunds');
        return 'awaiting_funds';
      case 'destination_unavailable':
        if (await deps.store.carryForward(payout, 'restricted', deps.clock().toISOString(), sent))
          deps.metrics.count('PayoutCarriedForward');
        return 'carried_forward';
      case 'rate_limited':
        // Same key: a 429 created nothing. Back off a little, then give the message back to the queue.
        if (tries < 3) {
          await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** tries + Math.random() * 250));
          continue;
        }
        return 'retry_later';
      case 'ambiguous':
        // The SDK already retried with the same key. Leave it to the queue's redelivery, again with the same key.
        deps.metrics.count('PayoutAmbiguous');
        return 'retry_later';
      case 'rejected':
        // Retrying cannot help (Stripe refused the request itself): record it, count it, carry the money forward.
        if (await deps.store.failPayout(payout, outcome.message, deps.clock().toISOString(), sent))
          deps.metrics.count('PayoutFailed');
        return 'failed';
    }
  }
}

/**
 * Whether a run's payouts may be sent: it needs no approval or has it. Both only ever become true, so an open gate
 * is remembered for the life of `deps` (a warm worker reads each run once, not once per payout).
 */
const openGates = new WeakMap<PayoutDeps['store'], Set<string>>();
async function runGateOpen(deps: PayoutDeps, runId: string): Promise<boolean> {
  const known = openGates.get(deps.store) ?? new Set<string>();
  openGates.set(deps.store, known);
  if (known.has(runId)) return true;
  const run = await deps.store.getRun(runId);
  if (!run || (run.requireApproval && !run.approved)) return false;
  known.add(runId);
  return true;
}

async function recordPaid(deps: PayoutDeps, payout: Payout, transferId: string): Promise<SendResult> {
  const result = await deps.store.completePayout(payout, transferId, deps.clock().toISOString());
  if (result === 'completed') deps.metrics.count('PayoutPaid');
  return result === 'completed' ? 'paid' : 'already_done';
}

/** Records `finishedAt` on each run whose payouts have all settled (its status comes from the counters). */
export async function finishRunsIfDone(deps: Pick<PayoutDeps, 'store' | 'clock'>, runIds: Iterable<string>) {
  for (const runId of new Set(runIds)) {
    const run = await deps.store.getRun(runId);
    if (run && !run.finishedAt && runStatus(run) === 'completed')
      await deps.store.markRunFinished(run, deps.clock().toISOString());
  }
}

/**
 * transfer.reversed for a transfer we sent: what came back becomes payable again in the next run. Stripe reports the
 * transfer's cumulative `amount_reversed`, so each event returns only what is new since the last one applied —
 * several partial reversals add up, and a late or repeated event (a smaller or equal total) changes nothing.
 */
export async function handlePayoutReversal(
  deps: Pick<PayoutDeps, 'store' | 'clock'>,
  input: { partnerId: string; payoutId: string; transferId: string; amountReversed: number; reversalId: string },
): Promise<'reversed' | 'ignored'> {
  const payout = await deps.store.getPayout(input.partnerId, input.payoutId);
  // Only the transfer we recorded for the payout: metadata alone could be copied onto another transfer.
  if (!payout || (payout.status !== 'paid' && payout.status !== 'reversed')) return 'ignored';
  if (payout.stripeTransferId !== input.transferId) return 'ignored';
  if (Math.min(input.amountReversed, payout.amount) <= payout.reversedAmount) return 'ignored'; // applied already
  return (await deps.store.reversePayout(payout, input.amountReversed, input.reversalId, deps.clock().toISOString()))
    ? 'reversed'
    : 'ignored';
}
