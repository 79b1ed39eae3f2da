import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { ledgerEntryKey } from '#adapters/dynamodb/payment-keys';
import type { DomainEvent } from '#core/domain-events';
import { EARNING_TYPES } from '#core/ledger';
import { CURRENCIES, type Currency } from '#core/money';
import type { HeldEarning, LedgerRecord, LedgerTotals } from '#core/payment-ports';
import { payoutRunCompletedEvent } from '#core/payout-events';
import { type HeldEntry, periodOfPayoutId, type SkipReason } from '#core/payout-rules';
import {
  afterSendingRace,
  type CoveredEntries,
  completionRetry,
  type PayoutChange,
  type PayoutPlan,
  planAwaitFunds,
  planCarryForward,
  planCompletion,
  planFailure,
  planKeptReversal,
  planReversal,
  planSending,
  planSkip,
  releasesEntries,
} from '#core/payout-transitions';
import {
  type CounterDelta,
  emptyCounters,
  type KeepReversalPlan,
  type OperatorAction,
  type Payout,
  type PayoutExpectation,
  type PayoutRun,
  type PayoutStatus,
  type PayoutStore,
  type RunCounters,
} from '#core/payouts';

/**
 * The payout store in memory, with the DynamoDB adapter's conditional semantics (functions/adapters/dynamodb/
 * payout-store.ts): every write that is conditional there is conditional here on the same state, a transaction
 * there is all-or-nothing here, and the writes the adapter splits into chunks (a payout's entries beyond one
 * transaction) are split here too, so a crash between two chunks leaves what it leaves there. The shared contract
 * (tests/helpers/payout-store-contract.ts) runs the same cases against both, so this fake cannot drift.
 *
 * It also holds the ledger the payout run reads and writes (entries with their payout annotations, the partner
 * totals, the held-earning guards), so the core's earnings functions (`syncCommission`, `recordHeldEarnings`) can
 * run on it too (`ledger`), and the operator's holds and actions (`operatorActions`).
 *
 * `step` is called before every method and after each write commits (and between chunks): the simulation uses it
 * to interleave concurrent callers and to crash a caller at any step.
 */
export interface MemoryPayoutStoreOptions {
  /** Entries per transaction (the adapter's is 90); small values make chunk boundaries reachable in tests. */
  chunkSize?: number;
  step?: (label: string) => void | Promise<void>;
}

/** A ledger entry as stored: the record, its sort key, and whether it is in the held-entries index (GSI3). */
interface Row {
  record: LedgerRecord;
  sk: string;
  indexed: boolean;
  /** The payout annotations, the only attributes the payout run updates. */
  payoutStatus: LedgerRecord['payoutStatus'];
  payoutId: string | undefined;
}

interface StoredPayout {
  payout: Payout;
  /** The awaiting-funds index key (`<at>#<payoutId>`), while the payout waits for funds. */
  awaitingKey: string | null;
}

interface StoredRun {
  run: Omit<PayoutRun, 'counters'>;
  counters: RunCounters;
}

interface Skip {
  partnerId: string;
  currency: Currency;
  reason: SkipReason;
  amount: number;
}

interface Op {
  check: () => boolean;
  apply: () => void;
}

const CURRENCY_LIST = Object.keys(CURRENCIES) as Currency[];

export const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

const encodeCursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
function decodeCursor(cursor: string): string {
  const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (typeof value !== 'string') throw new Error('invalid cursor');
  return value;
}

/** A page of `keys` (sorted) after the cursor's key, and the cursor of the next page (null: the last). */
function pageAfter<T>(sorted: Array<{ key: string; value: T }>, cursor: string | undefined | null, limit: number) {
  const after = cursor ? decodeCursor(cursor) : null;
  const rest = after === null ? sorted : sorted.filter((item) => item.key > after);
  const page = rest.slice(0, limit);
  const last = page[page.length - 1];
  return {
    values: page.map((item) => item.value),
    nextCursor: rest.length > limit && last ? encodeCursor(last.key) : null,
  };
}

