import type { Currency } from './money.ts';
import type { PartnerStatus, PayoutPreference } from './partner.ts';
import { type HeldEntry, type OperatorHold, SKIP_REASONS, type SkipReason } from './payout-rules.ts';
import type { Period } from './period.ts';

/**
 * A payout (`Payout`) is the platform's monthly Stripe Transfer to one partner for one period and currency — not
 * Stripe's bank payout from the partner's connected account to their bank (`ConnectedPayout`), and not the payout
 * state of a ledger entry (`EntryPayoutState`). The monthly payout run sends exactly one Transfer per partner,
 * period and currency.
 *
 * Planning writes one payout record per payable (partner, period, currency) with a conditional put — its id is
 * derived from those three, so two planners, a retry or an operator's rerun name the same record and create nothing
 * new — and attaches the exact held ledger entries it covers. Sending happens in queue workers: each payout's
 * Transfer carries an idempotency key derived from the payout id and its attempt number, and the attempt number
 * changes only after we have proven (by listing the run's transfers) that no transfer exists for the payout.
 */
/** Where a payout is in its life (`payout-transitions.ts` lists every move between them). */
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

/** The statuses a payout can still leave for paid, carried forward or failed (no transfer is recorded yet). */
export const OPEN_PAYOUT_STATUSES: readonly PayoutStatus[] = ['planned', 'sending', 'awaiting_funds'];

export const isOpenPayout = (status: PayoutStatus): boolean => OPEN_PAYOUT_STATUSES.includes(status);

/** The Transfer's idempotency key: the payout id and its attempt number. */
export function transferIdempotencyKey(payout: Pick<Payout, 'id' | 'attempt'>): string {
  return `payout-transfer:${payout.id}:${payout.attempt}`;
}
