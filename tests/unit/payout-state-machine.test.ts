import { describe, expect, it } from 'vitest';
import type { PartnerStatus } from '#core/partner';
import { decidePayout, ineligibility, type PayoutCandidate, SKIP_REASONS, type SkipReason } from '#core/payout-rules';
import {
  COMPLETION_RETRIES,
  completionRetry,
  type PayoutPlan,
  planAwaitFunds,
  planCarryForward,
  planCompletion,
  planFailure,
  planKeptReversal,
  planPayout,
  planReversal,
  planSending,
  planSkip,
  RATE_LIMIT_TRIES,
  transferOutcomeStep,
} from '#core/payout-transitions';
import {
  emptyCounters,
  type Payout,
  type PayoutStatus,
  rateLimitBackoffMs,
  runStatus,
  type TransferOutcome,
} from '#core/payouts';

const AT = '2026-11-05T10:00:00.000Z';
const NOW = Date.parse(AT);
const entries = [
  { id: 'le_a', amount: 7_000, availableAt: NOW - 86_400_000, platformReference: 'order-1' },
  { id: 'le_b', amount: 3_000, availableAt: NOW - 3_600_000 },
];

function payout(overrides: Partial<Payout> = {}): Payout {
  return {
    id: 'po_2026-10_usd_ptn_a',
    runId: 'run_2026-10',
    partnerId: 'ptn_a',
    period: '2026-10',
    currency: 'usd',
    amount: 10_000,
    status: 'sending',
    entries,
    attempt: 1,
    stripeTransferId: null,
    reason: null,
    attemptStartedAt: AT,
    reversedAmount: 0,
    keptAmount: 0,
    createdAt: AT,
    updatedAt: AT,
    version: 3,
    ...overrides,
  };
}

const sent = { status: 'sending', attempt: 1 } as const;

/** Follows the worker: Stripe's answer → its step → the plan it writes (null: nothing written, the payout stays). */
function planFor(outcome: TransferOutcome, tries = 0, from: Payout = payout()): PayoutPlan | null {
  const step = transferOutcomeStep(outcome, tries);
  switch (step.kind) {
    case 'complete':
      return planCompletion(from, from.status, step.transferId, AT);
    case 'await_funds':
      return planAwaitFunds(from, AT, { status: from.status, attempt: from.attempt });
    case 'carry_forward':
      return planCarryForward(from, step.reason, AT, { status: from.status, attempt: from.attempt });
    case 'fail':
      return planFailure(from, step.message, AT, { status: from.status, attempt: from.attempt });
    case 'back_off':
    case 'retry_later':
      return null;
  }
}

