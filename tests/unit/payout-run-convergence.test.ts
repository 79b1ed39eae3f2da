import { describe, expect, it } from 'vitest';
import { excludePayout, type OperatorDeps } from '#core/operator';
import type { LedgerRecord } from '#core/payment-ports';
import {
  approveRun,
  handlePayoutReversal,
  type PayoutDeps,
  planPage,
  sendPayout,
  startRun,
  type TransferRequest,
} from '#core/payouts';
import { MemoryPayoutStore } from '#tests/memory-payout-store';

/**
 * Cases the payout simulation found (tests/helpers/payout-simulation.ts), each reduced to its few steps on the
 * in-memory store: a run that is never recorded finished, and a reversal event that arrives before the payout has
 * recorded its transfer.
 */

const PARTNER = 'ptn_0123456789abcdef01234567';
const NOW = Date.parse('2026-11-05T10:00:00Z');

function world(options: { requireApproval: boolean; crashAt?: string; chunkSize?: number }) {
  let crashed = false;
  const store = new MemoryPayoutStore({
    ...(options.chunkSize ? { chunkSize: options.chunkSize } : {}),
    step: (label) => {
      if (crashed || label === options.crashAt) {
        crashed = true;
        throw new Error(`crash at ${label}`);
      }
    },
  });
  const queued: TransferRequest[] = [];
  const messages: string[] = [];
  const deps: PayoutDeps = {
    store,
    partners: {
      payoutProfile: async (partnerId) => ({
        partnerId,
        status: 'active',
        payoutPreference: 'stripe',
        stripeAccountId: 'acct_1',
        hold: null,
      }),
      payoutProfiles: async (ids) =>
        new Map(
          ids.map((partnerId) => [
            partnerId,
            { partnerId, status: 'active', payoutPreference: 'stripe', stripeAccountId: 'acct_1', hold: null },
          ]),
        ),
    },
    transfers: {
      create: async (request) => {
        queued.push(request);
        return { kind: 'insufficient_funds' };
      },
      findForPayout: async () => undefined,
    },
    queue: {
      enqueuePayouts: async (refs) => void messages.push(...refs.map((ref) => `payout ${ref.payoutId}`)),
      enqueuePlanning: async (runId) => void messages.push(`plan ${runId}`),
      enqueueRelease: async (runId) => void messages.push(`release ${runId}`),
      enqueueRequeue: async () => undefined,
    },
    metrics: { count: () => undefined },
    clock: { now: () => new Date(NOW) },
    settings: {
      rules: { minimumPayout: {}, defaultMinimum: 1 },
      holdingPeriodDays: 0,
      requireApproval: options.requireApproval,
      keyTrustMs: 23 * 3_600_000,
      planningPageSize: 10,
      launchMonth: '2025-01',
    },
  };
  const uncrash = () => {
    crashed = false;
    options.crashAt = undefined;
  };
  const crashAt = (label: string) => {
    options.crashAt = label;
  };
  return { store, deps, queued, messages, uncrash, crashAt };
}

const earning = (amount: number): LedgerRecord => ({
  id: `held:e${amount}`,
  partnerId: PARTNER,
  currency: 'usd',
  type: 'earning',
  amount,
  occurredAt: Date.parse('2026-10-01T00:00:00Z'),
  description: 'earning',
  reference: `e${amount}`,
  payoutStatus: 'pending',
  availableAt: Date.parse('2026-10-02T00:00:00Z'),
  recordedAt: '2026-10-01T00:00:00Z',
});

async function record(store: MemoryPayoutStore, amount: number) {
  await store.recordHeld(
    {
      externalId: `e${amount}`,
      partnerId: PARTNER,
      amount,
      currency: 'usd',
      description: 'earning',
      availableAt: Date.parse('2026-10-02T00:00:00Z'),
      entryId: `held:e${amount}`,
      fingerprint: 'f',
      clawedBack: 0,
      recordedAt: '2026-10-01T00:00:00Z',
      version: 1,
    },
    earning(amount),
  );
}

const OPERATOR = { sub: 'op', email: null };
const operatorDepsOf = (store: MemoryPayoutStore): OperatorDeps => ({
  partners: { get: async () => undefined },
  holds: { set: async () => undefined },
  adjustments: { record: async () => ({ recorded: true }), get: async () => undefined },
  actions: { list: async () => [] },
  payouts: store,
  clock: { now: () => new Date(NOW) },
  payoutCurrencies: [],
});

