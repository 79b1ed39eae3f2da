import type { EmulatorCore } from './core.ts';
import { checkCurrency } from './currency.ts';
import { invalidRequest, StripeApiError } from './errors.ts';
import type { FaultInjector, FaultRule } from './faults.ts';
import type { IdempotencyStore } from './idempotency.ts';
import type { RateLimitConfig, RateLimiter, RateLimitUpdate } from './rate-limiter.ts';
import type { RequestLog, RequestLogEntry } from './request-log.ts';
import { ACCOUNT_STATES, type AccountState, type AccountStateOptions, setAccountState } from './resources/accounts.ts';
import { expireDueSessions } from './resources/checkout.ts';
import { resolvePaymentMethod, runCharge } from './resources/payments.ts';
import { markPayoutFailed, markPayoutInTransit, markPayoutPaid } from './resources/payouts.ts';
import { reverseTransfer } from './resources/transfers.ts';
import { PLATFORM } from './store.ts';
import type { Account, Balance, Payout } from './types.ts';
import type {
  Delivery,
  DeliveryMode,
  EventBridgeDestination,
  EventDestinationKind,
  FlushResult,
  WebhookEndpointConfig,
  WebhookEndpoints,
} from './webhooks.ts';

export interface FundBalanceInput {
  amount: number;
  currency: string;
  /** A connected account to credit instead of the platform. */
  account?: string;
  /** Land in pending (settles after 2 days of emulator time) instead of available. */
  pending?: boolean;
}

export interface WebhookConfigInput extends WebhookEndpoints {
  /** Emulator seconds between retries of a failed delivery; its length is the number of retries. */
  retryDelaysSeconds?: number[];
}

export interface RequestLogFilter {
  limit?: number;
  path?: string;
  method?: string;
}

/** The control operations, identical in process (`StripeEmulator`) and over HTTP (`EmulatorControlClient`). */
export interface EmulatorControlApi {
  reset(): Promise<void>;
  advanceClock(seconds: number): Promise<{ now: number; offsetSeconds: number }>;
  clock(): Promise<{ now: number; offsetSeconds: number }>;
  setAccountState(accountId: string, state: AccountState, options?: AccountStateOptions): Promise<Account>;
  fundBalance(input: FundBalanceInput): Promise<Balance>;
  setFaults(rules: FaultRule[]): Promise<FaultRule[]>;
  addFault(rule: FaultRule): Promise<FaultRule[]>;
  listFaults(): Promise<FaultRule[]>;
  clearFaults(): Promise<void>;
  /** Changes the limits (merged into the current ones); `reset` restores the limits the emulator started with. */
  setRateLimit(config: RateLimitUpdate): Promise<RateLimitConfig>;
  rateLimits(): Promise<RateLimitConfig>;
  requestLog(filter?: RequestLogFilter): Promise<RequestLogEntry[]>;
  clearRequestLog(): Promise<void>;
  configureWebhooks(config: WebhookConfigInput): Promise<WebhookEndpoints>;
  setDeliveryMode(mode: Partial<DeliveryMode>): Promise<DeliveryMode>;
  flushWebhooks(): Promise<FlushResult>;
  webhookDeliveries(): Promise<Delivery[]>;
  /**
   * Makes Stripe's records differ from the backend's, as happens in production, for reconciliation tests:
   * `reversal_without_webhook` reverses a transfer with its `transfer.reversed` webhook lost; `application_fee` changes a
   * charge's application fee with no event; `forget_transfer` makes Stripe forget a transfer; `transfer_amount` makes
   * a transfer's amount differ from what was asked.
   */
  injectDiscrepancy(input: DiscrepancyInjection): Promise<{ injected: string }>;
  payoutInTransit(payoutId: string): Promise<Payout>;
  payoutPaid(payoutId: string): Promise<Payout>;
  payoutFailed(payoutId: string, failureCode?: string): Promise<Payout>;
  /** Where new events go from now on: the webhook endpoints or the EventBridge destination (if configured). */
  setEventDestination(destination: EventDestinationKind): Promise<{ destination: EventDestinationKind }>;
  configureEventBridge(destination: EventBridgeDestination | null): Promise<EventBridgeDestination | null>;
}