describe('the payout state machine: Stripe transfer outcome → next state and ledger effect', () => {
  const cases: Array<{
    outcome: TransferOutcome;
    tries?: number;
    step: ReturnType<typeof transferOutcomeStep>['kind'];
    next: PayoutStatus | 'unchanged';
    ledger: number[];
    entries: PayoutPlan['entries']['move'] | 'none';
    counters: PayoutPlan['counters'];
    event: string | null;
  }> = [
    {
      outcome: { kind: 'created', transferId: 'tr_1' },
      step: 'complete',
      next: 'paid',
      ledger: [-10_000],
      entries: 'settle',
      counters: { paid: 1, paidAmount: { usd: 10_000 } },
      event: 'payout.paid',
    },
    {
      outcome: { kind: 'insufficient_funds' },
      step: 'await_funds',
      next: 'awaiting_funds',
      ledger: [],
      entries: 'none',
      counters: { awaitingFunds: 1 },
      event: 'payout.awaiting_funds',
    },
    {
      outcome: { kind: 'destination_unavailable', message: 'account restricted' },
      step: 'carry_forward',
      next: 'carried_forward',
      ledger: [],
      entries: 'release',
      counters: { carriedForward: 1, skipped: { restricted: 1 } },
      event: 'payout.carried_forward',
    },
    {
      outcome: { kind: 'rejected', message: 'invalid destination' },
      step: 'fail',
      next: 'failed',
      ledger: [],
      entries: 'release',
      counters: { failed: 1 },
      event: 'payout.failed',
    },
    ...Array.from({ length: RATE_LIMIT_TRIES }, (_, tries) => ({
      outcome: { kind: 'rate_limited' } as const,
      tries,
      step: 'back_off' as const,
      next: 'unchanged' as const,
      ledger: [],
      entries: 'none' as const,
      counters: {},
      event: null,
    })),
    {
      outcome: { kind: 'rate_limited' },
      tries: RATE_LIMIT_TRIES,
      step: 'retry_later',
      next: 'unchanged',
      ledger: [],
      entries: 'none',
      counters: {},
      event: null,
    },
    {
      outcome: { kind: 'ambiguous', message: 'socket hang up' },
      step: 'retry_later',
      next: 'unchanged',
      ledger: [],
      entries: 'none',
      counters: {},
      event: null,
    },
  ];

  it.each(cases)('$outcome.kind (try $tries) → $step → $next', (c) => {
    expect(transferOutcomeStep(c.outcome, c.tries ?? 0).kind).toBe(c.step);
    const plan = planFor(c.outcome, c.tries ?? 0);
    if (c.next === 'unchanged') {
      expect(plan).toBeNull();
      return;
    }
    expect(plan?.change.to).toBe(c.next);
    // Stripe's answer is recorded only while the payout is still sending with the key it answered for.
    expect(plan?.change.guard).toMatchObject({ status: ['sending'] });
    if (c.next !== 'paid') expect(plan?.change.guard.attempt).toBe(1);
    expect(plan?.ledger.map((entry) => entry.amount)).toEqual(c.ledger);
    expect(plan?.entries.move).toBe(c.entries);
    expect(plan?.counters).toEqual(c.counters);
    expect(plan?.event?.type ?? null).toBe(c.event);
  });

  it('an ambiguous answer is marked as such (the transfer may exist), an exhausted 429 is not', () => {
    expect(transferOutcomeStep({ kind: 'ambiguous', message: 'timeout' }, 0)).toEqual({
      kind: 'retry_later',
      ambiguous: true,
    });
    expect(transferOutcomeStep({ kind: 'rate_limited' }, RATE_LIMIT_TRIES)).toEqual({
      kind: 'retry_later',
      ambiguous: false,
    });
  });

  it('the payout entry of a completion books the whole amount out, once per payout, paid', () => {
    const plan = planCompletion(payout(), 'sending', 'tr_1', AT);
    expect(plan.ledger).toEqual([
      expect.objectContaining({
        id: 'le_payout_po_2026-10_usd_ptn_a',
        type: 'payout',
        amount: -10_000,
        payoutId: 'po_2026-10_usd_ptn_a',
        payoutStatus: 'paid',
        occurredAt: NOW,
      }),
    ]);
    expect(plan.change.set).toEqual({ stripeTransferId: 'tr_1', paidAt: AT });
    expect(plan.change.clearReason).toBe(true);
  });

  it('a payout leaving awaiting_funds (paid, carried forward, failed, sent again) stops counting as waiting', () => {
    const waiting = payout({ status: 'awaiting_funds', reason: 'awaiting_funds' });
    const expected = { status: 'awaiting_funds', attempt: 1 } as const;
    const plans = [
      planCompletion(waiting, 'awaiting_funds', 'tr_1', AT),
      planCarryForward(waiting, 'restricted', AT, expected),
      planFailure(waiting, 'no', AT, expected),
      planSending({ ...waiting, attempt: 2, attemptStartedAt: null }, AT)?.plan,
    ];
    for (const plan of plans) {
      expect(plan?.counters.awaitingFunds).toBe(-1);
      expect(plan?.change.awaitingFunds).toBe('leave');
    }
    expect(planAwaitFunds(payout(), AT, sent).change.awaitingFunds).toBe('enter');
  });

  it('marking a key as sent is written once: a redelivery with the key already started writes nothing', () => {
    expect(planSending(payout({ status: 'sending', attemptStartedAt: AT }), AT)).toBeNull();
    const first = planSending(payout({ status: 'planned', attempt: 0, attemptStartedAt: null, version: 1 }), AT);
    expect(first?.plan.change).toMatchObject({
      to: 'sending',
      guard: { status: ['planned', 'sending', 'awaiting_funds'], version: 1 },
      set: { attempt: 0, attemptStartedAt: AT },
    });
    expect(first?.sending).toMatchObject({ status: 'sending', attemptStartedAt: AT, version: 2 });
  });

  const retries: Array<{ latest: PayoutStatus | 'missing'; known: PayoutStatus; tries: number; next: string }> = [
    { latest: 'paid', known: 'sending', tries: 0, next: 'already' },
    { latest: 'awaiting_funds', known: 'sending', tries: 0, next: 'again' },
    { latest: 'sending', known: 'sending', tries: 0, next: 'give_up' },
    { latest: 'carried_forward', known: 'sending', tries: 0, next: 'give_up' },
    { latest: 'missing', known: 'sending', tries: 0, next: 'give_up' },
    { latest: 'awaiting_funds', known: 'sending', tries: COMPLETION_RETRIES, next: 'give_up' },
  ];
  it.each(retries)('a completion that lost a race to $latest (believed $known, try $tries): $next', (c) => {
    const latest = c.latest === 'missing' ? undefined : payout({ status: c.latest });
    expect(completionRetry(latest, c.known, c.tries).kind).toBe(c.next);
  });

  it('the 429 backoff is 250 ms doubling plus up to 250 ms of injected jitter', () => {
    expect([0, 1, 2].map((tries) => rateLimitBackoffMs(tries, 0))).toEqual([250, 500, 1_000]);
    expect(rateLimitBackoffMs(1, 0.5)).toBe(625);
  });
});

