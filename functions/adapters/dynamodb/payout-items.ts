import { createHash } from 'node:crypto';
import type { NativeAttributeValue } from '@aws-sdk/lib-dynamodb';
import { CURRENCIES, type Currency } from '#core/money';
import { type CounterDelta, emptyCounters, type Payout, type PayoutRun, type RunCounters } from '#core/payout-model';
import type { HeldEntry } from '#core/payout-rules';
import { SKIP_REASONS } from '#core/payout-rules';
import type { PayoutChange } from '#core/payout-transitions';
import { tableName } from './client.ts';
import type { KeyShape } from './cursor.ts';
import { partnerPk } from './keys.ts';
import {
  awaitingFundsIndexKeys,
  heldIndexKeys,
  payoutKey,
  RUN_COUNTER_SHARDS,
  runCounterKey,
  runPayoutIndexPk,
  runPayoutIndexSk,
} from './payment-keys.ts';
import type { TransactItem } from './transactions.ts';

/** The payout run's items: how payouts, runs and their counters are stored, and the updates that change them. */

export type Item = Record<string, NativeAttributeValue>;

export const CURRENCY_LIST = Object.keys(CURRENCIES) as Currency[];

/** Held entries are referenced by their ledger sort key, so attaching one is a direct update. */
export interface StoredEntry extends HeldEntry {
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

export function toPayout(item: Item): Payout {
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

export function toRun(item: Item, counterItems: readonly Item[]): PayoutRun {
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
export function counterUpdate(runId: string, delta: CounterDelta, spreadBy: string): TransactItem | undefined {
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

const entryKey = (partnerId: string, entry: HeldEntry) => ({
  PK: partnerPk(partnerId),
  SK: (entry as StoredEntry).ref,
});

export function attachEntry(payout: Payout, entry: HeldEntry): TransactItem {
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

export function settleEntry(payout: Payout, entry: HeldEntry, status: 'paid'): TransactItem {
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
export function releaseEntry(payout: Payout, entry: HeldEntry, from: 'in_payout' | 'paid'): TransactItem {
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

/** Key cursors of the index queries: the table key plus the index key, in the query's own partition. */
export const gsi2Shape = (pk: string): KeyShape => ({
  attributes: ['PK', 'SK', 'GSI2PK', 'GSI2SK'],
  equal: { GSI2PK: pk },
});
export const gsi3Shape = (pk: string): KeyShape => ({
  attributes: ['PK', 'SK', 'GSI3PK', 'GSI3SK'],
  equal: { GSI3PK: pk },
});

/**
 * A planned change of a payout record as one conditional update: the plan's guard becomes the condition (an absent
 * amount counts as 0), a new status also moves the record in the run's index, and the awaiting-funds index follows
 * the payout in and out of waiting.
 */
export function payoutChangeItem(payout: Payout, change: PayoutChange): TransactItem {
  const set: Record<string, NativeAttributeValue> = { updatedAt: change.at };
  if (change.to) Object.assign(set, { status: change.to, GSI2SK: runPayoutIndexSk(change.to, payout.id) });
  for (const [name, value] of Object.entries(change.set)) if (value !== undefined) set[name] = value;
  if (change.awaitingFunds === 'enter') Object.assign(set, awaitingFundsIndexKeys(change.at, payout.id));
  const remove = [
    ...(change.awaitingFunds === 'leave' ? ['GSI3PK', 'GSI3SK'] : []),
    ...(change.clearReason ? ['reason'] : []),
  ];
  const names: Record<string, string> = {};
  const values: Record<string, NativeAttributeValue> = {};
  const name = (attribute: string) => {
    const key = `#a${Object.keys(names).length}`;
    names[key] = attribute;
    return key;
  };
  const value = (v: NativeAttributeValue) => {
    const key = `:v${Object.keys(values).length}`;
    values[key] = v;
    return key;
  };
  const assignments = Object.entries(set).map(([attribute, v]) => `${name(attribute)} = ${value(v)}`);
  if (change.bumpVersion) assignments.push(`${name('version')} = ${name('version')} + ${value(1)}`);
  const conditions: string[] = [];
  const { guard } = change;
  if (guard.status) conditions.push(`${name('status')} IN (${guard.status.map(value).join(', ')})`);
  if (guard.attempt !== undefined) conditions.push(`${name('attempt')} = ${value(guard.attempt)}`);
  if (guard.version !== undefined) conditions.push(`${name('version')} = ${value(guard.version)}`);
  if (guard.stripeTransferId !== undefined) {
    conditions.push(`${name('stripeTransferId')} = ${value(guard.stripeTransferId)}`);
  }
  for (const attribute of ['reversedAmount', 'keptAmount'] as const) {
    const expected = guard[attribute];
    if (expected === undefined) continue;
    const a = name(attribute);
    conditions.push(
      expected === 0 ? `(attribute_not_exists(${a}) OR ${a} = ${value(0)})` : `${a} = ${value(expected)}`,
    );
  }
  return {
    Update: {
      TableName: tableName(),
      Key: payoutKey(payout.partnerId, payout.period, payout.id),
      UpdateExpression: `SET ${assignments.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.map(name).join(', ')}` : ''}`,
      ...(conditions.length > 0 ? { ConditionExpression: conditions.join(' AND ') } : {}),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  };
}