export type DiscrepancyInjection =
  | { kind: 'reversal_without_webhook'; transferId: string; amount: number }
  | { kind: 'application_fee'; chargeId: string; amount: number }
  | { kind: 'forget_transfer'; transferId: string }
  | { kind: 'transfer_amount'; transferId: string; amount: number }
  /** A payout paid or failed at the bank whose events are never delivered (they are still in `/v1/events`). */
  | { kind: 'payout_status_without_webhook'; payoutId: string; status: 'paid' | 'failed' }
  | { kind: 'payout_amount'; payoutId: string; amount: number };

export interface ControlDeps {
  core: EmulatorCore;
  limiter: RateLimiter;
  faults: FaultInjector;
  idempotency: IdempotencyStore;
  log: RequestLog;
  initialBalance: Array<{ currency: string; amount: number }>;
  initialWebhooks: WebhookEndpoints;
  initialRateLimit: RateLimitConfig;
  initialRetryDelaysSeconds: number[] | null;
  initialEventBridge: EventBridgeDestination | null;
  initialEventDestination: EventDestinationKind;
}

/** Credits the platform silently (no events): the starting state `npm start` and `reset` give. */
export function applyInitialBalance(core: EmulatorCore, balances: Array<{ currency: string; amount: number }>): void {
  const now = core.now();
  for (const b of balances) {
    core.store.ledger.post(PLATFORM, {
      id: core.id('txn'),
      amount: b.amount,
      currency: checkCurrency(b.currency),
      type: 'adjustment',
      source: null,
      description: 'Initial emulator balance',
      created: now,
      availableOn: now,
    });
  }
}

