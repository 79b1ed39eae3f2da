import { createHash } from 'node:crypto';
import {
  GetCommand,
  type NativeAttributeValue,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { CURRENCIES, type Currency } from '#core/money';
import type { LedgerRecord } from '#core/payment-ports';
import {
  payoutAwaitingFundsEvent,
  payoutCarriedForwardEvent,
  payoutFailedEvent,
  payoutPaidEvent,
  payoutReversedEvent,
  payoutRunCompletedEvent,
} from '#core/payout-events';
import type { HeldEntry, SkipReason } from '#core/payout-rules';
import { periodOfPayoutId, SKIP_REASONS } from '#core/payout-rules';
import {
  type CounterDelta,
  emptyCounters,
  type Payout,
  type PayoutRun,
  type PayoutStatus,
  type PayoutStore,
  type RunCounters,
} from '#core/payouts';
import { dynamo, tableName } from './client.ts';
import { isConditionFailed } from './conditions.ts';
import {
  checkKey,
  decodeJsonCursor,
  decodeKeyCursor,
  encodeJsonCursor,
  invalidCursor,
  type KeyShape,
} from './cursor.ts';
import { partnerPk } from './keys.ts';
import { ledgerWriteItems } from './ledger-store.ts';
import { operatorActionPut } from './operator-actions.ts';
import { outboxPut } from './outbox.ts';
import {
  AWAITING_FUNDS_INDEX_PK,
  awaitingFundsIndexKeys,
  heldAvailableBefore,
  heldIndexKeys,
  heldIndexPartitions,
  LEDGER_PREFIX,
  PAYOUT_RUNS_INDEX_PK,
  payoutKey,
  payoutRunIndexKeys,
  payoutRunKey,
  RUN_COUNTER_PREFIX,
  RUN_COUNTER_SHARDS,
  RUN_SKIP_PREFIX,
  runCounterKey,
  runPayoutIndexPk,
  runPayoutIndexSk,
  runSkipKey,
} from './payment-keys.ts';
import { batchGetAll, queryAll, queryPrefix } from './query.ts';
import { INDEX_SHARDS } from './shards.ts';
import { type TransactItem, transactWrite } from './transactions.ts';

type Item = Record<string, NativeAttributeValue>;

/** DynamoDB allows 100 items per transaction; the rest of a payout's entries follow in further transactions. */
const ENTRIES_PER_TRANSACTION = 90;
const OPEN: PayoutStatus[] = ['planned', 'sending', 'awaiting_funds'];
const CURRENCY_LIST = Object.keys(CURRENCIES) as Currency[];

// ---------------------------------------------------------------------------------------------------------------
// Items

/** Held entries are referenced by their ledger sort key, so attaching one is a direct update. */
interface StoredEntry extends HeldEntry {
  ref: string;
}

export function payoutItem(payout: Payout): Item {
  return {
    ...payoutKey(payout.partnerId, payout.period, payout.id),
    entity: 'payout',
    ...payout,
    entryCount: payout.entries.length,
    GSI2PK: runPayoutIndexPk(payout.runId),
    GSI2SK: runPayoutIndexSk(payout.status, payout.id),
  };
}

function toPayout(item: Item): Payout {
  return {
    id: item.id,
    runId: item.runId,
    partnerId: item.partnerId,
    period: item.period,
    currency: item.currency,
    amount: Number(item.amount),
    status: item.status,
    entries: (item.entries ?? []) as StoredEntry[],
    attempt: Number(item.attempt ?? 0),
    stripeTransferId: item.stripeTransferId ?? null,
    reason: item.reason ?? null,
    attemptStartedAt: item.attemptStartedAt ?? null,
    reversedAmount: Number(item.reversedAmount ?? 0),
    keptAmount: Number(item.keptAmount ?? 0),
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
    version: Number(item.version ?? 1),
  };
}

/** Counters are flat numeric attributes so every change is an atomic ADD. */
function counterAttributes(delta: CounterDelta): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of ['considered', 'queued', 'paid', 'carriedForward', 'awaitingFunds', 'failed'] as const) {
    const value = delta[key];
    if (value) out[`c_${key}`] = value;
  }
  for (const [reason, value] of Object.entries(delta.skipped ?? {})) if (value) out[`s_${reason}`] = value;
  for (const [currency, value] of Object.entries(delta.plannedAmount ?? {})) if (value) out[`pa_${currency}`] = value;
  for (const [currency, value] of Object.entries(delta.paidAmount ?? {})) if (value) out[`pd_${currency}`] = value;
  return out;
}

