import { STRIPE_API_VERSION } from '#adapters/stripe/api-version';
import { EmulatorClock } from './clock.ts';
import { IdGenerator } from './ids.ts';
import { PLATFORM, Store } from './store.ts';
import type { StripeEvent } from './types.ts';
import { WebhookDispatcher } from './webhooks.ts';

/**
 * The API version the functions pin (one constant for both): responses carry it in `Stripe-Version` and events in
 * `api_version`, unless a request named another version.
 */
export const DEFAULT_API_VERSION: string = STRIPE_API_VERSION;

export interface CoreOptions {
  now?: () => number;
  seed?: number;
  quiet?: boolean;
  platformCountry?: string;
}

export interface RequestInfo {
  id: string;
  idempotencyKey: string | null;
  apiVersion: string;
}

/** The emulator's state and the services every resource uses (clock, ids, store, events). */
export class EmulatorCore {
  readonly clock: EmulatorClock;
  readonly ids: IdGenerator;
  store = new Store();
  readonly webhooks: WebhookDispatcher;
  readonly platformAccountId = 'acct_1EmuPlatform00000000';
  readonly applicationId = 'ca_1EmuApplication000000000';
  readonly platformCurrency: string;
  /** Base URL of the emulator, used for hosted page links; set once the server listens. */
  baseUrl = 'http://127.0.0.1';
  /** The API request being handled, so events carry `request.id` and `request.idempotency_key`. */
  currentRequest: RequestInfo | null = null;
  readonly quiet: boolean;
  /** Run on every settle (each API request, each clock advance): time-driven changes such as requirement deadlines. */
  readonly onSettle: Array<(core: EmulatorCore) => void> = [];

  constructor(opts: CoreOptions = {}) {
    this.clock = new EmulatorClock(opts.now);
    this.ids = new IdGenerator(opts.seed);
    this.quiet = opts.quiet ?? false;
    this.platformCurrency = opts.platformCountry === 'GB' ? 'gbp' : 'usd';
    this.webhooks = new WebhookDispatcher(
      this.clock,
      this.ids,
      (id) => this.store.events.get(id),
      (m) => this.log(m),
    );
  }

  log(message: string): void {
    if (!this.quiet) console.error(`[stripe-emulator] ${message}`);
  }

  now(): number {
    return this.clock.nowSec();
  }

  id(prefix: string, length?: number): string {
    return this.ids.next(prefix, length);
  }

  /** While set, events are recorded but their webhooks are never sent (a delivery lost for good). */
  webhooksLost = false;

  /** Runs `change` with its webhooks lost: Stripe has the change and its event, our endpoint never hears of it. */
  withLostWebhooks<T>(change: () => T): T {
    this.webhooksLost = true;
    try {
      return change();
    } finally {
      this.webhooksLost = false;
    }
  }

  /**
   * Records an event and queues its webhook deliveries. Events about a connected account carry `account` and go to
   * the Connect endpoint; the platform's own go to the platform endpoint.
   */
  emit(type: string, object: unknown, opts: { account?: string | null; previous?: unknown } = {}): StripeEvent {
    const event: StripeEvent = {
      id: this.id('evt'),
      object: 'event',
      api_version: this.currentRequest?.apiVersion ?? DEFAULT_API_VERSION,
      created: this.now(),
      data: { object: structuredClone(object) },
      livemode: false,
      pending_webhooks: 0,
      request: {
        id: this.currentRequest?.id ?? null,
        idempotency_key: this.currentRequest?.idempotencyKey ?? null,
      },
      type,
    };
    if (opts.previous !== undefined) event.data.previous_attributes = structuredClone(opts.previous);
    if (opts.account) event.account = opts.account;
    event.pending_webhooks = this.webhooks.targetsFor(event);
    // Connect events are listed with the connected account's Stripe-Account header, platform events without.
    this.store.events.add(opts.account ?? PLATFORM, event);
    if (!this.webhooksLost) this.webhooks.enqueue(event);
    return event;
  }

  /** Makes matured pending funds available and emits `balance.available` for each account that gained. */
  settle(): void {
    for (const owner of this.store.ledger.settle(this.now())) this.emitBalanceAvailable(owner);
    for (const hook of this.onSettle) hook(this);
  }

  emitBalanceAvailable(owner: string): void {
    const account = owner === PLATFORM ? null : owner;
    const currency = account ? (this.store.accounts.get(account)?.default_currency ?? 'usd') : this.platformCurrency;
    this.emit('balance.available', this.store.ledger.balance(owner, currency), { account });
  }

  reset(): void {
    this.store = new Store();
    this.clock.reset();
    this.webhooks.reset();
  }
}

/** Recursive diff for `previous_attributes`: only what changed, with the old values. */
export function previousAttributes(before: unknown, after: unknown): unknown {
  if (!isPlainObject(before) || !isPlainObject(after)) return before;
  const out: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const b = before[key];
    const a = after[key];
    if (JSON.stringify(a) === JSON.stringify(b)) continue;
    out[key] = isPlainObject(b) && isPlainObject(a) ? previousAttributes(b, a) : (b ?? null);
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