export function createControl(deps: ControlDeps): EmulatorControlApi {
  const { core, limiter, faults, idempotency, log } = deps;
  const clockInfo = () => ({ now: core.now(), offsetSeconds: core.clock.offsetSeconds });
  return {
    async reset() {
      core.reset();
      idempotency.clear();
      log.clear();
      faults.clear();
      limiter.replace(deps.initialRateLimit);
      core.webhooks.endpoints = { ...deps.initialWebhooks };
      core.webhooks.eventBridge = deps.initialEventBridge;
      core.webhooks.destination = deps.initialEventDestination;
      if (deps.initialRetryDelaysSeconds) core.webhooks.retryDelaysSeconds = [...deps.initialRetryDelaysSeconds];
      applyInitialBalance(core, deps.initialBalance);
    },
    async advanceClock(seconds) {
      if (!Number.isFinite(seconds) || seconds < 0)
        throw invalidRequest('seconds must be a non-negative number', { param: 'seconds' });
      core.clock.advance(seconds);
      core.settle();
      expireDueSessions(core);
      core.webhooks.kick();
      return clockInfo();
    },
    async clock() {
      return clockInfo();
    },
    async setAccountState(accountId, state, options) {
      if (!ACCOUNT_STATES.includes(state)) {
        throw invalidRequest(`Unknown state ${state}; use one of ${ACCOUNT_STATES.join(', ')}`, { param: 'state' });
      }
      core.settle();
      return setAccountState(core, accountId, state, options);
    },
    async fundBalance(input) {
      if (!Number.isSafeInteger(input.amount) || input.amount <= 0) {
        throw invalidRequest('amount must be a positive integer in minor units', { param: 'amount' });
      }
      const currency = checkCurrency(input.currency);
      core.settle();
      if (input.account) {
        const now = core.now();
        core.store.ledger.post(input.account, {
          id: core.id('txn'),
          amount: input.amount,
          currency,
          type: 'adjustment',
          source: null,
          description: 'Emulator funding',
          created: now,
          availableOn: input.pending ? now + 2 * 86400 : now,
        });
        if (!input.pending) core.emitBalanceAvailable(input.account);
        const acct = core.store.accounts.get(input.account);
        return core.store.ledger.balance(input.account, acct?.default_currency ?? 'usd');
      }
      // As Stripe's docs advise: a charge with 4000 0000 0000 0077 lands in the available balance at once.
      const pm = resolvePaymentMethod(core, input.pending ? 'pm_card_visa' : 'pm_card_bypassPending', PLATFORM);
      runCharge(core, {
        owner: PLATFORM,
        amount: input.amount,
        currency,
        pm,
        paymentIntent: null,
        description: 'Emulator balance funding',
        metadata: {},
        receiptEmail: null,
        applicationFeeAmount: null,
        destination: null,
        onBehalfOf: null,
        transferGroup: null,
      });
      return core.store.ledger.balance(PLATFORM, core.platformCurrency);
    },
    async setFaults(rules) {
      faults.set(rules);
      return faults.list();
    },
    async addFault(rule) {
      faults.add(rule);
      return faults.list();
    },
    async listFaults() {
      return faults.list();
    },
    async clearFaults() {
      faults.clear();
    },
    async setRateLimit(config) {
      return structuredClone(limiter.configure(config));
    },
    async rateLimits() {
      return structuredClone(limiter.config);
    },
    async requestLog(filter) {
      return log.list(filter);
    },
    async clearRequestLog() {
      log.clear();
    },
    async configureWebhooks(config) {
      if (config.platform !== undefined) core.webhooks.endpoints.platform = config.platform;
      if (config.connect !== undefined) core.webhooks.endpoints.connect = config.connect;
      if (config.retryDelaysSeconds) core.webhooks.retryDelaysSeconds = [...config.retryDelaysSeconds];
      return { ...core.webhooks.endpoints };
    },
    async setDeliveryMode(mode) {
      core.webhooks.mode = { ...core.webhooks.mode, ...mode };
      core.webhooks.kick();
      return { ...core.webhooks.mode };
    },
    async flushWebhooks() {
      return core.webhooks.flush();
    },
    async webhookDeliveries() {
      return structuredClone(core.webhooks.deliveries);
    },
    async injectDiscrepancy(input) {
      switch (input.kind) {
        case 'reversal_without_webhook': {
          const transfer = core.store.transfers.get(input.transferId, PLATFORM);
          if (!transfer) throw invalidRequest(`No such transfer: ${input.transferId}`, { param: 'transferId' });
          const reversal = core.withLostWebhooks(() => reverseTransfer(core, transfer, input.amount, {}));
          return { injected: reversal.id };
        }
        case 'application_fee': {
          const charge = core.store.charges.get(input.chargeId, PLATFORM);
          if (!charge) throw invalidRequest(`No such charge: ${input.chargeId}`, { param: 'chargeId' });
          charge.application_fee_amount = input.amount;
          const fee = charge.application_fee ? core.store.applicationFees.get(charge.application_fee) : undefined;
          if (fee) fee.amount = input.amount;
          return { injected: charge.id };
        }
        case 'transfer_amount': {
          const transfer = core.store.transfers.get(input.transferId, PLATFORM);
          if (!transfer) throw invalidRequest(`No such transfer: ${input.transferId}`, { param: 'transferId' });
          transfer.amount = input.amount;
          return { injected: transfer.id };
        }
        case 'payout_status_without_webhook': {
          if (!core.store.payouts.get(input.payoutId)) {
            throw invalidRequest(`No such payout: ${input.payoutId}`, { param: 'payoutId' });
          }
          const payout = core.withLostWebhooks(() =>
            input.status === 'paid' ? markPayoutPaid(core, input.payoutId) : markPayoutFailed(core, input.payoutId),
          );
          return { injected: payout.id };
        }
        case 'payout_amount': {
          const payout = core.store.payouts.get(input.payoutId);
          if (!payout) throw invalidRequest(`No such payout: ${input.payoutId}`, { param: 'payoutId' });
          payout.amount = input.amount;
          return { injected: payout.id };
        }
        case 'forget_transfer': {
          if (!core.store.transfers.remove(input.transferId)) {
            throw invalidRequest(`No such transfer: ${input.transferId}`, { param: 'transferId' });
          }
          return { injected: input.transferId };
        }
      }
    },
    async payoutInTransit(payoutId) {
      return markPayoutInTransit(core, payoutId);
    },
    async payoutPaid(payoutId) {
      return markPayoutPaid(core, payoutId);
    },
    async payoutFailed(payoutId, failureCode) {
      return markPayoutFailed(core, payoutId, failureCode);
    },
    async setEventDestination(destination) {
      if (destination !== 'webhooks' && destination !== 'eventbridge') {
        throw invalidRequest('destination must be webhooks or eventbridge', { param: 'destination' });
      }
      if (destination === 'eventbridge' && !core.webhooks.eventBridge) {
        throw invalidRequest('No EventBridge destination is configured', { param: 'destination' });
      }
      core.webhooks.destination = destination;
      return { destination };
    },
    async configureEventBridge(destination) {
      core.webhooks.eventBridge = destination;
      if (!destination) core.webhooks.destination = 'webhooks';
      return destination;
    },
  };
}

