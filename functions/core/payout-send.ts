import {
  isOpenPayout,
  type PartnerPayoutProfile,
  type Payout,
  type PayoutExpectation,
  transferIdempotencyKey,
} from './payout-model.ts';
import {
  type PayoutDepsWith,
  type PayoutRecordReader,
  type PayoutRunStore,
  type PayoutSendStore,
  systemTiming,
} from './payout-ports.ts';
import { ineligibility, periodOfPayoutId, runIdFor } from './payout-rules.ts';
import { finishRunsIfDone } from './payout-run.ts';
import { transferOutcomeStep } from './payout-transitions.ts';

/**
 * Sending one payout's Transfer (the queue worker). Each payout's Transfer carries an idempotency key derived from
 * the payout id and its attempt number, and the attempt number changes only after we have proven (by listing the
 * run's transfers) that no transfer exists for the payout.
 */

/** How long to wait before the next try after the `tries`-th 429 (`jitter` in [0, 1)): 250 ms doubling, plus jitter. */
export const rateLimitBackoffMs = (tries: number, jitter: number): number => 250 * 2 ** tries + jitter * 250;

type SendDeps = PayoutDepsWith<
  PayoutRecordReader & PayoutSendStore & Pick<PayoutRunStore, 'getRun' | 'markRunFinished'>,
  'partners' | 'transfers' | 'metrics' | 'clock' | 'timing' | 'settings'
>;

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
  deps: PayoutDepsWith<Pick<PayoutRecordReader, 'getPayouts'>, 'partners'>,
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
  deps: SendDeps,
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
  deps: SendDeps,
  ref: { partnerId: string; payoutId: string },
  known: PrefetchedPayout | undefined,
): Promise<SendResult> {
  let payout = known ? known.payout : await deps.store.getPayout(ref.partnerId, ref.payoutId);
  if (!payout) return 'not_found';
  if (payout.status === 'carried_forward' || payout.status === 'failed') await deps.store.ensureReleased(payout);
  if (!isOpenPayout(payout.status)) return 'already_done';
  if (!(await runGateOpen(deps, payout.runId))) return 'already_done'; // queued by mistake: approval queues it

  // Every entry the payout pays must be its own. One another payout took (a later run planned it while this
  // payout's planner had crashed between chunks) would be paid twice: such a payout is never sent, it is closed and
  // its own entries carry forward. (A sending payout had all of them when it was first sent.)
  const complete = await deps.store.ensureAttached(payout);
  const now = deps.clock.now();
  const transferGroup = payout.runId;
  const profile = known ? known.profile : await deps.partners.payoutProfile(payout.partnerId);
  const reason = complete ? (ineligibility(profile, now.getTime()) ?? undefined) : 'planning_failed';

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
  if (!isOpenPayout(payout.status)) return 'already_done';
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
    const step = transferOutcomeStep(outcome, tries);
    switch (step.kind) {
      case 'complete':
        return recordPaid(deps, payout, step.transferId);
      case 'await_funds':
        if (await deps.store.awaitFunds(payout, deps.clock.now().toISOString(), sent))
          deps.metrics.count('PayoutAwaitingFunds');
        return 'awaiting_funds';
      case 'carry_forward':
        if (await deps.store.carryForward(payout, step.reason, deps.clock.now().toISOString(), sent))
          deps.metrics.count('PayoutCarriedForward');
        return 'carried_forward';
      case 'back_off': {
        const timing = deps.timing ?? systemTiming;
        await timing.sleep(rateLimitBackoffMs(tries, timing.random()));
        continue;
      }
      case 'retry_later':
        if (step.ambiguous) deps.metrics.count('PayoutAmbiguous');
        return 'retry_later';
      case 'fail':
        // Record it, count it, carry the money forward.
        if (await deps.store.failPayout(payout, step.message, deps.clock.now().toISOString(), sent))
          deps.metrics.count('PayoutFailed');
        return 'failed';
    }
  }
}

/**
 * Whether a run's payouts may be sent: it needs no approval or has it. Both only ever become true, so an open gate
 * is remembered for the life of `deps` (a warm worker reads each run once, not once per payout).
 */
const openGates = new WeakMap<SendDeps['store'], Set<string>>();
async function runGateOpen(deps: SendDeps, runId: string): Promise<boolean> {
  const known = openGates.get(deps.store) ?? new Set<string>();
  openGates.set(deps.store, known);
  if (known.has(runId)) return true;
  const run = await deps.store.getRun(runId);
  if (!run || (run.requireApproval && !run.approved)) return false;
  known.add(runId);
  return true;
}

async function recordPaid(deps: SendDeps, payout: Payout, transferId: string): Promise<SendResult> {
  const result = await deps.store.completePayout(payout, transferId, deps.clock.now().toISOString());
  if (result === 'completed') deps.metrics.count('PayoutPaid');
  return result === 'completed' ? 'paid' : 'already_done';
}
