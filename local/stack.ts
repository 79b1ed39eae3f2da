import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CONNECT_EVENT_TYPES } from '#adapters/stripe/connect-event';
import { PLATFORM_EVENT_TYPES } from '#adapters/stripe/platform-event';
import type { DeclaredStripeLimits } from '#core/stripe-limits';
import { FUNCTION_TIMEOUT_SECONDS } from '#infra/limits';
import { JOBS, PAYOUT_BATCH_SIZE, ROUTES } from '#routes';
import { createTokenVerifier, type LocalApiGateway, startApiGateway } from './api-gateway.ts';
import { type LocalCognito, type LocalUserPool, provisionUserPool, startCognitoLocal } from './cognito.ts';
import { ensureTable, LOCAL_CREDENTIALS, LOCAL_REGION, type LocalDynamo, startDynamoDbLocal } from './dynamodb.ts';
import { LocalStackError, resolvePort } from './processes.ts';
import { type EventSource, type LocalQueues, startEventSource, startLocalQueues } from './sqs.ts';
import { type RateLimitUpdate, type StripeEmulator, startStripeEmulator } from './stripe-emulator/index.ts';

export const LOCAL_TABLE_NAME = 'connect-payouts-local';

export interface LocalStackOptions {
  /** 0 = any free port (tests). */
  apiPort: number;
  dynamoPort: number;
  cognitoPort: number;
  stripePort: number;
  /** Persist DynamoDB and cognito-local data here; in memory / a temporary folder when absent. */
  dataDir?: string;
  appUrl?: string;
  /** The platform balance the emulator starts with, per currency, in minor units. */
  stripeInitialBalance?: Array<{ currency: string; amount: number }>;
  stripeRateLimitPerSecond?: number;
  /** The emulator's limits on top of Stripe's defaults (raised limits), e.g. `{ endpoints: { 'POST /v1/transfers': 100 } }`. */
  stripeRateLimits?: RateLimitUpdate;
  /** The limits the functions budget for (`STRIPE_RATE_LIMITS`); unset = Stripe's documented defaults. */
  functionStripeRateLimits?: DeclaredStripeLimits;
  /** The key the functions use (default `sk_test_local_connect_payouts`); an `sk_live_…` one gets live-mode limits. */
  stripeApiKey?: string;
  /** How many requests the emulator's request log keeps (default 10,000). */
  stripeRequestLogCapacity?: number;
  logRequests?: boolean;
  /** SQS stand-in port (0 = any free port) and the payout queue's visibility timeout (short locally). */
  sqsPort?: number;
  payoutVisibilityTimeoutSeconds?: number;
  /** Like the event source mapping's maximum concurrency. */
  payoutWorkerConcurrency?: number;
  onPayoutInvocation?: (ms: number, records: number) => void;
}

export interface LocalStackInfo {
  apiUrl: string;
  dynamoEndpoint: string;
  cognitoEndpoint: string;
  stripeUrl: string;
  tableName: string;
  userPool: LocalUserPool;
  stripeApiKey: string;
  platformWebhookSecret: string;
  connectWebhookSecret: string;
  stripePort: number;
  sqsEndpoint: string;
  payoutQueueUrl: string;
  payoutDlqUrl: string;
}

export interface LocalStack {
  info: LocalStackInfo;
  dynamo: LocalDynamo;
  cognito: LocalCognito;
  stripe: StripeEmulator;
  api: LocalApiGateway;
  queues: LocalQueues;
  payoutWorkers: EventSource;
  stop(): Promise<void>;
}

// biome-ignore lint/suspicious/noExplicitAny: a handler module's export is only known at run time
type AnyHandler = (...args: any[]) => Promise<any>;