/** The sum of the counter attributes of `items` (a run's counter shards, and the run item itself). */
function countersOf(items: readonly Item[]): RunCounters {
  const counters = emptyCounters();
  const sum = (name: string) => items.reduce((total, item) => total + Number(item[name] ?? 0), 0);
  const present = (name: string) => items.some((item) => item[name] !== undefined);
  for (const key of ['considered', 'queued', 'paid', 'carriedForward', 'awaitingFunds', 'failed'] as const) {
    counters[key] = sum(`c_${key}`);
  }
  for (const reason of SKIP_REASONS) counters.skipped[reason] = sum(`s_${reason}`);
  for (const currency of CURRENCY_LIST) {
    if (present(`pa_${currency}`)) counters.plannedAmount[currency] = sum(`pa_${currency}`);
    if (present(`pd_${currency}`)) counters.paidAmount[currency] = sum(`pd_${currency}`);
  }
  // Planner skips count as considered; an awaiting payout is also reported under skipped.awaiting_funds.
  counters.skipped.awaiting_funds = counters.awaitingFunds;
  return counters;
}

function toRun(item: Item, counterItems: readonly Item[]): PayoutRun {
  return {
    id: item.id,
    period: item.period,
    requireApproval: Boolean(item.requireApproval),
    approved: Boolean(item.approved),
    cutoff: Number(item.cutoff),
    planningComplete: Boolean(item.planningComplete),
    counters: countersOf([item, ...counterItems]),
    startedAt: item.startedAt,
    finishedAt: item.finishedAt ?? null,
    startedBy: item.startedBy,
  };
}

/** Which counter shard `key` (a payout id, or a partner id for skips) adds to: stable, and spread evenly. */
export function counterShardOf(key: string): number {
  return createHash('sha1').update(key).digest().readUInt32BE(0) % RUN_COUNTER_SHARDS;
}

/** An atomic ADD to one of the run's counter shards, chosen by `spreadBy`. */
function counterUpdate(runId: string, delta: CounterDelta, spreadBy: string): TransactItem | undefined {
  const attributes = counterAttributes(delta);
  const names = Object.keys(attributes);
  if (names.length === 0) return undefined;
  return {
    Update: {
      TableName: tableName(),
      Key: runCounterKey(runId, counterShardOf(spreadBy)),
      UpdateExpression: `SET entity = :entity ADD ${names.map((_, i) => `#c${i} :c${i}`).join(', ')}`,
      ExpressionAttributeNames: Object.fromEntries(names.map((name, i) => [`#c${i}`, name])),
      ExpressionAttributeValues: {
        ':entity': 'payout-run-counters',
        ...Object.fromEntries(names.map((name, i) => [`:c${i}`, attributes[name]])),
      },
    },
  };
}

/** One page of payouts from an index query, with the cursor of the next page. */
async function payoutPage(
  input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>,
  cursor: string | undefined,
  shape: KeyShape,
): Promise<{ payouts: Payout[]; nextCursor: string | null }> {
  const page = await dynamo().send(
    new QueryCommand({
      ...input,
      TableName: tableName(),
      ...(cursor ? { ExclusiveStartKey: decodeKeyCursor(cursor, shape) } : {}),
    }),
  );
  return {
    payouts: ((page.Items ?? []) as Item[]).map(toPayout),
    nextCursor: page.LastEvaluatedKey ? encodeJsonCursor(page.LastEvaluatedKey) : null,
  };
}

