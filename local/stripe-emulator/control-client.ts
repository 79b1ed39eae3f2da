import type {
  DiscrepancyInjection,
  EmulatorControlApi,
  FundBalanceInput,
  RequestLogFilter,
  WebhookConfigInput,
} from './control.ts';
import type { FaultRule } from './faults.ts';
import type { RateLimitConfig, RateLimitUpdate } from './rate-limiter.ts';
import type { RequestLogEntry } from './request-log.ts';
import type { AccountState, AccountStateOptions } from './resources/accounts.ts';
import type { Account, Balance, Payout } from './types.ts';
import type {
  Delivery,
  DeliveryMode,
  EventBridgeDestination,
  EventDestinationKind,
  FlushResult,
  WebhookEndpoints,
} from './webhooks.ts';

export class EmulatorControlError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`Stripe emulator control call failed with ${status}: ${JSON.stringify(body)}`);
  }
}

/** Typed HTTP client for the emulator's `/_emulator` control API (tests, the local stack, benchmarks). */
export class EmulatorControlClient implements EmulatorControlApi {
  private readonly base: string;

  /** `baseUrl` is the emulator's root URL, e.g. `http://127.0.0.1:12111`. */
  constructor(baseUrl: string) {
    this.base = `${baseUrl.replace(/\/$/, '')}/_emulator`;
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const init: RequestInit = { method, headers: { 'content-type': 'application/json' } };
    if (body !== undefined) init.body = JSON.stringify(body);
    const res = await fetch(`${this.base}${path}`, init);
    const text = await res.text();
    const parsed: unknown = text ? JSON.parse(text) : null;
    if (!res.ok) throw new EmulatorControlError(res.status, parsed);
    return parsed as T;
  }

  async reset(): Promise<void> {
    await this.call('POST', '/reset');
  }

  advanceClock(seconds: number): Promise<{ now: number; offsetSeconds: number }> {
    return this.call('POST', '/clock/advance', { seconds });
  }

  clock(): Promise<{ now: number; offsetSeconds: number }> {
    return this.call('GET', '/clock');
  }

  setAccountState(accountId: string, state: AccountState, options: AccountStateOptions = {}): Promise<Account> {
    return this.call('POST', `/accounts/${encodeURIComponent(accountId)}/state`, { state, ...options });
  }

  fundBalance(input: FundBalanceInput): Promise<Balance> {
    return this.call('POST', '/balance/fund', input);
  }

  async setFaults(rules: FaultRule[]): Promise<FaultRule[]> {
    return (await this.call<{ rules: FaultRule[] }>('POST', '/faults', { rules })).rules;
  }

  async addFault(rule: FaultRule): Promise<FaultRule[]> {
    return (await this.call<{ rules: FaultRule[] }>('POST', '/faults/add', rule)).rules;
  }

  async listFaults(): Promise<FaultRule[]> {
    return (await this.call<{ rules: FaultRule[] }>('GET', '/faults')).rules;
  }

  async clearFaults(): Promise<void> {
    await this.call('DELETE', '/faults');
  }

  setRateLimit(config: RateLimitUpdate): Promise<RateLimitConfig> {
    return this.call('POST', '/rate-limit', config);
  }

  rateLimits(): Promise<RateLimitConfig> {
    return this.call('GET', '/rate-limit');
  }

  async requestLog(filter: RequestLogFilter = {}): Promise<RequestLogEntry[]> {
    const q = new URLSearchParams();
    if (filter.limit) q.set('limit', String(filter.limit));
    if (filter.path) q.set('path', filter.path);
    if (filter.method) q.set('method', filter.method);
    const qs = q.size ? `?${q}` : '';
    return (await this.call<{ data: RequestLogEntry[] }>('GET', `/requests${qs}`)).data;
  }

  async clearRequestLog(): Promise<void> {
    await this.call('DELETE', '/requests');
  }

  configureWebhooks(config: WebhookConfigInput): Promise<WebhookEndpoints> {
    return this.call('POST', '/webhooks/endpoints', config);
  }

  setDeliveryMode(mode: Partial<DeliveryMode>): Promise<DeliveryMode> {
    return this.call('POST', '/webhooks/mode', mode);
  }

  flushWebhooks(): Promise<FlushResult> {
    return this.call('POST', '/webhooks/flush');
  }

  async webhookDeliveries(): Promise<Delivery[]> {
    return (await this.call<{ data: Delivery[] }>('GET', '/webhooks/deliveries')).data;
  }

  injectDiscrepancy(input: DiscrepancyInjection): Promise<{ injected: string }> {
    return this.call('POST', '/discrepancies', input);
  }

  payoutInTransit(payoutId: string): Promise<Payout> {
    return this.call('POST', `/payouts/${encodeURIComponent(payoutId)}/in_transit`);
  }

  payoutPaid(payoutId: string): Promise<Payout> {
    return this.call('POST', `/payouts/${encodeURIComponent(payoutId)}/paid`);
  }

  payoutFailed(payoutId: string, failureCode?: string): Promise<Payout> {
    return this.call('POST', `/payouts/${encodeURIComponent(payoutId)}/failed`, failureCode ? { failureCode } : {});
  }

  setEventDestination(destination: EventDestinationKind): Promise<{ destination: EventDestinationKind }> {
    return this.call('POST', '/events/destination', { destination });
  }

  configureEventBridge(destination: EventBridgeDestination | null): Promise<EventBridgeDestination | null> {
    return this.call('POST', '/events/eventbridge', { eventBridge: destination });
  }
}
