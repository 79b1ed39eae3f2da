import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { HeldEarning, LedgerRecord, LedgerTotals } from '#core/payment-ports';
import { type HeldEntry, payoutIdFor } from '#core/payout-rules';
import { emptyCounters, type OperatorAction, type Payout, type PayoutRun, type PayoutStore } from '#core/payouts';

/**
 * The payout store's contract: the same cases against every implementation — the DynamoDB adapter on DynamoDB
 * Local and the in-memory store the simulation runs on — so the fake cannot drift from the conditions the core
 * relies on. Each case works on its own partner and run (random ids), in the far past (1971), so the shared test
 * table's other items never show up in its reads.
 */
export interface ContractSubject {
  store: PayoutStore;
  /** Writes a held earning and its ledger entry (the ledger adapter's `recordHeld`). */
  recordHeld(earning: HeldEarning, entry: LedgerRecord): Promise<unknown>;
  /** Every ledger entry of the partner with its payout annotations. */
  entries(partnerId: string): Promise<LedgerRecord[]>;
  totals(partnerId: string): Promise<LedgerTotals[]>;
}

const AT = '1971-06-15T00:00:00.000Z';
const AVAILABLE = Date.parse('1971-05-01T00:00:00.000Z');
const CUTOFF = Date.parse('1971-05-31T23:59:59.999Z');

function fixture() {
  const partnerId = `ptn_${randomBytes(12).toString('hex')}`;
  // Payout ids derive from the period: a random month of 1910–1969 keeps them apart from every other test's.
  const period = `19${String(10 + Math.floor(Math.random() * 60)).padStart(2, '0')}-${String(1 + Math.floor(Math.random() * 12)).padStart(2, '0')}`;
  return { partnerId, period, runId: `run_${period}_${randomBytes(4).toString('hex')}` };
}

async function seedHeld(subject: ContractSubject, partnerId: string, amounts: number[], availableAt = AVAILABLE) {
  for (const [index, amount] of amounts.entries()) {
    const externalId = `contract-${partnerId}-${index}-${availableAt}`;
    const entryId = `held:${externalId}`;
    await subject.recordHeld(
      {
        externalId,
        partnerId,
        amount,
        currency: 'usd',
        description: 'contract',
        availableAt,
        entryId,
        fingerprint: 'f',
        clawedBack: 0,
        recordedAt: AT,
        version: 1,
      },
      {
        id: entryId,
        partnerId,
        currency: 'usd',
        type: 'earning',
        amount,
        occurredAt: Date.parse('1971-04-01T00:00:00.000Z') + index,
        description: 'contract',
        reference: externalId,
        payoutStatus: 'pending',
        availableAt,
        recordedAt: AT,
      },
    );
  }
}

function runOf(runId: string, period: string): PayoutRun {
  return {
    id: runId,
    period: period as PayoutRun['period'],
    requireApproval: true,
    approved: false,
    cutoff: CUTOFF,
    planningComplete: false,
    counters: emptyCounters(),
    startedAt: AT,
    finishedAt: null,
    startedBy: 'contract',
  };
}

function payoutOf(runId: string, period: string, partnerId: string, entries: HeldEntry[]): Payout {
  return {
    id: payoutIdFor(partnerId, period, 'usd'),
    runId,
    partnerId,
    period: period as Payout['period'],
    currency: 'usd',
    amount: entries.reduce((total, entry) => total + entry.amount, 0),
    status: 'planned',
    entries,
    attempt: 0,
    stripeTransferId: null,
    reason: null,
    attemptStartedAt: null,
    reversedAmount: 0,
    createdAt: AT,
    updatedAt: AT,
    version: 1,
  };
}

const annotations = (entries: LedgerRecord[]) =>
  entries
    .filter((entry) => entry.type === 'earning')
    .map((entry) => [entry.amount, entry.payoutStatus, entry.payoutId ?? null]);

const counts = (run: PayoutRun | undefined) => {
  const { queued, paid, carriedForward, awaitingFunds, failed, considered } = run?.counters ?? emptyCounters();
  return { considered, queued, paid, carriedForward, awaitingFunds, failed };
};

