import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { ledgerEntryKey } from '#adapters/dynamodb/payment-keys';
import type { DomainEvent } from '#core/domain-events';
import { EARNING_TYPES } from '#core/ledger';
import { CURRENCIES, type Currency } from '#core/money';
import type { HeldEarning, LedgerRecord, LedgerTotals } from '#core/payment-ports';
import {
  payoutAwaitingFundsEvent,
  payoutCarriedForwardEvent,
  payoutFailedEvent,
  payoutPaidEvent,
  payoutReversedEvent,
  payoutRunCompletedEvent,
} from '#core/payout-events';
import { type HeldEntry, periodOfPayoutId, type SkipReason } from '#core/payout-rules';
import {
  type CounterDelta,
  emptyCounters,
  type OperatorAction,
  type Payout,
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

const OPEN: readonly PayoutStatus[] = ['planned', 'sending', 'awaiting_funds'];
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

  /** `payoutTransition`: the status change, conditioned on `from` (default: any open status), version, attempt. */
  private transitionOp(
    payout: Payout,
    status: PayoutStatus,
    at: string,
    extra: {
      set?: Partial<Payout>;
      awaiting?: 'set' | 'remove';
      awaitingKey?: string;
      from?: PayoutStatus;
      version?: number;
      attempt?: number;
    } = {},
  ): Op {
    const stored = () => this.payouts.get(payout.id);
    return {
      check: () => {
        const s = stored()?.payout;
        if (!s || s.partnerId !== payout.partnerId) return false;
        if (extra.from ? s.status !== extra.from : !OPEN.includes(s.status)) return false;
        if (extra.version !== undefined && s.version !== extra.version) return false;
        if (extra.attempt !== undefined && s.attempt !== extra.attempt) return false;
        return true;
      },
      apply: () => {
        const s = stored() as StoredPayout;
        s.payout = { ...s.payout, ...extra.set, status, updatedAt: at, version: s.payout.version + 1 };
        if (extra.awaiting === 'remove') s.awaitingKey = null;
        if (extra.awaiting === 'set') s.awaitingKey = extra.awaitingKey ?? null;
      },
    };
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
        this.counterOp(runId, { considered: 1, skipped: { [reason]: 1 } }),
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
    await this.each(
      payout.entries.slice(this.chunkSize).map((entry) => this.attachOp(payout, entry)),
      'ensureAttached',
    );
  }

  async markSending(payout: Payout, at: string): Promise<Payout> {
    await this.step('markSending');
    if (payout.status === 'sending' && payout.attemptStartedAt !== null) return payout;
    const attemptStartedAt = payout.attemptStartedAt ?? at;
    const wasAwaiting = payout.status === 'awaiting_funds';
    try {
      this.transact([
        this.transitionOp(payout, 'sending', at, {
          set: { attempt: payout.attempt, attemptStartedAt, ...(wasAwaiting ? { reason: null } : {}) },
          ...(wasAwaiting ? { awaiting: 'remove' as const } : {}),
          version: payout.version,
        }),
        ...(wasAwaiting ? [this.counterOp(payout.runId, { awaitingFunds: -1 })] : []),
      ]);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const latest = this.read(payout.partnerId, payout.id);
      if (!latest) throw error;
      return latest.attempt >= payout.attempt ? latest : { ...latest, attempt: payout.attempt };
    }
    await this.step('markSending:done');
    return { ...payout, status: 'sending', attemptStartedAt, version: payout.version + 1 };
  }

  async completePayout(payout: Payout, transferId: string, at: string) {
    await this.step('completePayout');
    const settle = payout.entries.map((entry) => this.settleOp(payout, entry));
    let known: PayoutStatus = payout.status;
    for (let tries = 0; ; tries++) {
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
      const wasAwaiting = known === 'awaiting_funds';
      try {
        this.transact([
          this.transitionOp(payout, 'paid', at, {
            set: { stripeTransferId: transferId, reason: null },
            ...(wasAwaiting ? { awaiting: 'remove' as const } : {}),
            from: known,
          }),
          ...this.ledgerOps([entry]),
          this.counterOp(payout.runId, {
            paid: 1,
            paidAmount: { [payout.currency]: payout.amount },
            ...(wasAwaiting ? { awaitingFunds: -1 } : {}),
          }),
          this.outboxOp(payoutPaidEvent(payout, transferId, at)),
          ...settle.slice(0, this.chunkSize),
        ]);
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const latest = this.read(payout.partnerId, payout.id);
        if (latest?.status === 'paid') {
          await this.each(settle, 'completePayout');
          return 'already' as const;
        }
        if (!latest || !OPEN.includes(latest.status) || latest.status === known || tries >= 2) throw error;
        known = latest.status;
        continue;
      }
      await this.step('completePayout:done');
      await this.each(settle.slice(this.chunkSize), 'completePayout');
      return 'completed' as const;
    }
  }

  /** `leaveOpenStatus`: the transition and its companions with the first chunk of releases, the rest after. */
  private async leaveOpenStatus(payout: Payout, ops: Op[], label: string): Promise<boolean> {
    const releases = payout.entries.map((entry) => this.releaseOp(payout, entry, 'in_payout'));
    try {
      this.transact([...ops, ...releases.slice(0, this.chunkSize)]);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
    await this.step(`${label}:done`);
    await this.each(releases.slice(this.chunkSize), label);
    return true;
  }

  async carryForward(
    payout: Payout,
    reason: SkipReason,
    at: string,
    expected: { status: PayoutStatus; attempt: number },
    action?: OperatorAction,
  ) {
    await this.step('carryForward');
    const fromAwaiting = expected.status === 'awaiting_funds';
    return this.leaveOpenStatus(
      payout,
      [
        ...(action ? [this.actionOp(action)] : []),
        this.outboxOp(payoutCarriedForwardEvent(payout, reason, at)),
        this.transitionOp(payout, 'carried_forward', at, {
          set: { reason },
          ...(fromAwaiting ? { awaiting: 'remove' as const } : {}),
          from: expected.status,
          attempt: expected.attempt,
        }),
        this.counterOp(payout.runId, {
          carriedForward: 1,
          skipped: { [reason]: 1 },
          ...(fromAwaiting ? { awaitingFunds: -1 } : {}),
        }),
      ],
      'carryForward',
    );
  }

  async failPayout(payout: Payout, message: string, at: string, expected: { status: PayoutStatus; attempt: number }) {
    await this.step('failPayout');
    const fromAwaiting = expected.status === 'awaiting_funds';
    return this.leaveOpenStatus(
      payout,
      [
        this.outboxOp(payoutFailedEvent(payout, message, at)),
        this.transitionOp(payout, 'failed', at, {
          set: { reason: `stripe_rejected: ${message.slice(0, 300)}` },
          ...(fromAwaiting ? { awaiting: 'remove' as const } : {}),
          from: expected.status,
          attempt: expected.attempt,
        }),
        this.counterOp(payout.runId, { failed: 1, ...(fromAwaiting ? { awaitingFunds: -1 } : {}) }),
      ],
      'failPayout',
    );
  }

  async ensureReleased(payout: Payout) {
    await this.step('ensureReleased');
    if (payout.status !== 'carried_forward' && payout.status !== 'failed') return;
    await this.each(
      payout.entries.slice(this.chunkSize).map((entry) => this.releaseOp(payout, entry, 'in_payout')),
      'ensureReleased',
    );
  }

  async awaitFunds(payout: Payout, at: string, expected: { status: PayoutStatus; attempt: number }) {
    await this.step('awaitFunds');
    try {
      this.transact([
        this.transitionOp(payout, 'awaiting_funds', at, {
          set: { reason: 'awaiting_funds' },
          awaiting: 'set',
          awaitingKey: `${at}#${payout.id}`,
          from: expected.status,
          attempt: expected.attempt,
        }),
        this.counterOp(payout.runId, { awaitingFunds: 1 }),
        this.outboxOp(payoutAwaitingFundsEvent(payout, expected.attempt, at)),
      ]);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
    await this.step('awaitFunds:done');
    return true;
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
    const now = Date.parse(at);
    const total = Math.min(amountReversed, payout.amount);
    const returned = total - payout.reversedAmount;
    const full = payout.reversedAmount === 0 && total === payout.amount;
    const entry: LedgerRecord = {
      id: `le_reversal_${reversalId}`,
      partnerId: payout.partnerId,
      currency: payout.currency,
      type: 'reversal',
      amount: returned,
      occurredAt: now,
      description: `Transfer of payout ${payout.period} reversed`,
      reference: payout.id,
      recordedAt: at,
      ...(full ? {} : { payoutStatus: 'pending' as const, availableAt: now }),
    };
    const releases = full ? payout.entries.map((held) => this.releaseOp(payout, held, 'paid')) : [];
    const stored = () => this.payouts.get(payout.id);
    try {
      this.transact([
        {
          check: () => {
            const s = stored()?.payout;
            return (
              s !== undefined &&
              s.partnerId === payout.partnerId &&
              (s.status === 'paid' || s.status === 'reversed') &&
              s.stripeTransferId === payout.stripeTransferId &&
              s.reversedAmount === payout.reversedAmount
            );
          },
          apply: () => {
            const s = stored() as StoredPayout;
            // As the adapter: no version bump on a reversal.
            s.payout = {
              ...s.payout,
              status: 'reversed',
              updatedAt: at,
              reversedAmount: total,
              reason: 'transfer_reversed',
            };
          },
        },
        ...this.ledgerOps([entry]),
        this.outboxOp(payoutReversedEvent(payout, total, at)),
        ...releases.slice(0, this.chunkSize),
      ]);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
    await this.step('reversePayout:done');
    await this.each(releases.slice(this.chunkSize), 'reversePayout');
    return true;
  }

  async keepReversal(
    payout: Payout,
    plan: { kept: number; keptTotal: number; entry: { id: string; amount: number; description: string } },
    action: OperatorAction,
  ) {
    await this.step('keepReversal');
    const at = action.at;
    const now = Date.parse(at);
    const entry: LedgerRecord = {
      id: plan.entry.id,
      partnerId: payout.partnerId,
      currency: payout.currency,
      type: 'adjustment',
      amount: plan.entry.amount,
      occurredAt: now,
      description: plan.entry.description,
      reference: payout.id,
      payoutStatus: 'pending',
      availableAt: now,
      recordedAt: at,
    };
    const stored = () => this.payouts.get(payout.id);
    try {
      this.transact([
        {
          check: () => {
            const s = stored()?.payout;
            return (
              s !== undefined &&
              s.partnerId === payout.partnerId &&
              s.reversedAmount === payout.reversedAmount &&
              (s.keptAmount ?? 0) === (payout.keptAmount ?? 0)
            );
          },
          apply: () => {
            const s = stored() as StoredPayout;
            s.payout = { ...s.payout, keptAmount: plan.keptTotal, updatedAt: at, version: s.payout.version + 1 };
          },
        },
        ...this.ledgerOps([entry]),
        this.actionOp(action),
      ]);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
    await this.step('keepReversal:done');
    return true;
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
