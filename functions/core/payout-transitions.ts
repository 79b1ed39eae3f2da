import type { DomainEvent } from './domain-events.ts';
import type { Currency } from './money.ts';
import type { LedgerRecord } from './payment-ports.ts';
import {
  payoutAwaitingFundsEvent,
  payoutCarriedForwardEvent,
  payoutFailedEvent,
  payoutPaidEvent,
  payoutReversedEvent,
} from './payout-events.ts';
import {
  type CounterDelta,
  isOpenPayout,
  type KeepReversalPlan,
  OPEN_PAYOUT_STATUSES,
  type OperatorAction,
  type Payout,
  type PayoutExpectation,
  type PayoutRun,
  type PayoutStatus,
} from './payout-model.ts';
import type { TransferOutcome } from './payout-ports.ts';
import { type HeldEntry, payoutIdFor, type SkipReason } from './payout-rules.ts';

/**
 * The payout state machine as pure plans. Each plan says everything one transition writes — the payout's change and
 * the state it must still be in, the ledger entries, what happens to the held entries the payout covers, the run's
 * counters, the domain event and the operator's action — and a store applies it as one conditional write (entries
 * beyond one transaction follow in further writes). Nothing here reads or writes: the same inputs give the same plan.
 *
 *   planned ─┬─ markSending ──> sending ─┬─ created ───────────────> paid ── reversed (full or partial) ──> reversed
 *            │                   ^       ├─ insufficient_funds ────> awaiting_funds ─ markSending (new key) ─┘
 *            │                   │       ├─ destination_unavailable > carried_forward
 *            │                   │       ├─ rejected ──────────────> failed
 *            │                   │       └─ rate_limited, ambiguous: stays sending (same key, tried again)
 *            └─ not payable (planned or awaiting_funds only) ────────> carried_forward
 */

/** A change to one payout record, applied only while the stored payout still matches `guard`. */
export interface PayoutChange {
  /** The new status; absent when the status does not change. */
  to?: PayoutStatus;
  guard: {
    /** The stored status is one of these. */
    status?: readonly PayoutStatus[];
    attempt?: number;
    version?: number;
    stripeTransferId?: string | null;
    /** The stored amounts (an absent amount counts as 0). */
    reversedAmount?: number;
    keptAmount?: number;
  };
  set: {
    attempt?: number;
    attemptStartedAt?: string;
    stripeTransferId?: string;
    paidAt?: string;
    reason?: string;
    reversedAmount?: number;
    keptAmount?: number;
  };
  /** The payout's `reason` no longer describes it (it is sent again, or paid). */
  clearReason: boolean;
  /** The payout starts waiting for funds (from `at`), or stops waiting. */
  awaitingFunds?: 'enter' | 'leave';
  /** Whether the record's version moves on (every transition but a reversal, which is guarded by its amounts). */
  bumpVersion: boolean;
  at: string;
}

/** What happens to the held ledger entries the payout covers. */
export type CoveredEntries =
  /** Paid with the payout (from `in_payout`). */
  | { move: 'settle' }
  /** Handed back to the partner's held balance (they are paid by a later run). */
  | { move: 'release'; from: 'in_payout' | 'paid' }
  | { move: 'none' };

export interface PayoutPlan {
  change: PayoutChange;
  ledger: LedgerRecord[];
  entries: CoveredEntries;
  counters: CounterDelta;
  event: DomainEvent | null;
  action: OperatorAction | null;
}

const NO_ENTRIES: CoveredEntries = { move: 'none' };

/** A payout that leaves awaiting_funds stops counting (and being indexed) as waiting. */
const leavingAwait = (from: PayoutStatus): Pick<PayoutChange, 'awaitingFunds'> =>
  from === 'awaiting_funds' ? { awaitingFunds: 'leave' } : {};
const awaitingDelta = (from: PayoutStatus): CounterDelta => (from === 'awaiting_funds' ? { awaitingFunds: -1 } : {});

/**
 * A new payout for what the rules decided to pay (`decision`), covering exactly the held entries it names, and the
 * run's counters for it (considered, queued, planned amount). Its id is derived from partner, period and currency.
 */
