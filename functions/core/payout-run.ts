import { fail } from './errors.ts';
import type { Currency } from './money.ts';
import { emptyCounters, type Payout, type PayoutRun, runStatus } from './payout-model.ts';
import type {
  PayoutDeps,
  PayoutDepsWith,
  PayoutPlanningStore,
  PayoutRecordReader,
  PayoutRunStore,
  PayoutSendStore,
} from './payout-ports.ts';
import { decidePayout, payoutIdFor, runIdFor } from './payout-rules.ts';
import { planPayout } from './payout-transitions.ts';
import { currentPeriod, isPeriod, nextPeriod, type Period, periodBounds, periodOutOfRange } from './period.ts';

/**
 * Starting and planning the monthly payout run, approving it and queueing its payouts for the workers.
 *
 * Planning writes one payout record per payable (partner, period, currency) with a conditional put — its id is
 * derived from those three, so two planners, a retry or an operator's rerun name the same record and create nothing
 * new — and attaches the exact held ledger entries it covers. Sending happens in queue workers (`payout-send.ts`).
 */

/** A DynamoDB collision or throttling that outlived the retries: the caller should be tried again, not give up. */
export const isCollision = (error: unknown): boolean =>
  error instanceof Error &&
  /TransactionConflict|Throttl|ProvisionedThroughputExceeded/.test(`${error.name} ${error.message}`);

type StartDeps = PayoutDepsWith<PayoutRunStore & PayoutRecordReader, 'queue' | 'clock' | 'settings'>;
type PlanDeps = PayoutDepsWith<
  PayoutRunStore &
    PayoutPlanningStore &
    Pick<PayoutRecordReader, 'getPayout'> &
    Pick<PayoutSendStore, 'ensureAttached'>,
  'queue' | 'clock' | 'settings' | 'partners' | 'log'
>;
/** What deciding a partner's payout reads: the partner and its held entries. */
export type DecideDeps = PayoutDepsWith<Pick<PayoutPlanningStore, 'heldEntries'>, 'partners' | 'clock' | 'settings'>;

/** Cutoff: the end of the period — only earnings available by then are paid; the rest carries forward. */
export function cutoffFor(period: Period, now: Date): number {
  return Math.min(periodBounds(period).end - 1, now.getTime());
}