const copyPayout = (payout: Payout): Payout => ({
  ...payout,
  entries: payout.entries.map((entry) => ({ ...entry })),
  keptAmount: payout.keptAmount ?? 0,
});

export class MemoryPayoutStore implements PayoutStore {
  readonly runs = new Map<string, StoredRun>();
  readonly payouts = new Map<string, StoredPayout>();
  readonly skips = new Map<string, Map<string, Skip>>();
  /** Ledger rows per partner. */
  readonly rows = new Map<string, Map<string, Row>>();
  readonly totalsOf = new Map<string, LedgerTotals>();
  readonly held = new Map<string, HeldEarning>();
  readonly events = new Map<string, DomainEvent>();
  readonly actions = new Map<string, OperatorAction>();
  private readonly chunkSize: number;
  protected readonly step: (label: string) => void | Promise<void>;

  constructor(options: MemoryPayoutStoreOptions = {}) {
    this.chunkSize = options.chunkSize ?? 90;
    this.step = options.step ?? (() => undefined);
  }

  /**
   * The same store (the same data) seen by one caller with its own `step`: the simulation gives each invocation its
   * own view, so a crash or an interleaving point belongs to the caller that reached it.
   */
  withStep(step: (label: string) => void | Promise<void>): this {
    return Object.create(this, { step: { value: step } });
  }

  // -------------------------------------------------------------------------------------------------------------
  // Writes: a single conditional write, or a transaction of several (checked in full, then applied in full)

  private transact(ops: readonly Op[]): void {
    if (!ops.every((op) => op.check())) throw conditionFailed();
    for (const op of ops) op.apply();
  }

  /** The adapter's `updateEntries`: each on its own, an entry already moved (a retry) is skipped. */
  private async each(ops: readonly Op[], label: string): Promise<void> {
    for (const op of ops) {
      await this.step(`${label}:chunk`);
      if (op.check()) op.apply();
    }
  }

  private row(partnerId: string, entry: HeldEntry): Row | undefined {
    return this.rows.get(partnerId)?.get((entry as HeldEntry & { ref?: string }).ref ?? '');
  }

  private attachOp(payout: Payout, entry: HeldEntry): Op {
    const row = () => this.row(payout.partnerId, entry);
    return {
      check: () => {
        const r = row();
        return r !== undefined && ((r.payoutStatus === 'pending' && r.indexed) || r.payoutId === payout.id);
      },
      apply: () => {
        const r = row() as Row;
        r.payoutStatus = 'in_payout';
        r.payoutId = payout.id;
        r.indexed = false;
      },
    };
  }

  private settleOp(payout: Payout, entry: HeldEntry): Op {
    const row = () => this.row(payout.partnerId, entry);
    return {
      check: () => row()?.payoutId === payout.id,
      apply: () => {
        (row() as Row).payoutStatus = 'paid';
      },
    };
  }

  private releaseOp(payout: Payout, entry: HeldEntry, from: 'in_payout' | 'paid'): Op {
    const row = () => this.row(payout.partnerId, entry);
    return {
      check: () => {
        const r = row();
        return r?.payoutId === payout.id && r.payoutStatus === from;
      },
      apply: () => {
        const r = row() as Row;
        r.payoutStatus = 'pending';
        r.payoutId = undefined;
        // The adapter writes the index keys back from the payout's currency and the entry's availableAt.
        r.indexed = true;
      },
    };
  }

