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
/** How often the shards are listed again while none has closed (new shards only follow a closed one). */
const SHARD_LISTING_MS = 1_000;

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
  const batchSize = options.batchSize ?? 100;
  const pollMs = options.pollMs ?? 50;
  /** Shard id → iterator (or null once the shard is closed and fully read). */
  const iterators = new Map<string, string | null>();
  let stopped = false;
  let busy = false;
  let caughtUp = false;
  let waiters: (() => void)[] = [];

  const discoverShards = async () => {
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
    if (!page.NextShardIterator) shardClosed = true;
    return records.length > 0;
  };

  // Shards are listed again when one closes (its children hold the newer records) and otherwise at most once a
  // second: listing them on every poll doubled the requests the idle stack makes to DynamoDB Local.
  let listedAt = 0;
  let shardClosed = false;
  const loop = async () => {
    while (!stopped) {
      busy = true;
      let progressed = false;
      try {
        if (shardClosed || Date.now() - listedAt >= SHARD_LISTING_MS) {
          shardClosed = false;
          listedAt = Date.now();
          await discoverShards();
        }
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
    async drained() {
      // Two quiet rounds after the call: everything written before it has been read and handled.
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