/** A well-formed period within the range runs may name (see `periodOutOfRange`). */
export function requireRunPeriod(
  deps: Pick<PayoutDeps, 'settings'>,
  period: string,
  now: Date,
): asserts period is Period {
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
  deps: StartDeps,
  /** `requireApproval`: this run waits for an operator's approval even where the stage does not require it. */
  input: { period: string; startedBy: string; requireApproval?: boolean },
): Promise<{ run: PayoutRun; created: boolean }> {
  const now = deps.clock.now();
  requireRunPeriod(deps, input.period, now);
  if (periodBounds(input.period).start > now.getTime()) {
    fail('period_in_future', `The period ${input.period} has not started yet.`);
  }
  const run: PayoutRun = {
    id: runIdFor(input.period),
    period: input.period,
    requireApproval: deps.settings.requireApproval || input.requireApproval === true,
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
  deps: PlanDeps,
  runId: string,
  cursor: string | null,
  options: { redelivered?: boolean } = {},
): Promise<{ planned: number; done: boolean }> {
  const run = await deps.store.getRun(runId);
  if (!run) fail('run_not_found', `No payout run ${runId}.`);
  if (run.planningComplete) {
    // A redelivery after a crash between marking planning complete and the check below: check it now (a run
    // with nothing to send is finished by nobody else).
    await finishRunsIfDone(deps, [run.id]);
    return { planned: 0, done: true };
  }
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
      const at = deps.clock.now().toISOString();
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
  await deps.store.markPlanningComplete(run.id, deps.clock.now().toISOString());
  await finishRunsIfDone(deps, [run.id]);
  return { planned: toQueue.length, done: true };
}

async function planPartner(
  deps: PlanDeps,
  run: PayoutRun,
  partnerId: string,
  currency: Currency,
): Promise<{ queue: boolean; payoutId: string }> {
  const payoutId = payoutIdFor(partnerId, run.period, currency);
  // A payout already planned (a second planner, a redelivered page) holds its entries, so they no longer show up
  // as held here; the conditional put below is the guard against a planner planning at the same moment.
  const now = deps.clock.now().toISOString();
  const { held, decision } = await decideFor(deps, partnerId, currency, run.cutoff);
  if (held.length === 0) return { queue: false, payoutId };
  if (decision.kind === 'skip') {
    await deps.store.recordSkip(run.id, partnerId, currency, decision.reason, decision.amount, now);
    return { queue: false, payoutId };
  }
  const { payout, counters } = planPayout(run, partnerId, currency, decision, held, now);
  const created = await deps.store.createPayout(payout, counters);
  // `exists`: a concurrent planner created it a moment ago; queueing it again is harmless (workers are idempotent).
  // That planner may have crashed between the chunks of the payout's entries, leaving the rest held — and held
  // entries would be planned again by the next run while this payout pays them too: attach them now.
  if (created === 'exists') {
    const stored = await deps.store.getPayout(partnerId, payoutId);
    if (stored) await deps.store.ensureAttached(stored);
  }
  return { queue: true, payoutId };
}

/** The partner's held entries and what the rules decide for them at the cutoff (the planner and the dry run). */
export async function decideFor(deps: DecideDeps, partnerId: string, currency: Currency, cutoff: number) {
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
    deps.clock.now().getTime(),
  );
  return { held, decision };
}

/** Operator approval of a run that waits for it: queues every planned payout. */
export async function approveRun(
  deps: PayoutDepsWith<PayoutRunStore, 'queue' | 'clock'>,
  runId: string,
): Promise<PayoutRun> {
  const run = await deps.store.getRun(runId);
  if (!run) fail('run_not_found', `No payout run ${runId}.`);
  if (!run.requireApproval) fail('approval_not_required');
  if (!run.planningComplete) fail('run_still_planning');
  await deps.store.approveRun(runId, deps.clock.now().toISOString());
  // The workers queue the planned payouts page by page: approving a run of any size is one message.
  await deps.queue.enqueueRelease(runId, null);
  // A run with nothing to send (every partner skipped, or every payout closed before approval) is complete now:
  // no worker will settle one of its payouts and record it.
  await finishRunsIfDone(deps, [runId]);
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
  deps: PayoutDepsWith<PayoutRecordReader, 'queue'>,
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
  deps: Pick<PayoutDeps, 'queue'>,
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
  deps: PayoutDepsWith<PayoutRecordReader, 'queue' | 'clock'>,
  sweep: { before?: string; cursor?: string | null; pageSize?: number } = {},
): Promise<{ queued: number; done: boolean }> {
  const before = sweep.before ?? deps.clock.now().toISOString();
  const page = await deps.store.listAwaitingFunds({
    before,
    limit: sweep.pageSize ?? REQUEUE_PAGE_SIZE,
    ...(sweep.cursor ? { cursor: sweep.cursor } : {}),
  });
  return queuePage(deps, page, (next) => deps.queue.enqueueRequeue(before, next));
}

/** Records `finishedAt` on each run whose payouts have all settled (its status comes from the counters). */
export async function finishRunsIfDone(
  deps: PayoutDepsWith<Pick<PayoutRunStore, 'getRun' | 'markRunFinished'>, 'clock'>,
  runIds: Iterable<string>,
) {
  for (const runId of new Set(runIds)) {
    const run = await deps.store.getRun(runId);
    if (run && !run.finishedAt && runStatus(run) === 'completed')
      await deps.store.markRunFinished(run, deps.clock.now().toISOString());
  }
}
