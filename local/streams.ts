import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './dynamodb.ts';
import { lambdaContext } from './lambda-context.ts';

/**
 * The table's stream, read from DynamoDB Local's own Streams API, feeding a stream handler the way Lambda's event
 * source mapping does: records in order per shard, batches, and on a reported batch item failure the same shard is
 * read again from the failed record (after a short pause), so nothing is skipped.
 */
type StreamHandler = (event: DynamoDBStreamEvent, context: Context) => Promise<DynamoDBBatchResponse | undefined>;

export interface StreamSourceOptions {
  dynamo: DynamoDBClient;
  endpoint: string;
  tableName: string;
  loadHandler: () => Promise<StreamHandler>;
  batchSize?: number;
  pollMs?: number;
}

export interface StreamSource {
  /** Resolves once every record written so far has been handed to the handler successfully. */
  drained(): Promise<void>;
  /** Requests this source has sent to the Streams API so far, by operation (benchmarks report them). */
  requests(): Record<string, number>;
  stop(): Promise<void>;
}

export async function startStreamSource(options: StreamSourceOptions): Promise<StreamSource> {
  const client = new DynamoDBStreamsClient({
    endpoint: options.endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  const table = await options.dynamo.send(new DescribeTableCommand({ TableName: options.tableName }));
  const streamArn = table.Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`Table ${options.tableName} has no stream`);
  const sent: Record<string, number> = {};
  client.middlewareStack.add(
    (next, context) => (args) => {
      const name = (context.commandName ?? '?').replace(/Command$/, '');
      sent[name] = (sent[name] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name: 'localStreamRequestCounter' },
  );
  const batchSize = options.batchSize ?? 100;
  const pollMs = options.pollMs ?? 50;
  /** Shard id → iterator (or null once the shard is closed and fully read). */
  const iterators = new Map<string, string | null>();
  let stopped = false;
  let busy = false;
  let caughtUp = false;
  let waiters: (() => void)[] = [];
  /**
   * Shards are listed (DescribeStream) when the source starts, when a shard it reads closes (its children are to be
   * read next), when a caller waits for the stream to drain, and otherwise at most once per `discoverMs`: not before
   * every read, which while records flow (a payout run writes several items per payout) would be a DescribeStream
   * per GetRecords, paid by this process and DynamoDB Local alike.
   */
  const discoverMs = 1_000;
  let discoveredAt = Number.NEGATIVE_INFINITY;
  let rediscover = true;

  const discoverShards = async () => {
    if (!rediscover && performance.now() - discoveredAt < discoverMs) return;
    rediscover = false;
    discoveredAt = performance.now();
    const stream = await client.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    for (const shard of stream.StreamDescription?.Shards ?? []) {
      if (!shard.ShardId || iterators.has(shard.ShardId)) continue;
      const parentOpen = shard.ParentShardId && iterators.get(shard.ParentShardId);
      if (parentOpen) continue; // children are read after their parent is finished
      const { ShardIterator } = await client.send(
        new GetShardIteratorCommand({
          StreamArn: streamArn,
          ShardId: shard.ShardId,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      );
      iterators.set(shard.ShardId, ShardIterator ?? null);
    }
  };

  const toLambdaRecord = (record: StreamRecord) =>
    ({
      eventID: record.eventID,
      eventName: record.eventName,
      eventVersion: record.eventVersion,
      eventSource: 'aws:dynamodb',
      awsRegion: LOCAL_REGION,
      eventSourceARN: streamArn,
      dynamodb: record.dynamodb,
    }) as DynamoDBStreamEvent['Records'][number];

  const pollShard = async (shardId: string, iterator: string): Promise<boolean> => {
    const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: batchSize }));
    const records = page.Records ?? [];
    if (records.length > 0) {
      const handler = await options.loadHandler();
      const result = await handler(
        { Records: records.map(toLambdaRecord) },
        lambdaContext('connect-payouts-local-publish-events', `stream-${Date.now()}`, 60_000),
      );
      const failed = result?.batchItemFailures?.[0]?.itemIdentifier;
      if (failed) {
        const { ShardIterator } = await client.send(
          new GetShardIteratorCommand({
            StreamArn: streamArn,
            ShardId: shardId,
            ShardIteratorType: 'AT_SEQUENCE_NUMBER',
            SequenceNumber: failed,
          }),
        );
        iterators.set(shardId, ShardIterator ?? null);
        await new Promise((resolve) => setTimeout(resolve, 200));
        return true;
      }
    }
    iterators.set(shardId, page.NextShardIterator ?? null);
    if (!page.NextShardIterator) rediscover = true; // the shard closed: its children are read next
    return records.length > 0;
  };

  const loop = async () => {
    while (!stopped) {
      busy = true;
      let progressed = false;
      try {
        await discoverShards(); // lists the shards only when due (see above)
        for (const [shardId, iterator] of iterators) {
          if (stopped || !iterator) continue;
          if (await pollShard(shardId, iterator)) progressed = true;
        }
      } catch (error) {
        if (!stopped) console.error('[streams] polling failed', error);
      }
      busy = false;
      caughtUp = !progressed;
      if (caughtUp) {
        for (const wake of waiters) wake();
        waiters = [];
      }
      await new Promise((resolve) => setTimeout(resolve, progressed ? 0 : pollMs));
    }
  };
  const running = loop();

  return {
    requests: () => ({ ...sent }),
    async drained() {
      // Two quiet rounds after the call, with the shards listed afresh: everything written before it has been read
      // and handled.
      rediscover = true;
      for (let round = 0; round < 2; round++) {
        caughtUp = false;
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
      void busy;
    },
    async stop() {
      stopped = true;
      for (const wake of waiters) wake();
      await running;
      client.destroy();
    },
  };
}