  /** `ledgerWriteItems`: the entries (each a conditional put) and the partner's totals (an ADD). */
  private ledgerOps(entries: readonly LedgerRecord[]): Op[] {
    const first = entries[0];
    if (!first) return [];
    const keyed = entries.map((entry) => ({
      entry,
      sk: ledgerEntryKey(entry.partnerId, EARNING_TYPES.has(entry.type), entry.occurredAt, entry.id).SK,
    }));
    return [
      ...keyed.map(
        ({ entry, sk }): Op => ({
          check: () => !this.rows.get(entry.partnerId)?.has(sk),
          apply: () => {
            const rows = this.rows.get(entry.partnerId) ?? new Map<string, Row>();
            this.rows.set(entry.partnerId, rows);
            rows.set(sk, {
              record: { ...entry },
              sk,
              indexed: entry.payoutStatus === 'pending' && entry.availableAt !== undefined,
              payoutStatus: entry.payoutStatus,
              payoutId: entry.payoutId,
            });
          },
        }),
      ),
      {
        check: () => true,
        apply: () => {
          const key = `${first.partnerId}#${first.currency}`;
          const totals = this.totalsOf.get(key) ?? {
            partnerId: first.partnerId,
            currency: first.currency,
            balance: 0,
            earned: 0,
            entryCount: 0,
          };
          for (const entry of entries) {
            totals.balance += entry.amount;
            if (EARNING_TYPES.has(entry.type)) totals.earned += entry.amount;
            totals.entryCount += 1;
          }
          this.totalsOf.set(key, totals);
        },
      },
    ];
  }

  private outboxOp(event: DomainEvent): Op {
    return {
      check: () => !this.events.has(event.id),
      apply: () => {
        this.events.set(event.id, event);
      },
    };
  }

  private actionOp(action: OperatorAction): Op {
    return {
      check: () => !this.actions.has(action.id),
      apply: () => {
        this.actions.set(action.id, { ...action });
      },
    };
  }

  private counterOp(runId: string, delta: CounterDelta): Op {
    return {
      check: () => true,
      apply: () => {
        // The counter shards are separate items: they exist (and add up) whether or not the run item does.
        const stored = this.runs.get(runId);
        const counters = stored?.counters ?? this.orphanCounters(runId);
        for (const key of ['considered', 'queued', 'paid', 'carriedForward', 'awaitingFunds', 'failed'] as const) {
          counters[key] += delta[key] ?? 0;
        }
        for (const [reason, value] of Object.entries(delta.skipped ?? {}))
          counters.skipped[reason as SkipReason] += value ?? 0;
        for (const [currency, value] of Object.entries(delta.plannedAmount ?? {}))
          if (value)
            counters.plannedAmount[currency as Currency] = (counters.plannedAmount[currency as Currency] ?? 0) + value;
        for (const [currency, value] of Object.entries(delta.paidAmount ?? {}))
          if (value)
            counters.paidAmount[currency as Currency] = (counters.paidAmount[currency as Currency] ?? 0) + value;
      },
    };
  }

  /** Counter shards written before their run item (a counter ADD creates its shard). */
  private readonly pendingCounters = new Map<string, RunCounters>();
  private orphanCounters(runId: string): RunCounters {
    const counters = this.pendingCounters.get(runId) ?? emptyCounters();
    this.pendingCounters.set(runId, counters);
    return counters;
  }

  /** `payoutChangeItem`: the plan's change to the payout record, only while the stored payout matches its guard. */
  private changeOp(payout: Payout, change: PayoutChange): Op {
    const stored = () => this.payouts.get(payout.id);
    return {
      check: () => {
        const s = stored()?.payout;
        if (!s || s.partnerId !== payout.partnerId) return false;
        const { guard } = change;
        if (guard.status && !guard.status.includes(s.status)) return false;
        if (guard.attempt !== undefined && s.attempt !== guard.attempt) return false;
        if (guard.version !== undefined && s.version !== guard.version) return false;
        if (guard.stripeTransferId !== undefined && s.stripeTransferId !== guard.stripeTransferId) return false;
        if (guard.reversedAmount !== undefined && s.reversedAmount !== guard.reversedAmount) return false;
        if (guard.keptAmount !== undefined && (s.keptAmount ?? 0) !== guard.keptAmount) return false;
        return true;
      },
      apply: () => {
        const s = stored() as StoredPayout;
        // `paidAt` is stored by the adapter but is not part of the payout it reads back.
        const { paidAt: _, ...set } = change.set;
        const defined = Object.fromEntries(Object.entries(set).filter(([, value]) => value !== undefined));
        s.payout = {
          ...s.payout,
          ...defined,
          ...(change.to ? { status: change.to } : {}),
          ...(change.clearReason ? { reason: null } : {}),
          updatedAt: change.at,
          version: change.bumpVersion ? s.payout.version + 1 : s.payout.version,
        };
        if (change.awaitingFunds === 'enter') s.awaitingKey = `${change.at}#${payout.id}`;
        if (change.awaitingFunds === 'leave') s.awaitingKey = null;
      },
    };
  }