/** A planned payout over three held entries (and the run it belongs to). */
async function planned(subject: ContractSubject) {
  const { store } = subject;
  const { partnerId, period, runId } = fixture();
  await seedHeld(subject, partnerId, [1_000, 2_000, 3_000]);
  await store.createRun(runOf(runId, period));
  const held = await store.heldEntries(partnerId, 'usd');
  const payout = payoutOf(runId, period, partnerId, held);
  expect(await store.createPayout(payout, { considered: 1, queued: 1, plannedAmount: { usd: payout.amount } })).toBe(
    'created',
  );
  return { partnerId, period, runId, payout: (await store.getPayout(partnerId, payout.id)) as Payout };
}

export function payoutStoreContract(name: string, subject: () => ContractSubject) {
  describe(`payout store contract: ${name}`, () => {
    it('runs: created once, approved once, finished once', async () => {
      const { store } = subject();
      const { runId, period } = fixture();
      const run = runOf(runId, period);
      expect((await store.createRun(run)).created).toBe(true);
      const again = await store.createRun({ ...run, startedBy: 'someone else' });
      expect(again.created).toBe(false);
      expect(again.run.startedBy).toBe('contract');
      expect(await store.approveRun(runId, AT)).toBe(true);
      expect(await store.approveRun(runId, AT)).toBe(false);
      expect(await store.approveRun(`${runId}_missing`, AT)).toBe(false);
      await store.markPlanningComplete(runId, AT);
      const stored = (await store.getRun(runId)) as PayoutRun;
      expect(stored).toMatchObject({ approved: true, planningComplete: true, finishedAt: null });
      await store.markRunFinished(stored, AT);
      await store.markRunFinished(stored, '1971-06-16T00:00:00.000Z');
      expect((await store.getRun(runId))?.finishedAt).toBe(AT);
    });

    it('createPayout attaches its entries and counts once; the same id again is `exists` and writes nothing', async () => {
      const s = subject();
      const { partnerId, runId, payout } = await planned(s);
      expect(payout).toMatchObject({ status: 'planned', amount: 6_000, attempt: 0, version: 1, keptAmount: 0 });
      expect(annotations(await s.entries(partnerId))).toEqual([
        [1_000, 'in_payout', payout.id],
        [2_000, 'in_payout', payout.id],
        [3_000, 'in_payout', payout.id],
      ]);
      expect(await s.store.heldEntries(partnerId, 'usd')).toEqual([]);
      expect(await s.store.createPayout(payout, { considered: 1, queued: 1 })).toBe('exists');
      expect(counts(await s.store.getRun(runId))).toMatchObject({ considered: 1, queued: 1 });
      expect((await s.store.getRun(runId))?.counters.plannedAmount).toEqual({ usd: 6_000 });
    });

    it('createPayout is refused when an entry belongs to another payout, and writes nothing', async () => {
      const s = subject();
      const { partnerId, period, runId, payout } = await planned(s);
      const other = {
        ...payoutOf(runId, period, partnerId, payout.entries),
        id: payoutIdFor(partnerId, period, 'eur'),
      };
      await expect(s.store.createPayout(other, { queued: 1 })).rejects.toThrow();
      expect(await s.store.getPayout(partnerId, other.id)).toBeUndefined();
      expect(counts(await s.store.getRun(runId)).queued).toBe(1);
    });

    it('ensureAttached attaches what a crashed planner left held, and reports an entry another payout holds', async () => {
      const s = subject();
      const { partnerId, period, runId, payout } = await planned(s);
      await seedHeld(s, partnerId, [4_000], AVAILABLE + 1);
      const [left] = await s.store.heldEntries(partnerId, 'usd');
      // Only entries past the first transaction's chunk (90 in the adapter) are attached after the payout.
      const padding = Array.from({ length: 90 }, () => payout.entries[0] as HeldEntry);
      const other = { ...payout, id: payoutIdFor(partnerId, period, 'eur') };
      expect(await s.store.ensureAttached({ ...other, entries: [...padding, payout.entries[1] as HeldEntry] })).toBe(
        false,
      );
      expect(await s.store.ensureAttached({ ...payout, entries: [...padding, left as HeldEntry] })).toBe(true);
      expect(annotations(await s.entries(partnerId)).find(([amount]) => amount === 4_000)).toEqual([
        4_000,
        'in_payout',
        payout.id,
      ]);
      expect(await s.store.ensureAttached({ ...payout, entries: [...padding, left as HeldEntry] })).toBe(true);
      expect(counts(await s.store.getRun(runId)).queued).toBe(1);
    });

    it('the planning page lists partners with held entries available by the cutoff, page by page', async () => {
      const s = subject();
      const { partnerId } = fixture();
      const late = fixture().partnerId;
      await seedHeld(s, partnerId, [500]);
      await seedHeld(s, late, [700], CUTOFF + 1);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await s.store.planningPage(CUTOFF, cursor, 1);
        seen.push(...page.candidates.map((c) => `${c.partnerId}/${c.currency}`));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toContain(`${partnerId}/usd`);
      expect(seen).not.toContain(`${late}/usd`);
      expect(await s.store.heldEntries(late, 'usd')).toHaveLength(1);
    });

    it('markSending is conditioned on the version read; completePayout pays once', async () => {
      const s = subject();
      const { partnerId, runId, payout } = await planned(s);
      const sending = await s.store.markSending(payout, AT);
      expect(sending).toMatchObject({ status: 'sending', attempt: 0, attemptStartedAt: AT, version: 2 });
      // A second worker with the stale read: nothing written, it continues with what is stored.
      const stale = await s.store.markSending({ ...payout, attempt: 0 }, '1971-06-15T00:00:01.000Z');
      expect(stale).toMatchObject({ status: 'sending', attemptStartedAt: AT, version: 2 });
      expect(await s.store.completePayout(sending, 'tr_contract', AT)).toBe('completed');
      expect(await s.store.completePayout(sending, 'tr_contract', AT)).toBe('already');
      expect(await s.store.getPayout(partnerId, payout.id)).toMatchObject({
        status: 'paid',
        stripeTransferId: 'tr_contract',
        reason: null,
      });
      expect(annotations(await s.entries(partnerId)).map(([, status]) => status)).toEqual(['paid', 'paid', 'paid']);
      expect((await s.totals(partnerId)).map((t) => t.balance)).toEqual([0]);
      const run = await s.store.getRun(runId);
      expect(counts(run)).toMatchObject({ queued: 1, paid: 1 });
      expect(run?.counters.paidAmount).toEqual({ usd: 6_000 });
    });

    it('carryForward and failPayout apply only to the expected status and attempt, and release the entries', async () => {
      const s = subject();
      const { partnerId, runId, payout } = await planned(s);
      expect(await s.store.carryForward(payout, 'restricted', AT, { status: 'planned', attempt: 1 })).toBe(false);
      expect(await s.store.carryForward(payout, 'restricted', AT, { status: 'sending', attempt: 0 })).toBe(false);
      expect((await s.store.getPayout(partnerId, payout.id))?.status).toBe('planned');
      expect(await s.store.carryForward(payout, 'restricted', AT, { status: 'planned', attempt: 0 })).toBe(true);
      expect(await s.store.carryForward(payout, 'restricted', AT, { status: 'planned', attempt: 0 })).toBe(false);
      expect(await s.store.failPayout(payout, 'no', AT, { status: 'planned', attempt: 0 })).toBe(false);
      expect(await s.store.getPayout(partnerId, payout.id)).toMatchObject({
        status: 'carried_forward',
        reason: 'restricted',
      });
      expect(annotations(await s.entries(partnerId))).toEqual([
        [1_000, 'pending', null],
        [2_000, 'pending', null],
        [3_000, 'pending', null],
      ]);
      expect((await s.store.heldEntries(partnerId, 'usd')).map((e) => e.amount)).toEqual([1_000, 2_000, 3_000]);
      const run = await s.store.getRun(runId);
      expect(counts(run)).toMatchObject({ carriedForward: 1 });
      expect(run?.counters.skipped.restricted).toBe(1);
    });

    it('awaitFunds: once per sent attempt, listed until it is sent again', async () => {
      const s = subject();
      const { partnerId, runId, payout } = await planned(s);
      const sending = await s.store.markSending(payout, AT);
      const waitAt = '1971-06-15T01:00:00.000Z';
      expect(await s.store.awaitFunds(sending, waitAt, { status: 'sending', attempt: 0 })).toBe(true);
      expect(await s.store.awaitFunds(sending, waitAt, { status: 'sending', attempt: 0 })).toBe(false);
      const listed = async (before: string) => {
        const ids: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await s.store.listAwaitingFunds({ before, limit: 50, ...(cursor ? { cursor } : {}) });
          ids.push(...page.payouts.map((p) => p.id));
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
        return ids;
      };
      expect(await listed(waitAt)).toContain(payout.id);
      expect(await listed('1971-06-15T00:59:59.999Z')).not.toContain(payout.id);
      expect(counts(await s.store.getRun(runId)).awaitingFunds).toBe(1);
      const waiting = (await s.store.getPayout(partnerId, payout.id)) as Payout;
      expect(waiting).toMatchObject({ status: 'awaiting_funds', reason: 'awaiting_funds' });
      const again = await s.store.markSending({ ...waiting, attempt: 1, attemptStartedAt: null }, waitAt);
      expect(again).toMatchObject({ status: 'sending', attempt: 1, attemptStartedAt: waitAt });
      expect(await listed(waitAt)).not.toContain(payout.id);
      expect((await s.store.getPayout(partnerId, payout.id))?.reason).toBeNull();
      expect(counts(await s.store.getRun(runId)).awaitingFunds).toBe(0);
    });

    it('reversals add up only from the state they were computed from; a kept reversal is kept once', async () => {
      const s = subject();
      const { partnerId, payout } = await planned(s);
      const sending = await s.store.markSending(payout, AT);
      await s.store.completePayout(sending, 'tr_rev', AT);
      const paid = (await s.store.getPayout(partnerId, payout.id)) as Payout;
      expect(await s.store.reversePayout(paid, 1_500, 'tr_rev_1500', AT)).toBe(true);
      // A second delivery computed from the same (stale) state adds nothing.
      expect(await s.store.reversePayout(paid, 1_500, 'tr_rev_1500', AT)).toBe(false);
      const partly = (await s.store.getPayout(partnerId, payout.id)) as Payout;
      expect(partly).toMatchObject({ status: 'reversed', reversedAmount: 1_500 });
      expect((await s.totals(partnerId)).map((t) => t.balance)).toEqual([1_500]);
      const action: OperatorAction = {
        id: `opa_contract_${partnerId}`,
        partnerId,
        action: 'reversal_kept',
        by: { sub: 'op', email: null },
        reason: 'contract',
        at: AT,
        details: {},
      };
      const plan = {
        kept: 1_500,
        keptTotal: 1_500,
        entry: { id: `kept:${payout.id}:1500`, amount: -1_500, description: 'kept' },
      };
      expect(await s.store.keepReversal(partly, plan, action)).toBe(true);
      expect(await s.store.keepReversal(partly, plan, { ...action, id: `${action.id}_2` })).toBe(false);
      expect((await s.store.getPayout(partnerId, payout.id))?.keptAmount).toBe(1_500);
      expect((await s.totals(partnerId)).map((t) => t.balance)).toEqual([0]);
      expect(await s.store.reversePayout(partly, 6_000, 'tr_rev_6000', AT)).toBe(true);
      expect(await s.store.getPayout(partnerId, payout.id)).toMatchObject({ reversedAmount: 6_000 });
      expect((await s.totals(partnerId)).map((t) => t.balance)).toEqual([4_500]);
    });

    it('a skip is recorded and counted once; run payouts page by status', async () => {
      const s = subject();
      const { partnerId, runId, payout } = await planned(s);
      await s.store.recordSkip(runId, `${partnerId}x`, 'usd', 'below_minimum', 10, AT);
      await s.store.recordSkip(runId, `${partnerId}x`, 'usd', 'below_minimum', 10, AT);
      expect(await s.store.listSkips(runId)).toEqual([
        { partnerId: `${partnerId}x`, currency: 'usd', reason: 'below_minimum', amount: 10 },
      ]);
      const run = await s.store.getRun(runId);
      expect(counts(run).considered).toBe(2);
      expect(run?.counters.skipped.below_minimum).toBe(1);
      const planned1 = await s.store.listRunPayouts(runId, { status: 'planned', limit: 10 });
      expect(planned1.payouts.map((p) => p.id)).toEqual([payout.id]);
      expect((await s.store.listRunPayouts(runId, { status: 'paid', limit: 10 })).payouts).toEqual([]);
      const found = await s.store.getPayouts([
        { partnerId, payoutId: payout.id },
        { partnerId, payoutId: `${payout.id}_missing` },
      ]);
      expect([...found.keys()]).toEqual([payout.id]);
    });
  });
}