export function planPayout(
  run: Pick<PayoutRun, 'id' | 'period'>,
  partnerId: string,
  currency: Currency,
  decision: { amount: number; entryIds: readonly string[] },
  held: readonly HeldEntry[],
  at: string,
): { payout: Payout; counters: CounterDelta } {
  const payout: Payout = {
    id: payoutIdFor(partnerId, run.period, currency),
    runId: run.id,
    partnerId,
    period: run.period,
    currency,
    amount: decision.amount,
    status: 'planned',
    entries: held.filter((entry) => decision.entryIds.includes(entry.id)),
    attempt: 0,
    stripeTransferId: null,
    reason: null,
    attemptStartedAt: null,
    reversedAmount: 0,
    createdAt: at,
    updatedAt: at,
    version: 1,
  };
  return { payout, counters: { considered: 1, queued: 1, plannedAmount: { [currency]: decision.amount } } };
}

/**
 * Marking the current attempt's key as sent (first time only): null when it is recorded already (a redelivery).
 * `payout` is what the worker read, with a bumped attempt and no `attemptStartedAt` when it starts a new key; the
 * write is conditioned on its version, so it proves nothing moved since that read.
 */
export function planSending(payout: Payout, at: string): { plan: PayoutPlan; sending: Payout } | null {
  if (payout.status === 'sending' && payout.attemptStartedAt !== null) return null;
  const attemptStartedAt = payout.attemptStartedAt ?? at;
  const wasAwaiting = payout.status === 'awaiting_funds';
  return {
    plan: {
      change: {
        to: 'sending',
        guard: { status: OPEN_PAYOUT_STATUSES, version: payout.version },
        set: { attempt: payout.attempt, attemptStartedAt },
        // Sending again: a reason the payout waited for (awaiting_funds) no longer describes it.
        clearReason: wasAwaiting,
        ...leavingAwait(payout.status),
        bumpVersion: true,
        at,
      },
      ledger: [],
      entries: NO_ENTRIES,
      counters: awaitingDelta(payout.status),
      event: null,
      action: null,
    },
    sending: { ...payout, status: 'sending', attemptStartedAt, version: payout.version + 1 },
  };
}

/**
 * What a worker goes on with when marking the key as sent lost a race (a duplicate delivery moved it first): what
 * is stored, same key or newer — never an older attempt than the one it was about to use.
 */
export function afterSendingRace(latest: Payout, intended: Payout): Payout {
  return latest.attempt >= intended.attempt ? latest : { ...latest, attempt: intended.attempt };
}

/**
 * Stripe created the transfer: the payout is paid, its `payout` ledger entry (−amount) books the money out of the
 * held balance, the covered entries are paid, and the run counts it. `known` is the status the payout is believed to
 * be in (the worker's read, or what marking it sending wrote): the write is conditioned on it, so the counters it
 * adjusts are right.
 */
export function planCompletion(payout: Payout, known: PayoutStatus, transferId: string, at: string): PayoutPlan {
  const entry: LedgerRecord = {
    id: `le_payout_${payout.id}`,
    partnerId: payout.partnerId,
    currency: payout.currency,
    type: 'payout',
    amount: -payout.amount,
    occurredAt: Date.parse(at),
    description: `Payout for ${payout.period}`,
    reference: payout.id,
    payoutId: payout.id,
    payoutStatus: 'paid',
    recordedAt: at,
  };
  return {
    change: {
      to: 'paid',
      guard: { status: [known] },
      set: { stripeTransferId: transferId, paidAt: at },
      // Paid is final: no earlier reason (awaiting_funds) stays on it.
      clearReason: true,
      ...leavingAwait(known),
      bumpVersion: true,
      at,
    },
    ledger: [entry],
    entries: { move: 'settle' },
    counters: { paid: 1, paidAmount: { [payout.currency]: payout.amount }, ...awaitingDelta(known) },
    event: payoutPaidEvent(payout, transferId, at),
    action: null,
  };
}

/** After a completion's condition failed, what the stored payout (`latest`) says to do next. */
export type CompletionRetry =
  /** Paid already (a crashed or concurrent worker): finish settling its entries, record nothing. */
  | { kind: 'already' }
  /** Still open in another status: plan again from that status. */
  | { kind: 'again'; known: PayoutStatus }
  /** Gone, closed otherwise, or still moving after the retries: the error stands. */
  | { kind: 'give_up' };

export const COMPLETION_RETRIES = 2;

export function completionRetry(latest: Payout | undefined, known: PayoutStatus, tries: number): CompletionRetry {
  if (latest?.status === 'paid') return { kind: 'already' };
  if (!latest || !isOpenPayout(latest.status) || latest.status === known || tries >= COMPLETION_RETRIES) {
    return { kind: 'give_up' };
  }
  return { kind: 'again', known: latest.status };
}