describe('every skip reason', () => {
  const candidate = (overrides: Partial<PayoutCandidate> = {}): PayoutCandidate => ({
    partnerId: 'ptn_a',
    status: 'active',
    payoutPreference: 'stripe',
    hold: null,
    currency: 'usd',
    held: entries,
    ...overrides,
  });
  const rules = { minimumPayout: { usd: 5_000 }, defaultMinimum: 100 };

  /** How each reason comes about: from the payout rules, or (null) outside them — the worker, an operator, a crash. */
  const HOW: Record<SkipReason, PayoutCandidate | null> = {
    below_minimum: candidate({ held: [{ id: 'le_small', amount: 4_999, availableAt: NOW - 1 }] }),
    not_onboarded: candidate({ status: 'pending_verification' }),
    restricted: candidate({ status: 'restricted' }),
    disconnected: candidate({ status: 'disconnected' }),
    manual_preference: candidate({ payoutPreference: 'manual' }),
    awaiting_funds: null,
    operator_hold: candidate({ hold: { reason: 'fraud review', until: null } }),
    operator_excluded: null,
    amount_too_large: candidate({ held: [{ id: 'le_huge', amount: Number.MAX_SAFE_INTEGER, availableAt: NOW - 1 }] }),
    planning_failed: null,
  };

  it.each(SKIP_REASONS.filter((reason) => HOW[reason]))('the rules skip with %s', (reason) => {
    const decision = decidePayout(HOW[reason] as PayoutCandidate, NOW, rules, NOW);
    expect(decision).toMatchObject({ kind: 'skip', reason });
  });

  it('the list of reasons is every reason once (the counters and the API report each)', () => {
    expect([...SKIP_REASONS].sort()).toEqual(Object.keys(HOW).sort());
    expect(Object.keys(emptyCounters().skipped).sort()).toEqual(Object.keys(HOW).sort());
  });

  it.each(SKIP_REASONS)('%s is counted once, at planning or when a payout carries forward', (reason) => {
    expect(planSkip({ runId: 'run_2026-10', partnerId: 'ptn_a', currency: 'usd', reason, amount: 1, at: AT })).toEqual({
      record: expect.objectContaining({ reason }),
      counters: { considered: 1, skipped: { [reason]: 1 } },
    });
    const plan = planCarryForward(payout({ status: 'planned' }), reason, AT, { status: 'planned', attempt: 1 });
    expect(plan.counters).toEqual({ carriedForward: 1, skipped: { [reason]: 1 } });
    expect(plan.change).toMatchObject({ to: 'carried_forward', set: { reason } });
  });

  /** Each partner status, decided: a new status must be added here (and in the rules) before it compiles. */
  const STATUS: Record<PartnerStatus, SkipReason | null> = {
    active: null,
    not_set_up: 'not_onboarded',
    pending_verification: 'not_onboarded',
    restricted: 'restricted',
    disconnected: 'disconnected',
  };
  it.each(Object.entries(STATUS))('partner status %s → %s (planner and sender decide alike)', (status, reason) => {
    const partner = { status: status as PartnerStatus, payoutPreference: 'stripe' as const, hold: null };
    expect(ineligibility(partner, NOW)).toBe(reason);
    const decision = decidePayout(candidate({ status: status as PartnerStatus }), NOW, rules, NOW);
    expect(decision.kind === 'skip' ? decision.reason : null).toBe(reason);
  });

  it('no profile at all is not onboarded; a hold outranks the preference, which outranks the status', () => {
    expect(ineligibility(undefined, NOW)).toBe('not_onboarded');
    const held = { status: 'restricted' as const, payoutPreference: 'manual' as const };
    expect(ineligibility({ ...held, hold: { reason: 'r', until: NOW + 1 } }, NOW)).toBe('operator_hold');
    expect(ineligibility({ ...held, hold: { reason: 'r', until: NOW } }, NOW)).toBe('manual_preference');
    expect(ineligibility({ ...held, payoutPreference: 'stripe', hold: null }, NOW)).toBe('restricted');
  });
});