  /** `coveredEntryItems`: the moves of every entry the payout covers, as the plan says. */
  private coveredOps(payout: Payout, entries: CoveredEntries): Op[] {
    if (entries.move === 'settle') return payout.entries.map((entry) => this.settleOp(payout, entry));
    if (entries.move === 'release') return payout.entries.map((entry) => this.releaseOp(payout, entry, entries.from));
    return [];
  }

  /**
   * `writePayoutPlan`: the action, the event, the payout's change, the ledger entries, the counters and the first
   * chunk of the covered entries in one transaction; the rest of the entries after it, one by one.
   */
  private async writePlan(payout: Payout, plan: PayoutPlan, label: string): Promise<void> {
    const moves = this.coveredOps(payout, plan.entries);
    this.transact([
      ...(plan.action ? [this.actionOp(plan.action)] : []),
      ...(plan.event ? [this.outboxOp(plan.event)] : []),
      this.changeOp(payout, plan.change),
      ...this.ledgerOps(plan.ledger),
      this.counterOp(payout.runId, plan.counters),
      ...moves.slice(0, this.chunkSize),
    ]);
    await this.step(`${label}:done`);
    await this.each(moves.slice(this.chunkSize), label);
  }

  /** `applyPayoutPlan`: false instead of the condition failure (then nothing was written). */
  private async applyPlan(payout: Payout, plan: PayoutPlan, label: string): Promise<boolean> {
    try {
      await this.writePlan(payout, plan, label);
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Runs

  private toRun(stored: StoredRun): PayoutRun {
    const counters: RunCounters = {
      ...stored.counters,
      skipped: { ...stored.counters.skipped, awaiting_funds: stored.counters.awaitingFunds },
      plannedAmount: { ...stored.counters.plannedAmount },
      paidAmount: { ...stored.counters.paidAmount },
    };
    return { ...stored.run, counters };
  }

  async getRun(runId: string) {
    await this.step('getRun');
    const stored = this.runs.get(runId);
    return stored ? this.toRun(stored) : undefined;
  }

  async createRun(run: PayoutRun) {
    await this.step('createRun');
    const existing = this.runs.get(run.id);
    if (existing) return { created: false, run: this.toRun(existing) };
    const { counters: _, ...rest } = run;
    const counters = this.pendingCounters.get(run.id) ?? emptyCounters();
    this.pendingCounters.delete(run.id);
    this.runs.set(run.id, { run: { ...rest, planningComplete: false, finishedAt: null }, counters });
    await this.step('createRun:done');
    return { created: true, run };
  }

  async listRuns({ cursor, limit }: { cursor?: string; limit: number }) {
    await this.step('listRuns');
    // Newest first: the index sorts by `<startedAt>#<runId>`, read backwards (the cursor key is inverted).
    const sorted = [...this.runs.values()]
      .map((stored) => ({ key: `${stored.run.startedAt}#${stored.run.id}`, value: stored }))
      .sort((a, b) => (a.key < b.key ? 1 : -1));
    const after = cursor ? decodeCursor(cursor) : null;
    const rest = after === null ? sorted : sorted.filter((item) => item.key < after);
    const page = rest.slice(0, limit);
    const last = page[page.length - 1];
    return {
      runs: page.map((item) => this.toRun(item.value)),
      nextCursor: rest.length > limit && last ? encodeCursor(last.key) : null,
    };
  }

  async markPlanningComplete(runId: string, _at: string) {
    await this.step('markPlanningComplete');
    const stored = this.runs.get(runId);
    if (stored) stored.run = { ...stored.run, planningComplete: true };
    await this.step('markPlanningComplete:done');
  }

  async approveRun(runId: string, _at: string) {
    await this.step('approveRun');
    const stored = this.runs.get(runId);
    if (!stored || stored.run.approved) return false;
    stored.run = { ...stored.run, approved: true };
    await this.step('approveRun:done');
    return true;
  }

  async markRunFinished(run: PayoutRun, at: string) {
    await this.step('markRunFinished');
    const stored = () => this.runs.get(run.id);
    try {
      this.transact([
        {
          check: () => stored() !== undefined && stored()?.run.finishedAt === null,
          apply: () => {
            const s = stored() as StoredRun;
            s.run = { ...s.run, finishedAt: at };
          },
        },
        this.outboxOp(payoutRunCompletedEvent(run, at)),
      ]);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return;
    }
    await this.step('markRunFinished:done');
  }

  // -------------------------------------------------------------------------------------------------------------
  // Planning

  async planningPage(cutoff: number, cursor: string | null, limit: number) {
    await this.step('planningPage');
    const pairs = new Map<string, { partnerId: string; currency: Currency }>();
    for (const [partnerId, rows] of this.rows) {
      for (const row of rows.values()) {
        const { availableAt, currency } = row.record;
        if (!row.indexed || availableAt === undefined || availableAt > cutoff) continue;
        const key = `${String(CURRENCY_LIST.indexOf(currency)).padStart(3, '0')}#${partnerId}`;
        pairs.set(key, { partnerId, currency });
      }
    }
    const sorted = [...pairs].map(([key, value]) => ({ key, value })).sort((a, b) => (a.key < b.key ? -1 : 1));
    const { values, nextCursor } = pageAfter(sorted, cursor, limit);
    return { candidates: values, nextCursor };
  }

  async heldEntries(partnerId: string, currency: Currency): Promise<HeldEntry[]> {
    await this.step('heldEntries');
    const rows = [...(this.rows.get(partnerId)?.values() ?? [])]
      .filter((row) => row.indexed && row.record.currency === currency && row.payoutStatus === 'pending')
      .sort((a, b) => (a.sk < b.sk ? -1 : 1));
    return rows.map((row) => ({
      id: row.record.id,
      amount: row.record.amount,
      availableAt: row.record.availableAt as number,
      ref: row.sk,
      ...(row.record.platformReference !== undefined ? { platformReference: row.record.platformReference } : {}),
    }));
  }

  async createPayout(payout: Payout, delta: CounterDelta) {
    await this.step('createPayout');
    const first = payout.entries.slice(0, this.chunkSize);
    const rest = payout.entries.slice(this.chunkSize);
    try {
      this.transact([
        {
          check: () => !this.payouts.has(payout.id),
          apply: () => {
            this.payouts.set(payout.id, { payout: copyPayout(payout), awaitingKey: null });
          },
        },
        ...first.map((entry) => this.attachOp(payout, entry)),
        this.counterOp(payout.runId, delta),
      ]);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException && this.payouts.has(payout.id)) return 'exists' as const;
      throw error;
    }
    await this.step('createPayout:done');
    await this.each(
      rest.map((entry) => this.attachOp(payout, entry)),
      'createPayout',
    );
    return 'created' as const;
  }

  async recordSkip(runId: string, partnerId: string, currency: Currency, reason: SkipReason, amount: number) {
    await this.step('recordSkip');
    const key = `${partnerId}#${currency}`;
    const skips = () => this.skips.get(runId);
    try {
      this.transact([
        {
          check: () => !skips()?.has(key),
          apply: () => {
            const map = skips() ?? new Map<string, Skip>();
            this.skips.set(runId, map);
            map.set(key, { partnerId, currency, reason, amount });
          },
        },
        this.counterOp(runId, planSkip({ runId, partnerId, currency, reason, amount, at: '' }).counters),
      ]);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return;
    }
    await this.step('recordSkip:done');
  }

  async listSkips(runId: string) {
    await this.step('listSkips');
    return [...(this.skips.get(runId)?.values() ?? [])]
      .sort((a, b) => (`${a.partnerId}#${a.currency}` < `${b.partnerId}#${b.currency}` ? -1 : 1))
      .map((skip) => ({ ...skip }));
  }

  // -------------------------------------------------------------------------------------------------------------
  // Payouts

  private read(partnerId: string, payoutId: string): Payout | undefined {
    if (!periodOfPayoutId(payoutId)) return undefined;
    const stored = this.payouts.get(payoutId);
    return stored && stored.payout.partnerId === partnerId ? copyPayout(stored.payout) : undefined;
  }

  async getPayout(partnerId: string, payoutId: string) {
    await this.step('getPayout');
    return this.read(partnerId, payoutId);
  }

  async getPayouts(refs: ReadonlyArray<{ partnerId: string; payoutId: string }>) {
    await this.step('getPayouts');
    const found = new Map<string, Payout>();
    for (const ref of refs) {
      const payout = this.read(ref.partnerId, ref.payoutId);
      if (payout) found.set(payout.id, payout);
    }
    return found;
  }

  async ensureAttached(payout: Payout) {
    await this.step('ensureAttached');
    let all = true;
    for (const op of payout.entries.slice(this.chunkSize).map((entry) => this.attachOp(payout, entry))) {
      await this.step('ensureAttached:chunk');
      if (op.check()) op.apply();
      else all = false;
    }
    return all;
  }

  async markSending(payout: Payout, at: string): Promise<Payout> {
    await this.step('markSending');
    const planned = planSending(payout, at);
    if (!planned) return payout;
    try {
      await this.writePlan(payout, planned.plan, 'markSending');
      return planned.sending;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const latest = this.read(payout.partnerId, payout.id);
      if (!latest) throw error;
      return afterSendingRace(latest, payout);
    }
  }

  async completePayout(payout: Payout, transferId: string, at: string) {
    await this.step('completePayout');
    let known = payout.status;
    for (let tries = 0; ; tries++) {
      const plan = planCompletion(payout, known, transferId, at);
      try {
        await this.writePlan(payout, plan, 'completePayout');
        return 'completed' as const;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const next = completionRetry(this.read(payout.partnerId, payout.id), known, tries);
        if (next.kind === 'give_up') throw error;
        if (next.kind === 'already') {
          await this.each(this.coveredOps(payout, plan.entries), 'completePayout');
          return 'already' as const;
        }
        known = next.known;
      }
    }
  }

  async carryForward(
    payout: Payout,
    reason: SkipReason,
    at: string,
    expected: PayoutExpectation,
    action?: OperatorAction,
  ) {
    await this.step('carryForward');
    return this.applyPlan(payout, planCarryForward(payout, reason, at, expected, action), 'carryForward');
  }

  async failPayout(payout: Payout, message: string, at: string, expected: PayoutExpectation) {
    await this.step('failPayout');
    return this.applyPlan(payout, planFailure(payout, message, at, expected), 'failPayout');
  }

  async ensureReleased(payout: Payout) {
    await this.step('ensureReleased');
    if (!releasesEntries(payout)) return;
    await this.each(
      payout.entries.slice(this.chunkSize).map((entry) => this.releaseOp(payout, entry, 'in_payout')),
      'ensureReleased',
    );
  }

  async awaitFunds(payout: Payout, at: string, expected: PayoutExpectation) {
    await this.step('awaitFunds');
    return this.applyPlan(payout, planAwaitFunds(payout, at, expected), 'awaitFunds');
  }

  async listAwaitingFunds({ before, cursor, limit }: { before: string; cursor?: string; limit: number }) {
    await this.step('listAwaitingFunds');
    const sorted = [...this.payouts.values()]
      .filter((stored) => stored.awaitingKey !== null && stored.awaitingKey < `${before}~`)
      .map((stored) => ({ key: stored.awaitingKey as string, value: copyPayout(stored.payout) }))
      .sort((a, b) => (a.key < b.key ? -1 : 1));
    const { values, nextCursor } = pageAfter(sorted, cursor, limit);
    return { payouts: values, nextCursor };
  }

  async listRunPayouts(
    runId: string,
    { status, cursor, limit }: { status?: PayoutStatus; cursor?: string; limit: number },
  ) {
    await this.step('listRunPayouts');
    const sorted = [...this.payouts.values()]
      .filter((stored) => stored.payout.runId === runId && (!status || stored.payout.status === status))
      .map((stored) => ({ key: `${stored.payout.status}#${stored.payout.id}`, value: copyPayout(stored.payout) }))
      .sort((a, b) => (a.key < b.key ? -1 : 1));
    const { values, nextCursor } = pageAfter(sorted, cursor, limit);
    return { payouts: values, nextCursor };
  }

  async reversePayout(payout: Payout, amountReversed: number, reversalId: string, at: string) {
    await this.step('reversePayout');
    const transferId = payout.stripeTransferId;
    const plan = transferId ? planReversal(payout, { transferId, amountReversed, reversalId }, at) : null;
    return plan ? this.applyPlan(payout, plan, 'reversePayout') : false;
  }

  async keepReversal(payout: Payout, plan: KeepReversalPlan, action: OperatorAction) {
    await this.step('keepReversal');
    return this.applyPlan(payout, planKeptReversal(payout, plan, action), 'keepReversal');
  }

  // -------------------------------------------------------------------------------------------------------------
  // The ledger the payout run works on (the `LedgerStore` methods the earnings functions use)

  /** The `LedgerStore` methods of this view (bound to it). */
  get ledger() {
    return {
      recordHeld: (earning: HeldEarning, entry: LedgerRecord) => this.recordHeld(earning, entry),
      getHeld: (externalIds: readonly string[]) => this.getHeld(externalIds),
      clawBack: (earning: HeldEarning, entry: LedgerRecord) => this.clawBack(earning, entry),
    };
  }

  async recordHeld(earning: HeldEarning, entry: LedgerRecord) {
    await this.step('recordHeld');
    try {
      this.transact([
        {
          check: () => !this.held.has(earning.externalId),
          apply: () => {
            this.held.set(earning.externalId, { ...earning });
          },
        },
        ...this.ledgerOps([entry]),
      ]);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const existing = this.held.get(earning.externalId);
      if (!existing) throw error;
      return { recorded: false as const, existing: { ...existing } };
    }
    await this.step('recordHeld:done');
    return { recorded: true as const };
  }
  async getHeld(externalIds: readonly string[]) {
    await this.step('getHeld');
    const found = new Map<string, HeldEarning>();
    for (const id of externalIds) {
      const earning = this.held.get(id);
      if (earning) found.set(id, { ...earning });
    }
    return found;
  }
  async clawBack(earning: HeldEarning, entry: LedgerRecord) {
    await this.step('clawBack');
    try {
      this.transact([
        {
          check: () => this.held.get(earning.externalId)?.version === earning.version,
          apply: () => {
            this.held.set(earning.externalId, {
              ...earning,
              clawedBack: earning.clawedBack - entry.amount,
              version: earning.version + 1,
            });
          },
        },
        ...this.ledgerOps([entry]),
      ]);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
    await this.step('clawBack:done');
    return true;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Read-outs for checks (no step: they are the observer, not the code under test)

  /** Every entry of a partner with its current payout annotations, in sort-key order. */
  entriesOf(partnerId: string): LedgerRecord[] {
    return [...(this.rows.get(partnerId)?.values() ?? [])]
      .sort((a, b) => (a.sk < b.sk ? -1 : 1))
      .map((row) => {
        const { payoutStatus: _s, payoutId: _p, ...rest } = row.record;
        return {
          ...rest,
          ...(row.payoutStatus ? { payoutStatus: row.payoutStatus } : {}),
          ...(row.payoutId ? { payoutId: row.payoutId } : {}),
        };
      });
  }

  totals(partnerId: string): LedgerTotals[] {
    return [...this.totalsOf.values()].filter((totals) => totals.partnerId === partnerId).map((t) => ({ ...t }));
  }

  partnerIds(): string[] {
    return [...this.rows.keys()];
  }

  allPayouts(): Payout[] {
    return [...this.payouts.values()].map((stored) => copyPayout(stored.payout));
  }
}