const completedEvents = (store: MemoryPayoutStore) =>
  [...store.events.values()].filter((event) => event.type === 'payout_run.completed');

describe('a payout run is recorded finished however it ends', () => {
  it('when approval finds nothing to send (every partner skipped)', async () => {
    const { store, deps } = world({ requireApproval: true });
    await startRun(deps, { period: '2026-10', startedBy: 'test' });
    await planPage(deps, 'run_2026-10', null);
    expect((await store.getRun('run_2026-10'))?.finishedAt).toBeNull(); // it waits for approval
    await approveRun(deps, 'run_2026-10');
    expect((await store.getRun('run_2026-10'))?.finishedAt).toBe(new Date(NOW).toISOString());
    expect(completedEvents(store)).toHaveLength(1);
  });

  it('when the planner crashed between marking planning complete and checking, and its page is redelivered', async () => {
    const w = world({ requireApproval: false, crashAt: 'markPlanningComplete:done' });
    await startRun(w.deps, { period: '2026-10', startedBy: 'test' });
    await expect(planPage(w.deps, 'run_2026-10', null)).rejects.toThrow('crash at markPlanningComplete:done');
    w.uncrash();
    expect((await w.store.getRun('run_2026-10'))?.planningComplete).toBe(true);
    await planPage(w.deps, 'run_2026-10', null, { redelivered: true });
    expect((await w.store.getRun('run_2026-10'))?.finishedAt).toBe(new Date(NOW).toISOString());
    expect(completedEvents(w.store)).toHaveLength(1);
  });

  it("when an operator excludes the run's last open payout (awaiting funds)", async () => {
    const { store, deps } = world({ requireApproval: false });
    await record(store, 5_000);
    await startRun(deps, { period: '2026-10', startedBy: 'test' });
    await planPage(deps, 'run_2026-10', null);
    const payoutId = `po_2026-10_usd_${PARTNER}`;
    expect(await sendPayout(deps, { partnerId: PARTNER, payoutId })).toBe('awaiting_funds');
    expect((await store.getRun('run_2026-10'))?.finishedAt).toBeNull();
    await excludePayout(operatorDepsOf(store), payoutId, 'fraud', OPERATOR);
    expect((await store.getPayout(PARTNER, payoutId))?.status).toBe('carried_forward');
    expect((await store.getRun('run_2026-10'))?.finishedAt).toBe(new Date(NOW).toISOString());
    expect(completedEvents(store)).toHaveLength(1);
  });
});

describe('an exclusion retried after a crash before the run check', () => {
  it('records the run finished on the retry, which is refused as the payout is closed', async () => {
    const w = world({ requireApproval: false });
    await record(w.store, 5_000);
    await startRun(w.deps, { period: '2026-10', startedBy: 'test' });
    await planPage(w.deps, 'run_2026-10', null);
    const payoutId = `po_2026-10_usd_${PARTNER}`;
    expect(await sendPayout(w.deps, { partnerId: PARTNER, payoutId })).toBe('awaiting_funds');
    const operatorDeps = operatorDepsOf(w.store);
    w.crashAt('markRunFinished');
    await expect(excludePayout(operatorDeps, payoutId, 'fraud', OPERATOR)).rejects.toThrow('crash at markRunFinished');
    w.uncrash();
    expect((await w.store.getRun('run_2026-10'))?.finishedAt).toBeNull();
    await expect(excludePayout(operatorDeps, payoutId, 'fraud', OPERATOR)).rejects.toThrow(/cannot be excluded/);
    expect((await w.store.getRun('run_2026-10'))?.finishedAt).toBe(new Date(NOW).toISOString());
  });
});