/**
 * Closing an open payout without paying it — carried forward (`reason`) or failed — only if it is still exactly as
 * the caller saw it (`expected` status and attempt), so a payout another worker meanwhile moved on (to sending with a
 * new key, to paid) is never closed and nothing is counted twice. Its entries go back to the held balance.
 */
function planClose(
  expected: PayoutExpectation,
  at: string,
  close: { to: 'carried_forward' | 'failed'; reason: string; counters: CounterDelta; event: DomainEvent },
  action: OperatorAction | null,
): PayoutPlan {
  return {
    change: {
      to: close.to,
      guard: { status: [expected.status], attempt: expected.attempt },
      set: { reason: close.reason },
      clearReason: false,
      ...leavingAwait(expected.status),
      bumpVersion: true,
      at,
    },
    ledger: [],
    entries: { move: 'release', from: 'in_payout' },
    counters: { ...close.counters, ...awaitingDelta(expected.status) },
    event: close.event,
    action,
  };
}

/** The payout is not paid this run: its entries carry forward, counted under `reason`. */
export function planCarryForward(
  payout: Payout,
  reason: SkipReason,
  at: string,
  expected: PayoutExpectation,
  action?: OperatorAction,
): PayoutPlan {
  return planClose(
    expected,
    at,
    {
      to: 'carried_forward',
      reason,
      counters: { carriedForward: 1, skipped: { [reason]: 1 } },
      event: payoutCarriedForwardEvent(payout, reason, at),
    },
    action ?? null,
  );
}

/** Stripe refused the transfer for good: the payout is failed and its entries carry forward. */
export function planFailure(payout: Payout, message: string, at: string, expected: PayoutExpectation): PayoutPlan {
  return planClose(
    expected,
    at,
    {
      to: 'failed',
      reason: `stripe_rejected: ${message.slice(0, 300)}`,
      counters: { failed: 1 },
      event: payoutFailedEvent(payout, message, at),
    },
    null,
  );
}

/** Stripe answered balance_insufficient for the `expected` attempt: the payout waits for funds (from `at`). */
export function planAwaitFunds(payout: Payout, at: string, expected: PayoutExpectation): PayoutPlan {
  return {
    change: {
      to: 'awaiting_funds',
      guard: { status: [expected.status], attempt: expected.attempt },
      set: { reason: 'awaiting_funds' },
      clearReason: false,
      awaitingFunds: 'enter',
      bumpVersion: true,
      at,
    },
    ledger: [],
    entries: NO_ENTRIES,
    counters: { awaitingFunds: 1 },
    event: payoutAwaitingFundsEvent(payout, expected.attempt, at),
    action: null,
  };
}

/**
 * transfer.reversed on the payout's transfer, with the transfer's cumulative `amountReversed`: null when there is
 * nothing to apply (not our transfer, not paid, or a late or repeated event: a smaller or equal total). What is new
 * since `payout.reversedAmount` returns to the partner. A first, full reversal hands the covered earnings back (held,
 * available as before) so the partner sees them unpaid and the next run pays them; otherwise a held `reversal` entry,
 * available at once, adds what came back this time. The write is conditioned on the reversed amount it was computed
 * from, so two deliveries never both add theirs.
 */
export function planReversal(
  payout: Payout,
  input: { transferId: string; amountReversed: number; reversalId: string },
  at: string,
): PayoutPlan | null {
  if (payout.status !== 'paid' && payout.status !== 'reversed') return null;
  // Only the transfer we recorded for the payout: metadata alone could be copied onto another transfer.
  if (payout.stripeTransferId !== input.transferId) return null;
  const total = Math.min(input.amountReversed, payout.amount);
  if (total <= payout.reversedAmount) return null; // applied already
  const now = Date.parse(at);
  const full = payout.reversedAmount === 0 && total === payout.amount;
  const entry: LedgerRecord = {
    id: `le_reversal_${input.reversalId}`,
    partnerId: payout.partnerId,
    currency: payout.currency,
    type: 'reversal',
    amount: total - payout.reversedAmount,
    occurredAt: now,
    description: `Transfer of payout ${payout.period} reversed`,
    reference: payout.id,
    recordedAt: at,
    ...(full ? {} : { payoutStatus: 'pending' as const, availableAt: now }),
  };
  return {
    change: {
      to: 'reversed',
      guard: {
        status: ['paid', 'reversed'],
        stripeTransferId: payout.stripeTransferId,
        reversedAmount: payout.reversedAmount,
      },
      set: { reversedAmount: total, reason: 'transfer_reversed' },
      clearReason: false,
      bumpVersion: false,
      at,
    },
    ledger: [entry],
    entries: full ? { move: 'release', from: 'paid' } : NO_ENTRIES,
    counters: {},
    event: payoutReversedEvent(payout, total, at),
    action: null,
  };
}