// ---- HTTP binding (`/_emulator/...`, JSON in and out) ----

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function num(body: Record<string, unknown>, key: string): number | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number') throw invalidRequest(`${key} must be a number`, { param: key });
  return v;
}

function str(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw invalidRequest(`${key} must be a string`, { param: key });
  return v;
}

/** The final status a lost-webhook payout injection gives: `paid` or `failed`. */
function payoutStatus(value: string | undefined): 'paid' | 'failed' {
  if (value !== 'paid' && value !== 'failed')
    throw invalidRequest('status must be paid or failed', { param: 'status' });
  return value;
}

function endpointConfig(v: unknown, key: string): WebhookEndpointConfig | null | undefined {
  if (v === undefined) return undefined;
  if (v === null) return null;
  if (isRecord(v) && typeof v.url === 'string' && typeof v.secret === 'string') {
    const config: WebhookEndpointConfig = { url: v.url, secret: v.secret };
    if (v.enabledEvents !== undefined) {
      if (!Array.isArray(v.enabledEvents) || !v.enabledEvents.every((t): t is string => typeof t === 'string'))
        throw invalidRequest(`${key}.enabledEvents must be a list of event types`, { param: `${key}.enabledEvents` });
      config.enabledEvents = v.enabledEvents;
    }
    return config;
  }
  throw invalidRequest(`${key} must be { url, secret, enabledEvents? } or null`, { param: key });
}

function faultRule(v: unknown): FaultRule {
  if (!isRecord(v) || typeof v.endpoint !== 'string')
    throw invalidRequest('each fault rule needs an endpoint', { param: 'rules' });
  const rule: FaultRule = { endpoint: v.endpoint };
  for (const k of ['rateLimitRate', 'serverErrorRate', 'ambiguousRate', 'times'] as const) {
    const n = num(v, k);
    if (n !== undefined) rule[k] = n;
  }
  if (isRecord(v.latency)) {
    const l = v.latency;
    const minMs = num(l, 'minMs') ?? 0;
    const maxMs = num(l, 'maxMs') ?? minMs;
    rule.latency = { minMs, maxMs };
    const spikeRate = num(l, 'spikeRate');
    const spikeMs = num(l, 'spikeMs');
    if (spikeRate !== undefined) rule.latency.spikeRate = spikeRate;
    if (spikeMs !== undefined) rule.latency.spikeMs = spikeMs;
  }
  return rule;
}

function deliveryMode(body: Record<string, unknown>): Partial<DeliveryMode> {
  const mode: Partial<DeliveryMode> = {};
  if (typeof body.duplicate === 'boolean' || typeof body.duplicate === 'number') mode.duplicate = body.duplicate;
  if (typeof body.reorder === 'boolean') mode.reorder = body.reorder;
  if (typeof body.hold === 'boolean') mode.hold = body.hold;
  if (typeof body.delayMs === 'number') mode.delayMs = body.delayMs;
  else if (isRecord(body.delayMs))
    mode.delayMs = { min: num(body.delayMs, 'min') ?? 0, max: num(body.delayMs, 'max') ?? 0 };
  return mode;
}

function limitValue(v: unknown, param: string): number | null {
  if (v !== null && typeof v !== 'number') throw invalidRequest('limits must be numbers or null', { param });
  return v;
}