describe('planReversal', () => {
  const paid = payout({ status: 'paid', stripeTransferId: 'tr_1' });
  const reverse = (from: Payout, amountReversed: number, reversalId = 'trr_1') =>
    planReversal(from, { transferId: 'tr_1', amountReversed, reversalId }, AT);

  it('a full first reversal hands the covered earnings back as they were, and records the reversal unheld', () => {
    const plan = reverse(paid, 10_000);
    expect(plan?.change).toMatchObject({
      to: 'reversed',
      guard: { status: ['paid', 'reversed'], stripeTransferId: 'tr_1', reversedAmount: 0 },
      set: { reversedAmount: 10_000, reason: 'transfer_reversed' },
      bumpVersion: false,
    });
    expect(plan?.entries).toEqual({ move: 'release', from: 'paid' });
    expect(plan?.ledger).toEqual([
      expect.objectContaining({ id: 'le_reversal_trr_1', type: 'reversal', amount: 10_000, reference: paid.id }),
    ]);
    expect(plan?.ledger[0]?.payoutStatus).toBeUndefined();
    expect(plan?.event).toMatchObject({ type: 'payout.reversed' });
  });

  it('a partial reversal returns what came back as a held entry, available at once; the entries stay paid', () => {
    const plan = reverse(paid, 4_000);
    expect(plan?.entries).toEqual({ move: 'none' });
    expect(plan?.ledger).toEqual([
      expect.objectContaining({ amount: 4_000, payoutStatus: 'pending', availableAt: NOW }),
    ]);
    expect(plan?.change.set.reversedAmount).toBe(4_000);
  });

  it('repeated reversals return only what is new since the last one applied (Stripe reports the running total)', () => {
    const first = payout({ ...paid, status: 'reversed', reversedAmount: 4_000 });
    const second = reverse(first, 7_000, 'trr_2');
    expect(second?.ledger.map((entry) => [entry.amount, entry.payoutStatus])).toEqual([[3_000, 'pending']]);
    expect(second?.change.guard.reversedAmount).toBe(4_000);
    // The rest, up to the whole amount: still a partial one (the entries were not handed back the first time).
    const rest = reverse(payout({ ...first, reversedAmount: 7_000 }), 12_000, 'trr_3');
    expect(rest?.ledger.map((entry) => entry.amount)).toEqual([3_000]);
    expect(rest?.entries.move).toBe('none');
    expect(rest?.change.set.reversedAmount).toBe(10_000);
  });

  const ignored: Array<[string, Payout, number, string]> = [
    ['the same total again', payout({ ...paid, status: 'reversed', reversedAmount: 4_000 }), 4_000, 'tr_1'],
    ['an older, smaller total', payout({ ...paid, status: 'reversed', reversedAmount: 4_000 }), 3_000, 'tr_1'],
    [
      'a full reversal already applied',
      payout({ ...paid, status: 'reversed', reversedAmount: 10_000 }),
      10_000,
      'tr_1',
    ],
    ['another transfer', paid, 10_000, 'tr_other'],
    ['a payout never paid', payout({ status: 'sending' }), 10_000, 'tr_1'],
  ];
  it.each(ignored)('%s changes nothing', (_, from, amountReversed, transferId) => {
    expect(planReversal(from, { transferId, amountReversed, reversalId: 'trr_9' }, AT)).toBeNull();
  });

  it('keeping a reversal books the returned money back out, guarded by the amounts it was computed from', () => {
    const reversed = payout({ ...paid, status: 'reversed', reversedAmount: 4_000, keptAmount: 1_000 });
    const action = {
      id: 'act_1',
      partnerId: 'ptn_a',
      action: 'reversal_kept' as const,
      by: { sub: 'ops', email: null },
      reason: 'fraud',
      at: AT,
      details: {},
    };
    const plan = planKeptReversal(
      reversed,
      { kept: 3_000, keptTotal: 4_000, entry: { id: 'kept:1', amount: -3_000, description: 'kept' } },
      action,
    );
    expect(plan.change).toMatchObject({
      guard: { reversedAmount: 4_000, keptAmount: 1_000 },
      set: { keptAmount: 4_000 },
    });
    expect(plan.change.to).toBeUndefined();
    expect(plan.ledger).toEqual([
      expect.objectContaining({ type: 'adjustment', amount: -3_000, payoutStatus: 'pending', availableAt: NOW }),
    ]);
    expect(plan.action).toBe(action);
  });
});