/**
 * An operator keeps `keep.kept` of a reversed payout's returned money for the platform: a held negative
 * `adjustment`, available at once, and the payout's new `keptAmount`, conditioned on the stored reversed and kept
 * amounts the plan was computed from (a retry or a concurrent request keeps nothing twice), with the action.
 */
export function planKeptReversal(payout: Payout, keep: KeepReversalPlan, action: OperatorAction): PayoutPlan {
  const now = Date.parse(action.at);
  return {
    change: {
      guard: { reversedAmount: payout.reversedAmount, keptAmount: payout.keptAmount ?? 0 },
      set: { keptAmount: keep.keptTotal },
      clearReason: false,
      bumpVersion: true,
      at: action.at,
    },
    ledger: [
      {
        id: keep.entry.id,
        partnerId: payout.partnerId,
        currency: payout.currency,
        type: 'adjustment',
        amount: keep.entry.amount,
        occurredAt: now,
        description: keep.entry.description,
        reference: payout.id,
        payoutStatus: 'pending',
        availableAt: now,
        recordedAt: action.at,
      },
    ],
    entries: NO_ENTRIES,
    counters: {},
    event: null,
    action,
  };
}

/** A partner not paid in a run: the record of why (once per partner and currency) and what it counts. */
export interface SkipRecord {
  runId: string;
  partnerId: string;
  currency: Currency;
  reason: SkipReason;
  amount: number;
  at: string;
}

export function planSkip(record: SkipRecord): { record: SkipRecord; counters: CounterDelta } {
  return { record, counters: { considered: 1, skipped: { [record.reason]: 1 } } };
}

/** Only a carried-forward or failed payout has entries to finish releasing (a worker crash between chunks). */
export const releasesEntries = (payout: Payout): boolean =>
  payout.status === 'carried_forward' || payout.status === 'failed';

/** What the worker does with Stripe's answer to a transfer sent with the payout's current key. */
export type TransferStep =
  /** The transfer exists: record the payout as paid (`planCompletion`). */
  | { kind: 'complete'; transferId: string }
  /** balance_insufficient: the payout waits for funds (`planAwaitFunds`). */
  | { kind: 'await_funds' }
  /** The account cannot receive it now: the money carries forward (`planCarryForward`). */
  | { kind: 'carry_forward'; reason: SkipReason }
  /** Stripe refused the request itself, retrying cannot help (`planFailure`). */
  | { kind: 'fail'; message: string }
  /** Nothing was created: wait, then send again with the same key. */
  | { kind: 'back_off' }
  /** Give the message back to the queue (same key next time); `ambiguous`: the transfer may exist. */
  | { kind: 'retry_later'; ambiguous: boolean };

/** 429s answered in one delivery before the message goes back to the queue. */
export const RATE_LIMIT_TRIES = 3;

const TRANSFER_STEPS: {
  [K in TransferOutcome['kind']]: (outcome: Extract<TransferOutcome, { kind: K }>, tries: number) => TransferStep;
} = {
  created: (outcome) => ({ kind: 'complete', transferId: outcome.transferId }),
  insufficient_funds: () => ({ kind: 'await_funds' }),
  destination_unavailable: () => ({ kind: 'carry_forward', reason: 'restricted' }),
  // Same key: a 429 created nothing. Back off a little, then give the message back to the queue.
  rate_limited: (_, tries) =>
    tries < RATE_LIMIT_TRIES ? { kind: 'back_off' } : { kind: 'retry_later', ambiguous: false },
  // The SDK already retried with the same key. Leave it to the queue's redelivery, again with the same key.
  ambiguous: () => ({ kind: 'retry_later', ambiguous: true }),
  rejected: (outcome) => ({ kind: 'fail', message: outcome.message }),
};

/** Stripe's answer to the `tries`-th send of this delivery (0 first) → the worker's next step. */
export function transferOutcomeStep(outcome: TransferOutcome, tries: number): TransferStep {
  const step = TRANSFER_STEPS[outcome.kind] as (outcome: TransferOutcome, tries: number) => TransferStep;
  return step(outcome, tries);
}