function rateConfig(body: Record<string, unknown>): RateLimitUpdate {
  const out: RateLimitUpdate = {};
  if (body.global === null || typeof body.global === 'number') out.global = body.global;
  else if (isRecord(body.global)) {
    const global: Partial<Record<'live' | 'test', number | null>> = {};
    for (const mode of ['live', 'test'] as const)
      if (body.global[mode] !== undefined) global[mode] = limitValue(body.global[mode], `global.${mode}`);
    out.global = global;
  }
  if (body.endpointDefault !== undefined) out.endpointDefault = limitValue(body.endpointDefault, 'endpointDefault');
  if (isRecord(body.endpoints)) {
    const endpoints: Record<string, number | null> = {};
    for (const [k, v] of Object.entries(body.endpoints)) {
      if (v !== null && typeof v !== 'number')
        throw invalidRequest('endpoint limits must be numbers or null', { param: k });
      endpoints[k] = v;
    }
    out.endpoints = endpoints;
  }
  return out;
}

export interface ControlResponse {
  status: number;
  body: unknown;
}

/** Routes `/_emulator/...` to the control operations. */
export async function handleControl(
  control: EmulatorControlApi,
  method: string,
  path: string,
  query: URLSearchParams,
  rawBody: string,
): Promise<ControlResponse> {
  let body: Record<string, unknown> = {};
  if (rawBody.trim()) {
    const parsed: unknown = JSON.parse(rawBody);
    if (!isRecord(parsed)) throw invalidRequest('the body must be a JSON object');
    body = parsed;
  }
  const route = `${method} ${path.replace(/^\/_emulator/, '')}`;
  const m = (re: RegExp) => re.exec(route);
  try {
    if (route === 'GET /health') return { status: 200, body: { ok: true } };
    if (route === 'POST /reset') return { status: 200, body: await control.reset().then(() => ({ ok: true })) };
    if (route === 'GET /clock') return { status: 200, body: await control.clock() };
    if (route === 'POST /clock/advance') {
      const seconds = num(body, 'seconds');
      if (seconds === undefined) throw invalidRequest('seconds is required', { param: 'seconds' });
      return { status: 200, body: await control.advanceClock(seconds) };
    }
    const stateMatch = m(/^POST \/accounts\/([^/]+)\/state$/);
    if (stateMatch) {
      const state = str(body, 'state') as AccountState | undefined;
      if (!state) throw invalidRequest('state is required', { param: 'state' });
      const options: AccountStateOptions = {};
      if (Array.isArray(body.requirements))
        options.requirements = body.requirements.filter((x): x is string => typeof x === 'string');
      const deadline = num(body, 'deadlineInSeconds');
      if (deadline !== undefined) options.deadlineInSeconds = deadline;
      return {
        status: 200,
        body: await control.setAccountState(decodeURIComponent(stateMatch[1] ?? ''), state, options),
      };
    }
    if (route === 'POST /balance/fund') {
      const input: FundBalanceInput = { amount: num(body, 'amount') ?? 0, currency: str(body, 'currency') ?? 'usd' };
      const account = str(body, 'account');
      if (account) input.account = account;
      if (body.pending === true) input.pending = true;
      return { status: 200, body: await control.fundBalance(input) };
    }
    if (route === 'GET /faults') return { status: 200, body: { rules: await control.listFaults() } };
    if (route === 'POST /faults') {
      const rules = Array.isArray(body.rules) ? body.rules.map(faultRule) : [faultRule(body)];
      return { status: 200, body: { rules: await control.setFaults(rules) } };
    }
    if (route === 'POST /faults/add') return { status: 200, body: { rules: await control.addFault(faultRule(body)) } };
    if (route === 'DELETE /faults')
      return { status: 200, body: await control.clearFaults().then(() => ({ ok: true })) };
    if (route === 'POST /rate-limit') return { status: 200, body: await control.setRateLimit(rateConfig(body)) };
    if (route === 'GET /rate-limit') return { status: 200, body: await control.rateLimits() };
    if (route === 'GET /requests') {
      const filter: RequestLogFilter = {};
      const limit = query.get('limit');
      if (limit) filter.limit = Number(limit);
      const p = query.get('path');
      if (p) filter.path = p;
      const meth = query.get('method');
      if (meth) filter.method = meth;
      return { status: 200, body: { data: await control.requestLog(filter) } };
    }
    if (route === 'DELETE /requests')
      return { status: 200, body: await control.clearRequestLog().then(() => ({ ok: true })) };
    if (route === 'POST /webhooks/endpoints') {
      const config: WebhookConfigInput = {};
      const platform = endpointConfig(body.platform, 'platform');
      const connect = endpointConfig(body.connect, 'connect');
      if (platform !== undefined) config.platform = platform;
      if (connect !== undefined) config.connect = connect;
      if (Array.isArray(body.retryDelaysSeconds)) {
        config.retryDelaysSeconds = body.retryDelaysSeconds.filter((x): x is number => typeof x === 'number');
      }
      return { status: 200, body: await control.configureWebhooks(config) };
    }
    if (route === 'POST /webhooks/mode')
      return { status: 200, body: await control.setDeliveryMode(deliveryMode(body)) };
    if (route === 'POST /webhooks/flush') return { status: 200, body: await control.flushWebhooks() };
    if (route === 'GET /webhooks/deliveries') return { status: 200, body: { data: await control.webhookDeliveries() } };
    if (route === 'POST /events/destination') {
      const destination = str(body, 'destination') as EventDestinationKind | undefined;
      if (!destination) throw invalidRequest('destination is required', { param: 'destination' });
      return { status: 200, body: await control.setEventDestination(destination) };
    }
    if (route === 'POST /events/eventbridge') {
      const config = isRecord(body.eventBridge) ? body.eventBridge : null;
      if (
        config &&
        !['sqsEndpoint', 'queueUrl', 'region', 'eventSourceName'].every((k) => typeof config[k] === 'string')
      ) {
        throw invalidRequest('eventBridge needs sqsEndpoint, queueUrl, region and eventSourceName', {
          param: 'eventBridge',
        });
      }
      return {
        status: 200,
        body: await control.configureEventBridge(config as unknown as EventBridgeDestination | null),
      };
    }
    if (route === 'POST /discrepancies') {
      const kind = str(body, 'kind');
      const amount = typeof body.amount === 'number' ? body.amount : Number.NaN;
      const id = (key: string) => {
        const value = str(body, key);
        if (!value) throw invalidRequest(`${key} is required`, { param: key });
        return value;
      };
      const needAmount = () => {
        if (!Number.isInteger(amount) || amount < 0)
          throw invalidRequest('amount must be an integer', { param: 'amount' });
        return amount;
      };
      const input: DiscrepancyInjection =
        kind === 'reversal_without_webhook'
          ? { kind, transferId: id('transferId'), amount: needAmount() }
          : kind === 'application_fee'
            ? { kind, chargeId: id('chargeId'), amount: needAmount() }
            : kind === 'forget_transfer'
              ? { kind, transferId: id('transferId') }
              : kind === 'transfer_amount'
                ? { kind, transferId: id('transferId'), amount: needAmount() }
                : kind === 'payout_status_without_webhook'
                  ? { kind, payoutId: id('payoutId'), status: payoutStatus(str(body, 'status')) }
                  : kind === 'payout_amount'
                    ? { kind, payoutId: id('payoutId'), amount: needAmount() }
                    : (() => {
                        throw invalidRequest('kind is not a discrepancy the emulator can inject', { param: 'kind' });
                      })();
      return { status: 200, body: await control.injectDiscrepancy(input) };
    }
    const inTransitMatch = m(/^POST \/payouts\/([^/]+)\/in_transit$/);
    if (inTransitMatch) {
      return { status: 200, body: await control.payoutInTransit(decodeURIComponent(inTransitMatch[1] ?? '')) };
    }
    const paidMatch = m(/^POST \/payouts\/([^/]+)\/paid$/);
    if (paidMatch) {
      return { status: 200, body: await control.payoutPaid(decodeURIComponent(paidMatch[1] ?? '')) };
    }
    const failedMatch = m(/^POST \/payouts\/([^/]+)\/failed$/);
    if (failedMatch) {
      return {
        status: 200,
        body: await control.payoutFailed(decodeURIComponent(failedMatch[1] ?? ''), str(body, 'failureCode')),
      };
    }
    return {
      status: 404,
      body: { error: { type: 'invalid_request_error', message: `Unknown control route ${route}` } },
    };
  } catch (e) {
    if (e instanceof StripeApiError) return { status: e.status, body: e.toJSON() };
    throw e;
  }
}