/** Imports a deployed entry file (relative to the repository root) and returns its `handler`. */
export async function importHandler<H extends AnyHandler>(entry: string): Promise<H> {
  const module = (await import(pathToFileURL(path.resolve(import.meta.dirname, '..', entry)).href)) as { handler?: H };
  if (typeof module.handler !== 'function') throw new LocalStackError(`${entry} does not export a handler`);
  return module.handler;
}

const hasRoute = (routePath: string) => ROUTES.some((route) => route.path === routePath && route.method === 'POST');

/**
 * Environment of the functions, as the stack sets it in AWS — except that, locally, secret values are passed
 * directly (SECRETS_PROVIDER=env, only allowed with STAGE=local) and endpoints point at the stand-ins.
 */
export function functionEnvironment(
  info: LocalStackInfo,
  stateSigningKey: string,
  appUrl: string,
): Record<string, string> {
  return {
    STAGE: 'local',
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    TABLE_NAME: info.tableName,
    USER_POOL_ID: info.userPool.userPoolId,
    PAYOUT_QUEUE_URL: info.payoutQueueUrl,
    SQS_ENDPOINT: info.sqsEndpoint,
    API_BASE_URL: info.apiUrl,
    APP_URL: appUrl,
    SECRETS_PROVIDER: 'env',
    LOCAL_STRIPE_API_KEY: info.stripeApiKey,
    LOCAL_PLATFORM_WEBHOOK_SECRET: info.platformWebhookSecret,
    LOCAL_CONNECT_WEBHOOK_SECRET: info.connectWebhookSecret,
    LOCAL_STATE_SIGNING_KEY: stateSigningKey,
    STRIPE_API_HOST: '127.0.0.1',
    STRIPE_API_PORT: String(info.stripePort),
    STRIPE_API_PROTOCOL: 'http',
    DYNAMODB_ENDPOINT: info.dynamoEndpoint,
    COGNITO_ENDPOINT: info.cognitoEndpoint,
    POWERTOOLS_SERVICE_NAME: 'connect-payouts',
    POWERTOOLS_METRICS_NAMESPACE: 'ConnectPayoutsLocal',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
  };
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const started: Array<{ stop(): Promise<void> }> = [];
  const cognitoDir = options.dataDir
    ? path.join(options.dataDir, 'cognito')
    : mkdtempSync(path.join(os.tmpdir(), 'connect-payouts-cognito-'));
  const stopAll = async () => {
    for (const part of started.reverse()) await part.stop().catch(() => undefined);
    if (!options.dataDir) rmSync(cognitoDir, { recursive: true, force: true });
  };
  try {
    // Reserve the ports first so a taken port is reported before anything starts.
    const apiPort = await resolvePort(options.apiPort, 'the local API', 'PORT');
    const stripePort = await resolvePort(options.stripePort, 'the Stripe emulator', 'STRIPE_PORT');
    if (options.dataDir) mkdirSync(path.join(options.dataDir, 'dynamodb'), { recursive: true });

    const [dynamo, cognito, queues] = await Promise.all([
      startDynamoDbLocal({
        port: options.dynamoPort,
        ...(options.dataDir ? { dataDir: path.join(options.dataDir, 'dynamodb') } : {}),
      }).then((d) => {
        started.push(d);
        return d;
      }),
      startCognitoLocal({ port: options.cognitoPort, dataDir: cognitoDir }).then((c) => {
        started.push(c);
        return c;
      }),
      startLocalQueues({
        port: options.sqsPort ?? 0,
        visibilityTimeoutSeconds: options.payoutVisibilityTimeoutSeconds ?? 30,
      }).then((q) => {
        started.push(q);
        return q;
      }),
    ]);
    await ensureTable(dynamo.client, LOCAL_TABLE_NAME);
    const userPool = await provisionUserPool(cognito.client, cognito.endpoint);

    const apiUrl = `http://localhost:${apiPort}`;
    const platformWebhookSecret = `whsec_local_${randomBytes(16).toString('hex')}`;
    const connectWebhookSecret = `whsec_local_${randomBytes(16).toString('hex')}`;
    const stripeApiKey = options.stripeApiKey ?? 'sk_test_local_connect_payouts';
    const stripe = await startStripeEmulator({
      port: stripePort,
      host: '127.0.0.1',
      quiet: true,
      ...(options.stripeRateLimitPerSecond ? { rateLimitPerSecond: options.stripeRateLimitPerSecond } : {}),
      ...(options.stripeRateLimits ? { rateLimits: options.stripeRateLimits } : {}),
      // A live-shaped key is accepted only when the stack was given one (benchmarks of live mode's limits).
      ...(stripeApiKey.startsWith('sk_live_') ? { apiKeyPrefix: ['sk_test_', 'sk_live_'] } : {}),
      ...(options.stripeInitialBalance ? { initialBalance: options.stripeInitialBalance } : {}),
      ...(options.stripeRequestLogCapacity ? { requestLogCapacity: options.stripeRequestLogCapacity } : {}),
      webhooks: {
        // Subscribed to the same events as the deployed endpoints (README, Deploy).
        ...(hasRoute('/webhooks/stripe')
          ? {
              platform: {
                url: `${apiUrl}/webhooks/stripe`,
                secret: platformWebhookSecret,
                enabledEvents: PLATFORM_EVENT_TYPES,
              },
            }
          : {}),
        ...(hasRoute('/webhooks/stripe/connect')
          ? {
              connect: {
                url: `${apiUrl}/webhooks/stripe/connect`,
                secret: connectWebhookSecret,
                enabledEvents: CONNECT_EVENT_TYPES,
              },
            }
          : {}),
      },
    });
    started.push({ stop: () => stripe.close() });

    const info: LocalStackInfo = {
      apiUrl,
      dynamoEndpoint: dynamo.endpoint,
      cognitoEndpoint: cognito.endpoint,
      stripeUrl: stripe.url,
      tableName: LOCAL_TABLE_NAME,
      userPool,
      stripeApiKey,
      platformWebhookSecret,
      connectWebhookSecret,
      stripePort: stripe.port,
      sqsEndpoint: queues.endpoint,
      payoutQueueUrl: queues.payoutQueueUrl,
      payoutDlqUrl: queues.payoutDlqUrl,
    };
    Object.assign(process.env, functionEnvironment(info, randomBytes(32).toString('hex'), options.appUrl ?? ''));
    if (options.functionStripeRateLimits)
      process.env.STRIPE_RATE_LIMITS = JSON.stringify(options.functionStripeRateLimits);
    else delete process.env.STRIPE_RATE_LIMITS;

    const api = await startApiGateway({
      port: apiPort,
      routes: ROUTES,
      verifyToken: await createTokenVerifier(userPool),
      ...(options.logRequests
        ? {
            onRequest: (line) =>
              console.log(
                `[api] ${line.method} ${line.path} -> ${line.status} (${line.ms} ms${line.route ? `, ${line.route}` : ''})`,
              ),
          }
        : {}),
    });
    started.push({ stop: () => api.close() });

    const worker = JOBS.find((job) => job.trigger === 'payout-queue');
    if (!worker) throw new LocalStackError('no payout-queue job in functions/routes.ts');
    const payoutWorkers = startEventSource({
      client: queues.client,
      queueUrl: queues.payoutQueueUrl,
      queueArn: queues.payoutQueueArn,
      loadHandler: () => importHandler(worker.handler),
      batchSize: PAYOUT_BATCH_SIZE,
      maxConcurrency: options.payoutWorkerConcurrency ?? 4,
      functionTimeoutMs: FUNCTION_TIMEOUT_SECONDS['payout-queue'] * 1000,
      ...(options.onPayoutInvocation ? { onInvocation: options.onPayoutInvocation } : {}),
    });
    started.push(payoutWorkers);
    return { info, dynamo, cognito, stripe, api, queues, payoutWorkers, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
