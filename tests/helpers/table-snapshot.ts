import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '#local/dynamodb';
import type { RequestLogEntry } from '#local/stripe-emulator/index';
import { emulator } from './connect.ts';
import { stackInfo } from './local.ts';

/**
 * Proof that a request wrote nothing: every item of the local table (a consistent full scan — tests only, never in
 * functions/) and the Stripe emulator's log of write calls, before and after.
 */

export type TableSnapshot = ReadonlyMap<string, string>;

let documents: DynamoDBDocumentClient | undefined;
function client(): DynamoDBDocumentClient {
  const info = stackInfo();
  documents ??= DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: info.dynamoEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }),
  );
  return documents;
}

const SEGMENTS = 4;

/**
 * The Stripe rate budgets' items (`RATE_BUDGET#…`): every Stripe request, a read included, reserves its start time
 * there, so a refusal decided after reading Stripe still moves them. They hold no domain state and are left out.
 */
const isRateBudget = (pk: unknown) => String(pk).startsWith('RATE_BUDGET#');

/**
 * What the event workers record after the fact — an email sent for an event, an attempt to deliver one to a
 * platform endpoint — arrives asynchronously for events of earlier changes (a partner onboarded moments ago gets its
 * welcome email while the next request runs). Never written by a request itself; the events are (and stay compared).
 */
const isDeliveryBookkeeping = (item: Record<string, unknown>) =>
  item.entity === 'email-sent' ||
  (String(item.PK).startsWith('DOMAIN_EVENT#') && String(item.SK).startsWith('DELIVERY#'));

/**
 * Every item but the rate budgets' and the event workers' bookkeeping, keyed by `PK|SK`, serialized with sorted attribute names (so equal items compare
 * equal).
 */
export async function snapshotTable(): Promise<TableSnapshot> {
  const items = new Map<string, string>();
  await Promise.all(
    Array.from({ length: SEGMENTS }, async (_, segment) => {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await client().send(
          new ScanCommand({
            TableName: stackInfo().tableName,
            ConsistentRead: true,
            Segment: segment,
            TotalSegments: SEGMENTS,
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) {
          if (isRateBudget(item.PK) || isDeliveryBookkeeping(item)) continue;
          items.set(`${String(item.PK)}|${String(item.SK)}`, stableJson(item));
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    }),
  );
  return items;
}

function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Set)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v instanceof Set
        ? [...v].sort()
        : v,
  );
}

export interface TableDiff {
  added: string[];
  removed: string[];
  changed: string[];
}

export function diffTables(before: TableSnapshot, after: TableSnapshot): TableDiff {
  const added: string[] = [];
  const removed: string[] = [];
  const changed: string[] = [];
  for (const [key, value] of after) {
    const old = before.get(key);
    if (old === undefined) added.push(key);
    else if (old !== value) changed.push(key);
  }
  for (const key of before.keys()) if (!after.has(key)) removed.push(key);
  return { added, removed, changed };
}

export const isEmptyDiff = (diff: TableDiff) =>
  diff.added.length === 0 && diff.removed.length === 0 && diff.changed.length === 0;

/** The emulator's request log position, to list the calls made after it. */
export async function stripeLogMark(): Promise<string | null> {
  const last = await emulator().requestLog({ limit: 1 });
  return last.at(-1)?.requestId ?? null;
}

/** Stripe calls made since `mark` (`GET`s included when `writesOnly` is false). */
export async function stripeCallsSince(mark: string | null, writesOnly = true): Promise<RequestLogEntry[]> {
  // The recent tail is enough almost always; the whole log (up to 10 000 entries) only when the mark is older.
  const tail = await emulator().requestLog({ limit: 200 });
  const log = mark !== null && tail.some((entry) => entry.requestId === mark) ? tail : await emulator().requestLog();
  const start = mark === null ? 0 : log.findIndex((entry) => entry.requestId === mark) + 1;
  // A mark evicted from the log (capacity 10 000) counts every entry as new: a false alarm, never a miss.
  const since = start === 0 && mark !== null ? log : log.slice(start);
  return since.filter((entry) => !writesOnly || entry.method !== 'GET');
}

export interface StateMark {
  table: TableSnapshot;
  stripe: string | null;
}

/** Table and Stripe log before a batch of requests that must write nothing (webhooks delivered first). */
export async function markState(): Promise<StateMark> {
  await emulator().flushWebhooks();
  const [table, stripe] = await Promise.all([snapshotTable(), stripeLogMark()]);
  return { table, stripe };
}

export interface StateChange {
  table: TableDiff;
  stripeWrites: Array<Pick<RequestLogEntry, 'method' | 'path' | 'status'>>;
}

/** What changed since `mark`: table items and Stripe write calls. */
export async function changesSince(mark: StateMark): Promise<StateChange> {
  await emulator().flushWebhooks();
  const [table, writes] = await Promise.all([snapshotTable(), stripeCallsSince(mark.stripe)]);
  return {
    table: diffTables(mark.table, table),
    stripeWrites: writes.map(({ method, path, status }) => ({ method, path, status })),
  };
}

export const NO_CHANGE: StateChange = { table: { added: [], removed: [], changed: [] }, stripeWrites: [] };
