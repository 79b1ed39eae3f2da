import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { DynamoDBDocumentClient, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
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

// ---------------------------------------------------------------------------------------------------------------
// The same proof, kept up to date from the table's stream instead of a full scan per request

let streams: DynamoDBStreamsClient | undefined;
function streamsClient(): DynamoDBStreamsClient {
  const info = stackInfo();
  streams ??= new DynamoDBStreamsClient({
    endpoint: info.dynamoEndpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  return streams;
}

interface ItemKey {
  PK: string;
  SK: string;
}

/** A reader of the table's stream that remembers where it is in every shard: each read returns what is new. */
class StreamCursor {
  /** Shard id → the next iterator, or null once the shard is closed and read to its end. */
  private readonly iterators = new Map<string, string | null>();
  /** Shard id → the last sequence number read (to resume from an expired iterator). */
  private readonly last = new Map<string, string>();
  private constructor(private readonly streamArn: string) {}

  static async open(): Promise<StreamCursor> {
    const table = await client().send(new DescribeTableCommand({ TableName: stackInfo().tableName }));
    const arn = table.Table?.LatestStreamArn;
    if (!arn) throw new Error(`table ${stackInfo().tableName} has no stream`);
    return new StreamCursor(arn);
  }

  /** The key of every item written (put, updated or deleted) since the previous read, in stream order. */
  async read(): Promise<ItemKey[]> {
    const keys: ItemKey[] = [];
    await this.discoverShards();
    for (const shardId of this.iterators.keys()) {
      // Read each shard to its end. A closed shard's children are found on the next pass of the outer loop.
      while (this.iterators.get(shardId)) {
        const page = await this.page(shardId);
        for (const record of page.Records ?? []) {
          const key = record.dynamodb?.Keys;
          if (key) keys.push(unmarshall(key) as ItemKey);
          if (record.dynamodb?.SequenceNumber) this.last.set(shardId, record.dynamodb.SequenceNumber);
        }
        this.iterators.set(shardId, page.NextShardIterator ?? null);
        if ((page.Records ?? []).length === 0) break;
      }
    }
    // A shard that closed during this read may have children holding newer records: read those too.
    if ([...this.iterators.values()].some((iterator) => iterator === null)) {
      const before = this.iterators.size;
      await this.discoverShards();
      if (this.iterators.size > before) keys.push(...(await this.read()));
    }
    return keys;
  }

  private async page(shardId: string) {
    try {
      return await streamsClient().send(
        new GetRecordsCommand({ ShardIterator: this.iterators.get(shardId) ?? '', Limit: 1_000 }),
      );
    } catch (error) {
      if (!(error instanceof ExpiredIteratorException)) throw error;
      const last = this.last.get(shardId);
      this.iterators.set(shardId, await this.iterator(shardId, last));
      return streamsClient().send(
        new GetRecordsCommand({ ShardIterator: this.iterators.get(shardId) ?? '', Limit: 1_000 }),
      );
    }
  }

  private async iterator(shardId: string, after?: string): Promise<string | null> {
    const { ShardIterator } = await streamsClient().send(
      new GetShardIteratorCommand({
        StreamArn: this.streamArn,
        ShardId: shardId,
        ...(after
          ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after }
          : { ShardIteratorType: 'TRIM_HORIZON' }),
      }),
    );
    return ShardIterator ?? null;
  }

  /** Every shard not seen yet, read from its start (the first call reads the whole stream once). */
  private async discoverShards() {
    let start: string | undefined;
    do {
      const { StreamDescription } = await streamsClient().send(
        new DescribeStreamCommand({ StreamArn: this.streamArn, ExclusiveStartShardId: start }),
      );
      for (const shard of StreamDescription?.Shards ?? []) {
        if (shard.ShardId && !this.iterators.has(shard.ShardId))
          this.iterators.set(shard.ShardId, await this.iterator(shard.ShardId));
      }
      start = StreamDescription?.LastEvaluatedShardId;
    } while (start);
  }
}

/**
 * The table as a full consistent scan would see it, kept up to date from the stream: every write DynamoDB makes to
 * an item is in the table's stream, so after a request only the items the stream names are read again (consistent
 * reads) and compared with what was held. What is compared and left out is exactly `snapshotTable`'s, so `changes()`
 * answers what a scan before and after would; `verify()` checks the held copy against a real full scan.
 */
export class TableWatch {
  private constructor(
    private readonly cursor: StreamCursor,
    private readonly items: Map<string, string>,
  ) {}

  /** The stream read to its end first, then the scan: a write in between is in both, and compares equal later. */
  static async start(): Promise<TableWatch> {
    const cursor = await StreamCursor.open();
    await cursor.read();
    return new TableWatch(cursor, new Map(await snapshotTable()));
  }

  /** What changed since the previous call (or the start), as `diffTables` of two scans would say. */
  async changes(): Promise<TableDiff> {
    const touched = new Map((await this.cursor.read()).map((key) => [`${key.PK}|${key.SK}`, key]));
    const diff: TableDiff = { added: [], removed: [], changed: [] };
    for (const [key, { PK, SK }] of touched) {
      if (isRateBudget(PK)) continue;
      const now = await this.current(PK, SK);
      const before = this.items.get(key);
      if (now === before) continue;
      if (before === undefined) diff.added.push(key);
      else if (now === undefined) diff.removed.push(key);
      else diff.changed.push(key);
      if (now === undefined) this.items.delete(key);
      else this.items.set(key, now);
    }
    return diff;
  }

  /**
   * Checks the copy held against a full consistent scan (throws on any difference the stream did not announce): the
   * proof that no write escaped the stream. Writes landing during the scan are read from the stream again and excused.
   */
  async verify(): Promise<void> {
    await this.changes();
    const scanned = await snapshotTable();
    const racing = await this.changes();
    const excused = new Set([...racing.added, ...racing.removed, ...racing.changed]);
    const diff = diffTables(this.items, scanned);
    const missed = [...diff.added, ...diff.removed, ...diff.changed].filter((key) => !excused.has(key));
    if (missed.length > 0)
      throw new Error(`the table stream missed writes to ${missed.length} item(s): ${missed.slice(0, 5).join(', ')}`);
  }

  private async current(PK: string, SK: string): Promise<string | undefined> {
    const { Item } = await client().send(
      new GetCommand({ TableName: stackInfo().tableName, Key: { PK, SK }, ConsistentRead: true }),
    );
    if (!Item || isDeliveryBookkeeping(Item)) return undefined;
    return stableJson(Item);
  }
}

/**
 * `markState`/`changesSince` walking forward on a `TableWatch`: after each request (or batch of requests), what changed
 * since the previous call — what a full consistent scan before and after would show, without the scans. Check the
 * watch against a real scan (`verify()`) when done.
 */
export class StateTracker {
  private stripe: string | null | undefined;
  constructor(private readonly table: TableWatch) {}
  async start() {
    await this.rebase();
  }
  /** The changes made by the request just answered (and re-bases on the new state). */
  async next(): Promise<StateChange> {
    if (this.stripe === undefined) throw new Error('start() first');
    await emulator().flushWebhooks();
    const [table, writes] = await Promise.all([this.table.changes(), stripeCallsSince(this.stripe)]);
    await this.rebase();
    return { table, stripeWrites: writes.map(({ method, path, status }) => ({ method, path, status })) };
  }
  /** Like `markState`: webhooks delivered, then the table and Stripe log positions taken as the new base. */
  private async rebase() {
    await emulator().flushWebhooks();
    const [, stripe] = await Promise.all([this.table.changes(), stripeLogMark()]);
    this.stripe = stripe;
  }
}