/** Moves the payout to `status`, only from an open status; `extra` sets more attributes. */
function payoutTransition(
  payout: Payout,
  status: PayoutStatus,
  at: string,
  extra: {
    set?: Record<string, NativeAttributeValue>;
    remove?: string[];
    /** Only from this status (default: any open status). */
    from?: PayoutStatus;
    /** Only if the stored version is still this one. */
    version?: number;
    /** Only if the stored attempt is still this one. */
    attempt?: number;
  } = {},
): TransactItem {
  const set: Record<string, NativeAttributeValue> = {
    status,
    updatedAt: at,
    GSI2SK: runPayoutIndexSk(status, payout.id),
    ...extra.set,
  };
  const setNames = Object.keys(set);
  const removeNames = extra.remove ?? [];
  return {
    Update: {
      TableName: tableName(),
      Key: payoutKey(payout.partnerId, payout.period, payout.id),
      UpdateExpression:
        `SET ${setNames.map((_, i) => `#s${i} = :s${i}`).join(', ')}, version = version + :one` +
        (removeNames.length > 0 ? ` REMOVE ${removeNames.map((_, i) => `#r${i}`).join(', ')}` : ''),
      ConditionExpression:
        (extra.from ? '#status = :from' : '#status IN (:o0, :o1, :o2)') +
        (extra.version === undefined ? '' : ' AND version = :version') +
        (extra.attempt === undefined ? '' : ' AND attempt = :attempt'),
      ExpressionAttributeNames: {
        '#status': 'status',
        ...Object.fromEntries(setNames.map((name, i) => [`#s${i}`, name])),
        ...Object.fromEntries(removeNames.map((name, i) => [`#r${i}`, name])),
      },
      ExpressionAttributeValues: {
        ':one': 1,
        ...(extra.from ? { ':from': extra.from } : { ':o0': OPEN[0], ':o1': OPEN[1], ':o2': OPEN[2] }),
        ...(extra.version === undefined ? {} : { ':version': extra.version }),
        ...(extra.attempt === undefined ? {} : { ':attempt': extra.attempt }),
        ...Object.fromEntries(setNames.map((name, i) => [`:s${i}`, set[name]])),
      },
    },
  };
}

const entryKey = (partnerId: string, entry: HeldEntry) => ({
  PK: partnerPk(partnerId),
  SK: (entry as StoredEntry).ref,
});

function attachEntry(payout: Payout, entry: HeldEntry): TransactItem {
  return {
    Update: {
      TableName: tableName(),
      Key: entryKey(payout.partnerId, entry),
      UpdateExpression: 'SET payoutStatus = :inPayout, payoutId = :po REMOVE GSI3PK, GSI3SK',
      // Held and unattached, or already ours (a retry): never an entry another payout holds.
      ConditionExpression: '(payoutStatus = :pending AND attribute_exists(GSI3PK)) OR payoutId = :po',
      ExpressionAttributeValues: { ':inPayout': 'in_payout', ':pending': 'pending', ':po': payout.id },
    },
  };
}

function settleEntry(payout: Payout, entry: HeldEntry, status: 'paid'): TransactItem {
  return {
    Update: {
      TableName: tableName(),
      Key: entryKey(payout.partnerId, entry),
      UpdateExpression: 'SET payoutStatus = :status',
      ConditionExpression: 'payoutId = :po',
      ExpressionAttributeValues: { ':status': status, ':po': payout.id },
    },
  };
}

/** Hands an entry of this payout back to the held balance; `from` is the state it must be in (never another's). */
function releaseEntry(payout: Payout, entry: HeldEntry, from: 'in_payout' | 'paid'): TransactItem {
  const index = heldIndexKeys(payout.currency, entry.availableAt, payout.partnerId, entry.id);
  return {
    Update: {
      TableName: tableName(),
      Key: entryKey(payout.partnerId, entry),
      UpdateExpression: 'SET payoutStatus = :pending, GSI3PK = :pk, GSI3SK = :sk REMOVE payoutId',
      ConditionExpression: 'payoutId = :po AND payoutStatus = :from',
      ExpressionAttributeValues: {
        ':pending': 'pending',
        ':pk': index.GSI3PK,
        ':sk': index.GSI3SK,
        ':po': payout.id,
        ':from': from,
      },
    },
  };
}

/** One item is a plain conditional update (half the cost of a transaction); several are one transaction. */
async function transactOrUpdate(items: TransactItem[]): Promise<void> {
  const [only] = items;
  if (items.length === 1 && only?.Update) await dynamo().send(new UpdateCommand(only.Update));
  else await transactWrite(items);
}

/** Applies entry updates chunk by chunk; an entry already in the target state (a retry) is skipped. */
async function updateEntries(items: TransactItem[]): Promise<void> {
  for (const item of items) {
    try {
      const update = item.Update;
      if (update) await dynamo().send(new UpdateCommand(update));
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
  }
}

/** Key cursors of the index queries: the table key plus the index key, in the query's own partition. */
const gsi2Shape = (pk: string): KeyShape => ({ attributes: ['PK', 'SK', 'GSI2PK', 'GSI2SK'], equal: { GSI2PK: pk } });
const gsi3Shape = (pk: string): KeyShape => ({ attributes: ['PK', 'SK', 'GSI3PK', 'GSI3SK'], equal: { GSI3PK: pk } });

/**
 * The planning cursor: a currency position, a shard of that currency's held-entries index, and within the shard the
 * index key to resume after (or null).
 */
function planningCursor(value: unknown): { c: number; s: number; k: Item | null } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidCursor();
  const { c, s, k } = value as { c?: unknown; s?: unknown; k?: unknown };
  if (typeof c !== 'number' || !Number.isInteger(c) || c < 0 || c >= CURRENCY_LIST.length) throw invalidCursor();
  if (typeof s !== 'number' || !Number.isInteger(s) || s < 0 || s >= INDEX_SHARDS.held) throw invalidCursor();
  if (k === null || k === undefined) return { c, s, k: null };
  const partition = heldIndexPartitions(CURRENCY_LIST[c] as Currency)[s] as string;
  return { c, s, k: checkKey(k, gsi3Shape(partition)) };
}

// ---------------------------------------------------------------------------------------------------------------

/**
 * Closes an open payout without paying it (carried forward, failed): the status change, its counters and the release
 * of its entries back to the held balance, in one transaction (entries beyond the first chunk follow). It applies
 * only if the payout is still exactly as the caller saw it (the status item's `from` status and attempt) — so a payout another
 * worker meanwhile moved on (to sending with a new key, to paid) is never closed, and nothing is counted twice.
 */
async function leaveOpenStatus(payout: Payout, items: Array<TransactItem | undefined>): Promise<boolean> {
  const releases = payout.entries.map((entry) => releaseEntry(payout, entry, 'in_payout'));
  try {
    await transactWrite([
      ...items.filter((item): item is TransactItem => item !== undefined),
      ...releases.slice(0, ENTRIES_PER_TRANSACTION),
    ]);
  } catch (error) {
    if (isConditionFailed(error)) return false;
    throw error;
  }
  await updateEntries(releases.slice(ENTRIES_PER_TRANSACTION));
  return true;
}

export const dynamoPayoutStore: PayoutStore = {
  async getRun(runId) {
    // One query: the counter shards (`COUNTERS#00`…) and the run item (`RUN`) sort next to each other.
    const items = await queryAll({
      TableName: tableName(),
      KeyConditionExpression: 'PK = :pk AND SK BETWEEN :first AND :run',
      ExpressionAttributeValues: { ':pk': payoutRunKey(runId).PK, ':first': RUN_COUNTER_PREFIX, ':run': 'RUN' },
      ConsistentRead: true,
    });
    const run = items.find((item) => item.SK === 'RUN');
    return run
      ? toRun(
          run,
          items.filter((item) => item !== run),
        )
      : undefined;
  },

  async createRun(run) {
    try {
      await dynamo().send(
        new PutCommand({
          TableName: tableName(),
          Item: {
            ...payoutRunKey(run.id),
            ...payoutRunIndexKeys(run.startedAt, run.id),
            entity: 'payout-run',
            id: run.id,
            period: run.period,
            requireApproval: run.requireApproval,
            approved: run.approved,
            cutoff: run.cutoff,
            planningComplete: false,
            startedAt: run.startedAt,
            startedBy: run.startedBy,
          },
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      );
      return { created: true, run };
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      const existing = await this.getRun(run.id);
      if (!existing) throw error;
      return { created: false, run: existing };
    }
  },

  async listRuns({ cursor, limit }) {
    const page = await dynamo().send(
      new QueryCommand({
        TableName: tableName(),
        IndexName: 'GSI2',
        KeyConditionExpression: 'GSI2PK = :pk',
        ExpressionAttributeValues: { ':pk': PAYOUT_RUNS_INDEX_PK },
        ScanIndexForward: false,
        Limit: limit,
        ...(cursor ? { ExclusiveStartKey: decodeKeyCursor(cursor, gsi2Shape(PAYOUT_RUNS_INDEX_PK)) } : {}),
      }),
    );
    const items = (page.Items ?? []) as Item[];
    const shards = await Promise.all(
      items.map((item) => queryPrefix(payoutRunKey(String(item.id)).PK, RUN_COUNTER_PREFIX)),
    );
    return {
      runs: items.map((item, i) => toRun(item, shards[i] ?? [])),
      nextCursor: page.LastEvaluatedKey ? encodeJsonCursor(page.LastEvaluatedKey) : null,
    };
  },

  async markPlanningComplete(runId, at) {
    await dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: payoutRunKey(runId),
        UpdateExpression: 'SET planningComplete = :true, planningCompletedAt = if_not_exists(planningCompletedAt, :at)',
        ExpressionAttributeValues: { ':true': true, ':at': at },
      }),
    );
  },

  async approveRun(runId, at) {
    try {
      await dynamo().send(
        new UpdateCommand({
          TableName: tableName(),
          Key: payoutRunKey(runId),
          UpdateExpression: 'SET approved = :true, approvedAt = :at',
          ConditionExpression: 'attribute_exists(PK) AND approved = :false',
          ExpressionAttributeValues: { ':true': true, ':false': false, ':at': at },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  },

  async markRunFinished(run, at) {
    try {
      await transactWrite([
        {
          Update: {
            TableName: tableName(),
            Key: payoutRunKey(run.id),
            UpdateExpression: 'SET finishedAt = :at',
            ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(finishedAt)',
            ExpressionAttributeValues: { ':at': at },
          },
        },
        outboxPut(payoutRunCompletedEvent(run, at)),
      ]);
    } catch (error) {
      if (!isConditionFailed(error)) throw error; // finished already (a concurrent worker): nothing to do
    }
  },

  async planningPage(cutoff, cursor, limit) {
    // Currency by currency, and within a currency shard by shard of its held-entries index. A partner's held entries
    // share one shard (payment-keys.ts), so a partner shows up in one shard of a currency, as it did in one partition.
    let position = cursor ? decodeJsonCursor(cursor, planningCursor) : { c: 0, s: 0, k: null };
    const seen = new Map<string, { partnerId: string; currency: Currency }>();
    while (position.c < CURRENCY_LIST.length && seen.size < limit) {
      const currency = CURRENCY_LIST[position.c] as Currency;
      const page = await dynamo().send(
        new QueryCommand({
          TableName: tableName(),
          IndexName: 'GSI3',
          KeyConditionExpression: 'GSI3PK = :pk AND GSI3SK < :before',
          ExpressionAttributeValues: {
            ':pk': heldIndexPartitions(currency)[position.s],
            ':before': heldAvailableBefore(cutoff),
          },
          ProjectionExpression: 'partnerId, currency',
          Limit: limit,
          ...(position.k ? { ExclusiveStartKey: position.k } : {}),
        }),
      );
      for (const item of (page.Items ?? []) as Item[]) {
        seen.set(`${item.partnerId}#${currency}`, { partnerId: String(item.partnerId), currency });
      }
      position = page.LastEvaluatedKey
        ? { c: position.c, s: position.s, k: page.LastEvaluatedKey as Item }
        : position.s + 1 < INDEX_SHARDS.held
          ? { c: position.c, s: position.s + 1, k: null }
          : { c: position.c + 1, s: 0, k: null };
    }
    return {
      candidates: [...seen.values()],
      nextCursor: position.c < CURRENCY_LIST.length ? encodeJsonCursor(position) : null,
    };
  },

  async heldEntries(partnerId, currency) {
    const items = await queryAll({
      TableName: tableName(),
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      FilterExpression: 'attribute_exists(GSI3PK) AND currency = :currency AND payoutStatus = :pending',
      ExpressionAttributeValues: {
        ':pk': partnerPk(partnerId),
        ':prefix': LEDGER_PREFIX,
        ':currency': currency,
        ':pending': 'pending',
      },
      ProjectionExpression: 'SK, id, amount, availableAt, platformReference',
      ConsistentRead: true,
    });
    return items.map(
      (item): StoredEntry => ({
        id: item.id,
        amount: Number(item.amount),
        availableAt: Number(item.availableAt),
        ref: item.SK,
        ...(typeof item.platformReference === 'string' ? { platformReference: item.platformReference } : {}),
      }),
    );
  },

  async createPayout(payout, delta) {
    const [first, rest] = [
      payout.entries.slice(0, ENTRIES_PER_TRANSACTION),
      payout.entries.slice(ENTRIES_PER_TRANSACTION),
    ];
    const counters = counterUpdate(payout.runId, delta, payout.id);
    try {
      await transactWrite([
        { Put: { TableName: tableName(), Item: payoutItem(payout), ConditionExpression: 'attribute_not_exists(PK)' } },
        ...first.map((entry) => attachEntry(payout, entry)),
        ...(counters ? [counters] : []),
      ]);
    } catch (error) {
      if (isConditionFailed(error) && (await this.getPayout(payout.partnerId, payout.id))) return 'exists';
      throw error;
    }
    await updateEntries(rest.map((entry) => attachEntry(payout, entry)));
    return 'created';
  },

  async recordSkip(runId, partnerId, currency, reason: SkipReason, amount, at) {
    const counters = counterUpdate(runId, { considered: 1, skipped: { [reason]: 1 } }, partnerId);
    try {
      await transactWrite([
        {
          Put: {
            TableName: tableName(),
            Item: {
              ...runSkipKey(runId, partnerId, currency),
              entity: 'payout-skip',
              runId,
              partnerId,
              currency,
              reason,
              amount,
              at,
            },
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
        ...(counters ? [counters] : []),
      ]);
    } catch (error) {
      if (!isConditionFailed(error)) throw error; // already recorded by an earlier planner: count once
    }
  },

  async getPayout(partnerId, payoutId) {
    const period = periodOfPayoutId(payoutId);
    if (!period) return undefined;
    const { Item: item } = await dynamo().send(
      new GetCommand({ TableName: tableName(), Key: payoutKey(partnerId, period, payoutId), ConsistentRead: true }),
    );
    return item ? toPayout(item) : undefined;
  },

  async getPayouts(refs) {
    const keys = refs.flatMap((ref) => {
      const period = periodOfPayoutId(ref.payoutId);
      return period ? [payoutKey(ref.partnerId, period, ref.payoutId)] : [];
    });
    const payouts = (await batchGetAll(keys)).filter((item) => item.entity === 'payout').map(toPayout);
    return new Map(payouts.map((payout) => [payout.id, payout]));
  },

  async ensureAttached(payout) {
    // Entries up to the first chunk were attached in the transaction that created the payout; only the rest can
    // have been left behind by a planner that crashed between chunks.
    await updateEntries(payout.entries.slice(ENTRIES_PER_TRANSACTION).map((entry) => attachEntry(payout, entry)));
  },

  async markSending(payout, at) {
    // `payout` is what the worker read — with a bumped attempt and no attemptStartedAt when it starts a new key.
    // Conditioning on its version proves nothing moved since that read, so there is no second read here.
    if (payout.status === 'sending' && payout.attemptStartedAt !== null) return payout; // a redelivery: as recorded
    const attemptStartedAt = payout.attemptStartedAt ?? at;
    const wasAwaiting = payout.status === 'awaiting_funds';
    const transition = payoutTransition(payout, 'sending', at, {
      set: { attempt: payout.attempt, attemptStartedAt },
      // Sending again: a reason the payout waited for (awaiting_funds) no longer describes it.
      remove: wasAwaiting ? ['GSI3PK', 'GSI3SK', 'reason'] : [],
      version: payout.version,
    });
    const counters = wasAwaiting ? counterUpdate(payout.runId, { awaitingFunds: -1 }, payout.id) : undefined;
    try {
      await transactOrUpdate([transition, ...(counters ? [counters] : [])]);
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      // Another worker moved it first (a duplicate delivery): continue with what is stored (same key or newer).
      const latest = await this.getPayout(payout.partnerId, payout.id);
      if (!latest) throw error;
      return latest.attempt >= payout.attempt ? latest : { ...latest, attempt: payout.attempt };
    }
    return { ...payout, status: 'sending', attemptStartedAt, version: payout.version + 1 };
  },

  async completePayout(payout, transferId, at) {
    const settle = payout.entries.map((entry) => settleEntry(payout, entry, 'paid'));
    // `known` is the status we believe is stored (the worker's read, or what markSending wrote); the write is
    // conditioned on it, so the counters it adjusts are right. If it moved, re-read once and decide again.
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
      const counters = counterUpdate(
        payout.runId,
        {
          paid: 1,
          paidAmount: { [payout.currency]: payout.amount },
          ...(wasAwaiting ? { awaitingFunds: -1 } : {}),
        },
        payout.id,
      );
      try {
        await transactWrite([
          payoutTransition(payout, 'paid', at, {
            set: { stripeTransferId: transferId, paidAt: at },
            // Paid is final: no earlier reason (awaiting_funds) stays on it.
            remove: wasAwaiting ? ['GSI3PK', 'GSI3SK', 'reason'] : ['reason'],
            from: known,
          }),
          ...ledgerWriteItems([entry]),
          ...(counters ? [counters] : []),
          outboxPut(payoutPaidEvent(payout, transferId, at)),
          ...settle.slice(0, ENTRIES_PER_TRANSACTION),
        ]);
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
        const latest = await this.getPayout(payout.partnerId, payout.id);
        if (latest?.status === 'paid') {
          await updateEntries(settle); // finish what a crashed or concurrent worker started
          return 'already';
        }
        if (!latest || !OPEN.includes(latest.status) || latest.status === known || tries >= 2) throw error;
        known = latest.status;
        continue;
      }
      await updateEntries(settle.slice(ENTRIES_PER_TRANSACTION));
      return 'completed';
    }
  },

  async carryForward(payout, reason, at, expected, action) {
    return leaveOpenStatus(payout, [
      action ? operatorActionPut(action) : undefined,
      outboxPut(payoutCarriedForwardEvent(payout, reason, at)),
      payoutTransition(payout, 'carried_forward', at, {
        set: { reason },
        remove: expected.status === 'awaiting_funds' ? ['GSI3PK', 'GSI3SK'] : [],
        from: expected.status,
        attempt: expected.attempt,
      }),
      counterUpdate(
        payout.runId,
        {
          carriedForward: 1,
          skipped: { [reason]: 1 },
          ...(expected.status === 'awaiting_funds' ? { awaitingFunds: -1 } : {}),
        },
        payout.id,
      ),
    ]);
  },

  async failPayout(payout, message, at, expected) {
    return leaveOpenStatus(payout, [
      outboxPut(payoutFailedEvent(payout, message, at)),
      payoutTransition(payout, 'failed', at, {
        set: { reason: `stripe_rejected: ${message.slice(0, 300)}` },
        remove: expected.status === 'awaiting_funds' ? ['GSI3PK', 'GSI3SK'] : [],
        from: expected.status,
        attempt: expected.attempt,
      }),
      counterUpdate(
        payout.runId,
        {
          failed: 1,
          ...(expected.status === 'awaiting_funds' ? { awaitingFunds: -1 } : {}),
        },
        payout.id,
      ),
    ]);
  },

  async ensureReleased(payout) {
    // The first chunk of entries was released in the transaction that closed the payout; only the rest can have
    // been left behind by a worker that crashed between chunks.
    if (payout.status !== 'carried_forward' && payout.status !== 'failed') return;
    await updateEntries(payout.entries.slice(ENTRIES_PER_TRANSACTION).map((e) => releaseEntry(payout, e, 'in_payout')));
  },

  async awaitFunds(payout, at, expected) {
    const counters = counterUpdate(payout.runId, { awaitingFunds: 1 }, payout.id);
    try {
      await transactWrite([
        payoutTransition(payout, 'awaiting_funds', at, {
          set: { reason: 'awaiting_funds', ...awaitingFundsIndexKeys(at, payout.id) },
          from: expected.status,
          attempt: expected.attempt,
        }),
        ...(counters ? [counters] : []),
        outboxPut(payoutAwaitingFundsEvent(payout, expected.attempt, at)),
      ]);
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false; // recorded by a concurrent delivery of the same key, or moved on
      throw error;
    }
  },

  listAwaitingFunds({ before, cursor, limit }) {
    return payoutPage(
      {
        IndexName: 'GSI3',
        // Sort key `<at>#<payoutId>`: '~' sorts after '#', so payouts waiting since exactly `before` are included.
        KeyConditionExpression: 'GSI3PK = :pk AND GSI3SK < :before',
        ExpressionAttributeValues: { ':pk': AWAITING_FUNDS_INDEX_PK, ':before': `${before}~` },
        Limit: limit,
      },
      cursor,
      gsi3Shape(AWAITING_FUNDS_INDEX_PK),
    );
  },

  listRunPayouts(runId, { status, cursor, limit }) {
    return payoutPage(
      {
        IndexName: 'GSI2',
        KeyConditionExpression: status ? 'GSI2PK = :pk AND begins_with(GSI2SK, :status)' : 'GSI2PK = :pk',
        ExpressionAttributeValues: { ':pk': runPayoutIndexPk(runId), ...(status ? { ':status': `${status}#` } : {}) },
        Limit: limit,
      },
      cursor,
      gsi2Shape(runPayoutIndexPk(runId)),
    );
  },

  async reversePayout(payout, amountReversed, reversalId, at) {
    const now = Date.parse(at);
    const total = Math.min(amountReversed, payout.amount);
    const returned = total - payout.reversedAmount; // positive: the use case passes only news
    // A first, full reversal hands the covered earnings back (held, available as before) so the partner sees them
    // unpaid and the next run pays them; otherwise a held entry adds what came back this time.
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
    const releases = full ? payout.entries.map((held) => releaseEntry(payout, held, 'paid')) : [];
    try {
      await transactWrite([
        {
          Update: {
            TableName: tableName(),
            Key: payoutKey(payout.partnerId, payout.period, payout.id),
            UpdateExpression:
              'SET #status = :reversed, updatedAt = :at, GSI2SK = :sk, reversedAmount = :amount, reason = :reason',
            // Exactly the state this reversal was computed from: two deliveries never both add their amount.
            ConditionExpression:
              '#status IN (:paid, :reversed) AND stripeTransferId = :transfer AND ' +
              '(attribute_not_exists(reversedAmount) OR reversedAmount = :previous)',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':reversed': 'reversed',
              ':paid': 'paid',
              ':at': at,
              ':sk': runPayoutIndexSk('reversed', payout.id),
              ':amount': total,
              ':reason': 'transfer_reversed',
              ':transfer': payout.stripeTransferId,
              ':previous': payout.reversedAmount,
            },
          },
        },
        ...ledgerWriteItems([entry]),
        outboxPut(payoutReversedEvent(payout, total, at)),
        ...releases.slice(0, ENTRIES_PER_TRANSACTION),
      ]);
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
    await updateEntries(releases.slice(ENTRIES_PER_TRANSACTION));
    return true;
  },

  async keepReversal(payout, plan, action) {
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
    try {
      await transactWrite([
        {
          Update: {
            TableName: tableName(),
            Key: payoutKey(payout.partnerId, payout.period, payout.id),
            UpdateExpression: 'SET keptAmount = :kept, updatedAt = :at, version = version + :one',
            // Exactly the state the plan was computed from: a retry or a concurrent request keeps nothing twice.
            ConditionExpression:
              'reversedAmount = :reversed AND (attribute_not_exists(keptAmount) OR keptAmount = :previous)',
            ExpressionAttributeValues: {
              ':kept': plan.keptTotal,
              ':at': at,
              ':one': 1,
              ':reversed': payout.reversedAmount,
              ':previous': payout.keptAmount ?? 0,
            },
          },
        },
        ...ledgerWriteItems([entry]),
        operatorActionPut(action),
      ]);
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  },

  async listSkips(runId) {
    const items = await queryPrefix(payoutRunKey(runId).PK, RUN_SKIP_PREFIX);
    return items.map((item) => ({
      partnerId: item.partnerId,
      currency: item.currency,
      reason: item.reason,
      amount: Number(item.amount),
    }));
  },
};