describe('planPayout', () => {
  it('a new payout covers exactly the entries the rules chose, planned, first attempt, and counts as queued', () => {
    const { payout: planned, counters } = planPayout(
      { id: 'run_2026-10', period: '2026-10' },
      'ptn_a',
      'usd',
      { amount: 7_000, entryIds: ['le_a'] },
      entries,
      AT,
    );
    expect(planned).toMatchObject({
      id: 'po_2026-10_usd_ptn_a',
      status: 'planned',
      amount: 7_000,
      attempt: 0,
      stripeTransferId: null,
      reversedAmount: 0,
      version: 1,
    });
    expect(planned.entries.map((entry) => entry.id)).toEqual(['le_a']);
    expect(counters).toEqual({ considered: 1, queued: 1, plannedAmount: { usd: 7_000 } });
  });
});

describe('the run status follows its counters', () => {
  const run = {
    id: 'run_2026-10',
    period: '2026-10' as const,
    requireApproval: true,
    approved: false,
    cutoff: NOW,
    planningComplete: true,
    counters: { ...emptyCounters(), queued: 3, paid: 1, carriedForward: 1 },
    startedAt: AT,
    finishedAt: null,
    startedBy: 'ops',
  };
  it.each([
    [{ planningComplete: false }, 'planning'],
    [{}, 'awaiting_approval'],
    [{ approved: true }, 'sending'],
    [{ approved: true, counters: { ...run.counters, failed: 1 } }, 'completed'],
  ] as const)('%o → %s', (overrides, status) => {
    expect(runStatus({ ...run, ...overrides })).toBe(status);
  });
});
