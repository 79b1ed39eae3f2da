import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { EVENT_SOURCE } from '#adapters/eventbridge/bus';
import { useStripeClock } from '#adapters/stripe/client';
import { CONNECT_EVENT_TYPES } from '#adapters/stripe/connect-event';
import { PLATFORM_EVENT_TYPES } from '#adapters/stripe/platform-event';
import { EMAIL_EVENT_TYPES } from '#core/partner-emails';
import type { DeclaredStripeLimits } from '#core/stripe-limits';
import { FUNCTION_TIMEOUT_SECONDS } from '#infra/limits';
import { JOBS, type JobDefinition, PAYOUT_BATCH_SIZE, ROUTES, STRIPE_EVENTS_BATCH_SIZE } from '#routes';
import { createTokenVerifier, type LocalApiGateway, startApiGateway } from './api-gateway.ts';
import { type LocalCognito, type LocalUserPool, provisionUserPool, startCognitoLocal } from './cognito.ts';
import { ensureTable, LOCAL_CREDENTIALS, LOCAL_REGION, type LocalDynamo, startDynamoDbLocal } from './dynamodb.ts';
import { type BusEntry, type LocalEventBus, startLocalEventBus } from './eventbridge.ts';
import { type LocalMail, startLocalMail } from './mail.ts';
import { LocalStackError, resolvePort } from './processes.ts';
import {
  type EventSource,
  type EventSourceOptions,
  type LocalQueues,
  startEventSource,
  startLocalQueues,
} from './sqs.ts';
import { type StreamSource, startStreamSource } from './streams.ts';
import { type RateLimitUpdate, type StripeEmulator, startStripeEmulator } from './stripe-emulator/index.ts';
import { webAppServer } from './web-app.ts';

export const LOCAL_TABLE_NAME = 'connect-payouts-local';

/**
 * Return targets the local stack lets apps name (ALLOWED_RETURN_TARGETS): the demo's app scheme and an https origin
 * of a demo web app, so the tests and the demo can follow onboarding back to an app.
 */
export const LOCAL_RETURN_TARGETS = ['connectpayouts-demo://', 'https://app.connect-payouts.localhost'] as const;

export interface LocalStackOptions {
  /** 0 = any free port (tests). */
  apiPort: number;
  dynamoPort: number;
  cognitoPort: number;
  stripePort: number;
  /** Persist DynamoDB and cognito-local data here; in memory / a temporary folder when absent. */
  dataDir?: string;
  appUrl?: string;
  /**
   * Serve the web app (`web/dist`, see local/web-app.ts) at `/app`. Without an explicit `appUrl`, partners then
   * return from Stripe to `<api>/app/`.
   */
  webApp?: boolean;
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
  /**
   * Check every API answer against the route's documented responses (the test suites): an undocumented status or
   * field becomes a 500 `contract_violation` and is kept in `api.contractViolations`.
   */
  enforceContract?: boolean;
  /** Keep the first JSON answer of every route and status in `api.examples` (see local/openapi/examples.ts). */
  recordExamples?: boolean;
  /** SQS stand-in port (0 = any free port) and the payout queue's visibility timeout (short locally). */
  sqsPort?: number;
  payoutVisibilityTimeoutSeconds?: number;
  /** DynamoDB Local's JVM options (default: tuned for short runs; benchmarks pass `[]` for the JVM's defaults). */
  dynamoJvmOptions?: readonly string[];
  /** Like the event source mapping's maximum concurrency. */
  payoutWorkerConcurrency?: number;
  onPayoutInvocation?: (ms: number, records: number) => void;
  /** The capturing SMTP server's port and its read API's port (0 = any free port). */
  smtpPort?: number;
  mailPort?: number;
  /**
   * Where the emulator sends Stripe events at start: the webhook routes (default), or — like Stripe's EventBridge
   * destination — the Stripe events queue in the EventBridge envelope, consumed by the `stripe-events` job. Either
   * way both channels are wired, and the emulator's control API switches between them.
   */
  stripeEvents?: 'webhooks' | 'eventbridge';
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
  eventBusEndpoint: string;
  eventDeliveryQueueUrl: string;
  /** The capturing SMTP server and its read API (`GET {mailUrl}/messages`). */
  smtpUrl: string;
  mailUrl: string;
  stripeEventsQueueUrl: string;
  stripeEventsDlqUrl: string;
  /** The reconciliation queue (`npm run reconcile` puts a day's start there). */
  reconciliationQueueUrl: string;
  /** The partner event source name the local EventBridge envelopes carry as `source`. */
  stripeEventSourceName: string;
  /** The publishable key the local API hands to Connect.js (accepted by the emulator's stand-in). */
  stripePublishableKey: string;
}

