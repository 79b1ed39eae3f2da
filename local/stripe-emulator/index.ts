import { buildRouter } from './api.ts';
import { applyInitialBalance, createControl, type EmulatorControlApi } from './control.ts';
import { EmulatorCore } from './core.ts';
import { FaultInjector } from './faults.ts';
import { IdempotencyStore } from './idempotency.ts';
import { seededRandom } from './ids.ts';
import {
  defaultRateLimits,
  type RateLimitConfig,
  RateLimiter,
  type RateLimitUpdate,
  unlimitedRateLimits,
} from './rate-limiter.ts';
import { RequestLog } from './request-log.ts';
import { applyRequirementDeadlines } from './resources/accounts.ts';
import { createEmulatorServer, listen } from './server.ts';
import type { EventBridgeDestination, EventDestinationKind, WebhookEndpointConfig } from './webhooks.ts';

export type {
  EmulatorControlApi,
  FundBalanceInput,
  RequestLogFilter,
  WebhookConfigInput,
} from './control.ts';
export { EmulatorControlClient } from './control-client.ts';
export type { FaultRule, LatencyDistribution } from './faults.ts';
export type { KeyMode, RateLimitConfig, RateLimitUpdate } from './rate-limiter.ts';
export { STRIPE_DEFAULT_RATE_LIMITS } from './rate-limiter.ts';
export type { RequestLogEntry } from './request-log.ts';
export { busiestSecond } from './request-log.ts';
export type { AccountState, AccountStateOptions } from './resources/accounts.ts';
export { ACCOUNT_STATES } from './resources/accounts.ts';
export type {
  Account as EmulatorAccount,
  Balance as EmulatorBalance,
  Payout as EmulatorPayout,
  StripeEvent as EmulatorEvent,
} from './types.ts';
export type {
  Delivery,
  DeliveryMode,
  EventBridgeDestination,
  EventDestinationKind,
  FlushResult,
  WebhookEndpointConfig,
  WebhookEndpoints,
} from './webhooks.ts';
export { eventBridgeEnvelope, signPayload } from './webhooks.ts';

export interface StripeEmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /**
   * Accepted secret-key prefixes; default `sk_test_` only. Add `sk_live_` to accept live-shaped keys, which get live
   * mode's rate limits (the emulator never reaches Stripe, whatever the key).
   */
  apiKeyPrefix?: string | string[];
  /**
   * Rate limits on top of Stripe's defaults (global 100/s for live keys, 25/s for test keys; 25/s per endpoint):
   * e.g. `{ endpoints: { 'POST /v1/transfers': 100 } }` for a raised limit.
   */
  rateLimits?: RateLimitUpdate;
  /** Shorthand: 0 or null turns every limit off; a number sets the global limit of both modes. */
  rateLimitPerSecond?: number | null;
  /** Platform balance available from the start (and again after each reset). */
  initialBalance?: Array<{ currency: string; amount: number }>;
  webhooks?: { platform?: WebhookEndpointConfig; connect?: WebhookEndpointConfig };
  /** Stripe's EventBridge destination (locally: an SQS queue), and which destination events go to at start. */
  eventBridge?: EventBridgeDestination;
  eventDestination?: EventDestinationKind;
  /** Emulator seconds between webhook retries (default: Stripe-like backoff over ~3 days). */
  webhookRetryDelaysSeconds?: number[];
  /** Base clock in ms since the epoch; the control API advances emulator time on top of it. */
  now?: () => number;
  /** Seed for ids and fault dice (reproducible runs). */
  seed?: number;
  /** No console output. */
  quiet?: boolean;
  /** How many requests the request log keeps, newest last (default 10,000). */
  requestLogCapacity?: number;
}

export interface StripeEmulator extends EmulatorControlApi {
  /** e.g. `http://127.0.0.1:12111` */
  url: string;
  port: number;
  host: string;
  /** Options for `new Stripe(key, { ...emulator.stripeOptions })`. */
  stripeOptions: { host: string; port: number; protocol: 'http' };
  /** Emulator time (epoch seconds), read synchronously in the same process. */
  nowSeconds(): number;
  close(): Promise<void>;
}

export async function startStripeEmulator(options: StripeEmulatorOptions = {}): Promise<StripeEmulator> {
  const host = options.host ?? '127.0.0.1';
  const coreOptions: ConstructorParameters<typeof EmulatorCore>[0] = {};
  if (options.now) coreOptions.now = options.now;
  if (options.seed !== undefined) coreOptions.seed = options.seed;
  if (options.quiet !== undefined) coreOptions.quiet = options.quiet;
  const core = new EmulatorCore(coreOptions);
  core.onSettle.push(applyRequirementDeadlines);
  const limiter = new RateLimiter(initialRateLimits(options));
  const initialRateLimit = structuredClone(limiter.config);
  const faults = new FaultInjector(seededRandom((options.seed ?? 7) ^ 0x5f3759df));
  const idempotency = new IdempotencyStore(() => core.clock.nowMs());
  const log = new RequestLog(options.requestLogCapacity);
  const initialWebhooks = { ...(options.webhooks ?? {}) };
  core.webhooks.endpoints = { ...initialWebhooks };
  const initialEventBridge = options.eventBridge ?? null;
  const initialEventDestination = initialEventBridge ? (options.eventDestination ?? 'webhooks') : 'webhooks';
  core.webhooks.eventBridge = initialEventBridge;
  core.webhooks.destination = initialEventDestination;
  if (options.webhookRetryDelaysSeconds) core.webhooks.retryDelaysSeconds = [...options.webhookRetryDelaysSeconds];
  const initialBalance = options.initialBalance ?? [];
  applyInitialBalance(core, initialBalance);
  const control = createControl({
    core,
    limiter,
    faults,
    idempotency,
    log,
    initialBalance,
    initialWebhooks,
    initialRateLimit,
    initialRetryDelaysSeconds: options.webhookRetryDelaysSeconds ?? null,
    initialEventBridge,
    initialEventDestination,
  });
  const server = createEmulatorServer(
    core,
    {
      core,
      router: buildRouter(),
      limiter,
      faults,
      idempotency,
      log,
      apiKeyPrefixes: [options.apiKeyPrefix ?? 'sk_test_'].flat(),
    },
    control,
  );
  const address = await listen(server, options.port ?? 0, host);
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${address.port}`;
  core.baseUrl = url;
  return {
    ...control,
    url,
    port: address.port,
    host,
    stripeOptions: { host, port: address.port, protocol: 'http' },
    nowSeconds: () => core.now(),
    async close() {
      await core.webhooks.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function initialRateLimits(options: StripeEmulatorOptions): RateLimitConfig {
  if (options.rateLimitPerSecond === 0 || options.rateLimitPerSecond === null) {
    const limiter = new RateLimiter(unlimitedRateLimits());
    return options.rateLimits ? limiter.configure(options.rateLimits) : limiter.config;
  }
  const limiter = new RateLimiter(defaultRateLimits());
  if (options.rateLimitPerSecond !== undefined) limiter.configure({ global: options.rateLimitPerSecond });
  if (options.rateLimits) limiter.configure(options.rateLimits);
  return limiter.config;
}