describe('a planner that crashed between the chunks of a payout', () => {
  it('leaves no entry held: the redelivered page attaches the rest to the payout it created', async () => {
    const w = world({ requireApproval: true, chunkSize: 1 });
    for (const amount of [1_000, 2_000, 3_000]) await record(w.store, amount);
    await startRun(w.deps, { period: '2026-10', startedBy: 'test' });
    w.crashAt('createPayout:chunk');
    // The crash kills the invocation: planPage goes on to its later steps, which crash too.
    await expect(planPage(w.deps, 'run_2026-10', null)).rejects.toThrow(/crash at/);
    w.uncrash();
    const held = () => w.store.entriesOf(PARTNER).filter((entry) => entry.payoutStatus === 'pending');
    expect(held()).toHaveLength(2); // the first chunk was attached with the payout, the rest not yet
    await planPage(w.deps, 'run_2026-10', null, { redelivered: true });
    expect(held()).toEqual([]);
    const payoutId = `po_2026-10_usd_${PARTNER}`;
    expect(w.store.entriesOf(PARTNER).map((entry) => entry.payoutId)).toEqual([payoutId, payoutId, payoutId]);
  });
});

describe('a payout whose entries another run took after its planner crashed between chunks', () => {
  it('is never sent: it is closed (planning_failed) and only its own entries carry forward', async () => {
    const w = world({ requireApproval: false, chunkSize: 1 });
    for (const amount of [1_000, 2_000, 3_000]) await record(w.store, amount);
    await startRun(w.deps, { period: '2026-10', startedBy: 'test' });
    w.crashAt('createPayout:chunk');
    await expect(planPage(w.deps, 'run_2026-10', null)).rejects.toThrow(/crash at/);
    w.uncrash();
    // Its page is not planned again before the next run plans the entries it left held.
    await startRun(w.deps, { period: '2026-11', startedBy: 'test' });
    await planPage(w.deps, 'run_2026-11', null);
    const october = `po_2026-10_usd_${PARTNER}`;
    const november = `po_2026-11_usd_${PARTNER}`;
    expect((await w.store.getPayout(PARTNER, november))?.amount).toBe(5_000);
    expect(await sendPayout(w.deps, { partnerId: PARTNER, payoutId: october })).toBe('carried_forward');
    expect(w.queued.map((request) => request.payoutId)).toEqual([]);
    expect(await w.store.getPayout(PARTNER, october)).toMatchObject({
      status: 'carried_forward',
      reason: 'planning_failed',
    });
    // Each entry belongs to one payout: the October one's own (1,000) is held again, November's pays the rest.
    expect(w.store.entriesOf(PARTNER).map((e) => [e.amount, e.payoutStatus, e.payoutId ?? null])).toEqual([
      [1_000, 'pending', null],
      [2_000, 'in_payout', november],
      [3_000, 'in_payout', november],
    ]);
  });
});

describe('a transfer reversal that arrives before the payout recorded its transfer', () => {
  it('is not acknowledged while the payout is sending, and applies once the transfer is recorded', async () => {
    const { store, deps } = world({ requireApproval: false });
    await record(store, 5_000);
    await startRun(deps, { period: '2026-10', startedBy: 'test' });
    await planPage(deps, 'run_2026-10', null);
    const payoutId = `po_2026-10_usd_${PARTNER}`;
    // Stripe made the transfer, but the answer was lost: the payout is still sending.
    const ambiguous: PayoutDeps = {
      ...deps,
      transfers: { ...deps.transfers, create: async () => ({ kind: 'ambiguous', message: 'timeout' }) },
    };
    expect(await sendPayout(ambiguous, { partnerId: PARTNER, payoutId })).toBe('retry_later');
    const event = { partnerId: PARTNER, payoutId, transferId: 'tr_1', amountReversed: 1_500, reversalId: 'tr_1_1500' };
    await expect(handlePayoutReversal(deps, event)).rejects.toThrow('has not recorded its transfer yet');
    // The redelivered message replays the same key: Stripe answers with the transfer, which is recorded.
    const replay: PayoutDeps = {
      ...deps,
      transfers: { ...deps.transfers, create: async () => ({ kind: 'created', transferId: 'tr_1' }) },
    };
    expect(await sendPayout(replay, { partnerId: PARTNER, payoutId })).toBe('paid');
    // Stripe delivers the event again: now it applies.
    expect(await handlePayoutReversal(deps, event)).toBe('reversed');
    const payout = await store.getPayout(PARTNER, payoutId);
    expect(payout).toMatchObject({ status: 'reversed', reversedAmount: 1_500 });
    expect(store.totals(PARTNER)).toEqual([expect.objectContaining({ balance: 1_500 })]);
  });
});
