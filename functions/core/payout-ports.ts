import type { Clock } from './clock.ts';
import type { Currency } from './money.ts';
import type {
  CounterDelta,
  KeepReversalPlan,
  OperatorAction,
  PartnerPayoutProfile,
  Payout,
  PayoutExpectation,
  PayoutRun,
  PayoutStatus,
  PlanningPage,
} from './payout-model.ts';
import type { HeldEntry, PayoutRules, SkipReason } from './payout-rules.ts';
import type { Period } from './period.ts';

/**
 * The ports of the monthly payout run, by responsibility: each use case takes only the stores it uses. Every write
 * is conditional on the state the caller read, and what it writes (ledger entries, transitions, counters, events)
 * is decided by the pure plans of `payout-transitions.ts`; a store only maps them to its own keys and conditions.
 */

/** The run record of one period: created once, planned, approved, finished. */
export interface PayoutRunStore {
  getRun(runId: string): Promise<PayoutRun | undefined>;
  /** Creates the run unless it exists; returns the stored run either way. */
  createRun(run: PayoutRun): Promise<{ created: boolean; run: PayoutRun }>;
  listRuns(page: { cursor?: string; limit: number }): Promise<{ runs: PayoutRun[]; nextCursor: string | null }>;
  markPlanningComplete(runId: string, at: string): Promise<void>;
  approveRun(runId: string, at: string): Promise<boolean>;
  /** Records `finishedAt` once, with the run's `payout_run.completed` event (the outbox). */
  markRunFinished(run: PayoutRun, at: string): Promise<void>;
}

/** What planning reads (held entries, page by page) and writes (new payouts, skips). */
export interface PayoutPlanningStore {
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
  listSkips(
    runId: string,
  ): Promise<Array<{ partnerId: string; currency: Currency; reason: SkipReason; amount: number }>>;
}

/** Payout records, by id and by index. */
export interface PayoutRecordReader {
  getPayout(partnerId: string, payoutId: string): Promise<Payout | undefined>;
  /** Several payouts in one read (a worker's batch), by payout id; missing ones are absent. */
  getPayouts(refs: ReadonlyArray<{ partnerId: string; payoutId: string }>): Promise<Map<string, Payout>>;
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
}

/** The sender's transitions of one open payout (the worker), each conditional on the state it was read in. */
export interface PayoutSendStore {
  /**
   * Makes sure every entry the payout lists is attached to it (a planner crash between chunks): false when one is
   * held by another payout, or paid (the payout cannot be paid as planned).
   */
  ensureAttached(payout: Payout): Promise<boolean>;
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
  /** Stripe answered balance_insufficient for the `expected` attempt: the payout waits for funds. */
  awaitFunds(payout: Payout, at: string, expected: PayoutExpectation): Promise<boolean>;
  /** Stripe refused the transfer for good: the payout is failed and its entries carry forward (as carryForward). */
  failPayout(payout: Payout, message: string, at: string, expected: PayoutExpectation): Promise<boolean>;
  /** Finishes releasing the entries of a carried-forward or failed payout (a worker crash between chunks). */
  ensureReleased(payout: Payout): Promise<void>;
}

/** After a payout was paid: its transfer reversed by Stripe, and an operator keeping what came back. */
export interface PayoutReversalStore {
  /**
   * transfer.reversed on a payout transfer, with the transfer's new cumulative reversed amount: what is new since
   * `payout.reversedAmount` returns to the partner's held, available balance. False if the payout moved meanwhile.
   */
  reversePayout(payout: Payout, amountReversed: number, reversalId: string, at: string): Promise<boolean>;
  /**
   * Keeps `plan.kept` of a reversed payout's returned money for the platform: a held negative `adjustment` and the
   * payout's `keptAmount`, conditioned on the stored `keptAmount` and `reversedAmount`, with the operator's action.
   */
  keepReversal(payout: Payout, plan: KeepReversalPlan, action: OperatorAction): Promise<boolean>;
}

/** Every payout port in one (what the DynamoDB store implements, and what the functions are wired with). */
export type PayoutStore = PayoutRunStore &
  PayoutPlanningStore &
  PayoutRecordReader &
  PayoutSendStore &
  PayoutReversalStore;

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

/** Randomness and waiting, injected so a simulation can replay a schedule exactly. */
export interface PayoutTiming {
  /** A number in [0, 1) (the jitter of a backoff). */
  random(): number;
  /** Resolves after `ms` milliseconds of the deps' time. */
  sleep(ms: number): Promise<void>;
}

export const systemTiming: PayoutTiming = {
  random: () => Math.random(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface PayoutDeps {
  /** Where unexpected per-partner failures are reported (optional: tests may leave it out). */
  log?: { error(message: string, details: Record<string, unknown>): void };
  store: PayoutStore;
  partners: PartnerLookup;
  transfers: TransferGateway;
  queue: PayoutQueue;
  metrics: PayoutMetrics;
  clock: Clock;
  /** Randomness and waiting (default: `systemTiming`). */
  timing?: PayoutTiming;
  settings: PayoutSettings;
}

/** What a use case takes: the named parts of `PayoutDeps`, and only the stores it uses. */
export type PayoutDepsWith<Store, Keys extends Exclude<keyof PayoutDeps, 'store'> = never> = Pick<PayoutDeps, Keys> & {
  store: Store;
};