export interface LocalStack {
  info: LocalStackInfo;
  dynamo: LocalDynamo;
  cognito: LocalCognito;
  stripe: StripeEmulator;
  api: LocalApiGateway;
  queues: LocalQueues;
  payoutWorkers: EventSource;
  /** Domain events: the bus stand-in, the table stream's publisher and the delivery workers. */
  eventBus: LocalEventBus;
  eventStream: StreamSource;
  eventDeliveries: EventSource;
  mail: LocalMail;
  emailWorkers: EventSource;
  /** The Stripe events consumer (EventBridge channel) polling the Stripe events queue. */
  stripeEventWorkers: EventSource;
  /** The reconciliation queue's consumer (`npm run reconcile`, the daily start in AWS). */
  reconciliationWorkers: EventSource;
  stop(): Promise<void>;
}

/** The handler of the route table's job on a trigger (the same entry file the stack deploys for it). */
function jobHandler(trigger: JobDefinition['trigger']): string {
  const job = JOBS.find((entry) => entry.trigger === trigger);
  if (!job) throw new LocalStackError(`no ${trigger} job in functions/routes.ts`);
  return job.handler;
}
export const LOCAL_EVENT_BUS = 'connect-payouts-local-events';

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
    ALLOWED_RETURN_TARGETS: process.env.ALLOWED_RETURN_TARGETS ?? LOCAL_RETURN_TARGETS.join(','),
    STRIPE_PUBLISHABLE_KEY: info.stripePublishableKey,
    ACCOUNT_SESSION_COMPONENTS: 'account_onboarding,notification_banner,account_management,payouts,documents',
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
    EVENT_BUS_NAME: LOCAL_EVENT_BUS,
    EVENTBRIDGE_ENDPOINT: info.eventBusEndpoint,
    EVENT_DELIVERY_QUEUE_URL: info.eventDeliveryQueueUrl,
    RECONCILIATION_QUEUE_URL: info.reconciliationQueueUrl,
    EVENT_DELIVERY_RETRY_SECONDS: '1',
    SMTP_URL: info.smtpUrl,
    PLATFORM_NAME: 'Local Platform',
    EMAIL_FROM: 'payouts@platform.localhost',
    POWERTOOLS_SERVICE_NAME: 'connect-payouts',
    POWERTOOLS_METRICS_NAMESPACE: 'ConnectPayoutsLocal',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
    // The emulator's platform can be funded in these (tests and the demo do); JPY is not one of them.
    PAYOUT_CURRENCIES: process.env.PAYOUT_CURRENCIES ?? 'usd,eur,gbp,cad',
    DISPUTE_FEE_PAYER: process.env.DISPUTE_FEE_PAYER ?? 'platform',
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
        ...(options.dynamoJvmOptions ? { jvmOptions: options.dynamoJvmOptions } : {}),
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
    const eventBus = await startLocalEventBus({ port: 0 });
    started.push(eventBus);
    const mail = await startLocalMail({ smtpPort: options.smtpPort ?? 0, httpPort: options.mailPort ?? 0 });
    started.push(mail);
    // EventBridge delivers to SQS itself in AWS (no function's compute, no SDK call): the stand-in puts the message
    // straight into the SQS stand-in's queue, sparing this process a signed HTTP round trip per event and rule.
    const busTarget = (queueUrl: string) => async (entry: BusEntry) => {
      queues.server.sendMessage(
        queueUrl.slice(queueUrl.lastIndexOf('/') + 1),
        JSON.stringify({
          version: '0',
          id: entry.id,
          'detail-type': entry.detailType,
          source: entry.source,
          account: '000000000000',
          time: entry.time,
          region: LOCAL_REGION,
          resources: [],
          detail: JSON.parse(entry.detail),
        }),
      );
    };
    // The stack's rules: every domain event → the delivery queue; the email-worthy types → the email queue.
    eventBus.addRule('deliver-to-platform', { source: [EVENT_SOURCE] }, busTarget(queues.eventDeliveryQueueUrl));
    eventBus.addRule(
      'partner-emails',
      { source: [EVENT_SOURCE], detailType: EMAIL_EVENT_TYPES },
      busTarget(queues.emailQueueUrl),
    );
    const userPool = await provisionUserPool(cognito.client, cognito.endpoint);

    const apiUrl = `http://localhost:${apiPort}`;
    const platformWebhookSecret = `whsec_local_${randomBytes(16).toString('hex')}`;
    const connectWebhookSecret = `whsec_local_${randomBytes(16).toString('hex')}`;
    const stripeApiKey = options.stripeApiKey ?? 'sk_test_local_connect_payouts';
    const stripeEventSourceName = 'aws.partner/stripe.com/ed_test_local_connect_payouts';
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
      // The EventBridge destination: the queue the deployed rules target, for exactly the rules' event types.
      eventBridge: {
        sqsEndpoint: queues.endpoint,
        queueUrl: queues.stripeEventsQueueUrl,
        region: LOCAL_REGION,
        eventSourceName: stripeEventSourceName,
        enabledEvents: PLATFORM_EVENT_TYPES,
        connectEnabledEvents: CONNECT_EVENT_TYPES,
        credentials: LOCAL_CREDENTIALS,
      },
      eventDestination: options.stripeEvents ?? 'webhooks',
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
    // The handlers run in this process: the timestamps they send Stripe follow the emulator's (movable) clock.
    useStripeClock(() => stripe.nowSeconds());

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
      eventBusEndpoint: eventBus.endpoint,
      eventDeliveryQueueUrl: queues.eventDeliveryQueueUrl,
      smtpUrl: mail.smtpUrl,
      mailUrl: mail.url,
      stripeEventsQueueUrl: queues.stripeEventsQueueUrl,
      stripeEventsDlqUrl: queues.stripeEventsDlqUrl,
      reconciliationQueueUrl: queues.reconciliationQueueUrl,
      stripeEventSourceName,
      stripePublishableKey: 'pk_test_local_connect_payouts',
    };
    const appUrl = options.appUrl ?? (options.webApp ? `${apiUrl}/app/` : '');
    Object.assign(process.env, functionEnvironment(info, randomBytes(32).toString('hex'), appUrl));
    if (options.functionStripeRateLimits)
      process.env.STRIPE_RATE_LIMITS = JSON.stringify(options.functionStripeRateLimits);
    else delete process.env.STRIPE_RATE_LIMITS;

    const api = await startApiGateway({
      port: apiPort,
      routes: ROUTES,
      verifyToken: await createTokenVerifier(userPool),
      enforceContract: options.enforceContract ?? false,
      ...(options.webApp
        ? {
            webApp: webAppServer({
              cognitoDataDir: cognitoDir,
              userPoolId: userPool.userPoolId,
              config: () => ({
                apiUrl,
                auth: {
                  mode: 'password',
                  cognitoEndpoint: cognito.endpoint,
                  clientId: userPool.clientId,
                  confirmationCodes: '/app/local/confirmation-code',
                },
                connectJsUrl: `${stripe.url}/connect-js/v1.0/connect.js`,
                platformName: 'Local Platform',
              }),
            }),
          }
        : {}),
      recordExamples: options.recordExamples ?? false,
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

    // The workers' entry files, from the route table's jobs (a missing job is reported before anything polls).
    const publisherHandler = jobHandler('table-stream');
    const queueHandlers = {
      'payout-queue': jobHandler('payout-queue'),
      'event-delivery-queue': jobHandler('event-delivery-queue'),
      'email-queue': jobHandler('email-queue'),
      'stripe-events-queue': jobHandler('stripe-events-queue'),
      'reconciliation-queue': jobHandler('reconciliation-queue'),
    } as const;
    /** A queue's consumer, as Lambda's event source mapping runs it: its job, batch size, concurrency and timeout. */
    const consume = (
      trigger: keyof typeof queueHandlers,
      queue: { url: string; arn: string },
      options: Pick<EventSourceOptions, 'batchSize' | 'maxConcurrency' | 'functionName' | 'onInvocation'>,
    ) => {
      const source = startEventSource({
        client: queues.client,
        queueUrl: queue.url,
        queueArn: queue.arn,
        loadHandler: () => importHandler(queueHandlers[trigger]),
        functionTimeoutMs: FUNCTION_TIMEOUT_SECONDS[trigger] * 1000,
        ...options,
      });
      started.push(source);
      return source;
    };
    const payoutWorkers = consume(
      'payout-queue',
      { url: queues.payoutQueueUrl, arn: queues.payoutQueueArn },
      {
        batchSize: PAYOUT_BATCH_SIZE,
        maxConcurrency: options.payoutWorkerConcurrency ?? 4,
        ...(options.onPayoutInvocation ? { onInvocation: options.onPayoutInvocation } : {}),
      },
    );
    const eventStream = await startStreamSource({
      dynamo: dynamo.client,
      endpoint: dynamo.endpoint,
      tableName: LOCAL_TABLE_NAME,
      loadHandler: () => importHandler(publisherHandler),
    });
    started.push(eventStream);
    const eventDeliveries = consume(
      'event-delivery-queue',
      { url: queues.eventDeliveryQueueUrl, arn: queues.eventDeliveryQueueArn },
      { batchSize: 10, maxConcurrency: 2, functionName: 'connect-payouts-local-deliver-events' },
    );
    const emailWorkers = consume(
      'email-queue',
      { url: queues.emailQueueUrl, arn: queues.emailQueueArn },
      { batchSize: 10, maxConcurrency: 1, functionName: 'connect-payouts-local-send-partner-emails' },
    );
    const stripeEventWorkers = consume(
      'stripe-events-queue',
      { url: queues.stripeEventsQueueUrl, arn: queues.stripeEventsQueueArn },
      { batchSize: STRIPE_EVENTS_BATCH_SIZE, maxConcurrency: 2, functionName: 'connect-payouts-local-stripe-events' },
    );
    const reconciliationWorkers = consume(
      'reconciliation-queue',
      { url: queues.reconciliationQueueUrl, arn: queues.reconciliationQueueArn },
      { batchSize: 1, maxConcurrency: 2, functionName: 'connect-payouts-local-reconcile' },
    );
    return {
      mail,
      emailWorkers,
      info,
      dynamo,
      cognito,
      stripe,
      api,
      queues,
      payoutWorkers,
      eventBus,
      eventStream,
      eventDeliveries,
      stripeEventWorkers,
      reconciliationWorkers,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
