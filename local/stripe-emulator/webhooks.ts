import { createHmac, randomUUID } from 'node:crypto';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { EmulatorClock } from './clock.ts';
import type { IdGenerator } from './ids.ts';
import type { StripeEvent } from './types.ts';

export interface WebhookEndpointConfig {
  url: string;
  /** `whsec_…`: the secret `stripe.webhooks.constructEvent` verifies with. */
  secret: string;
  /**
   * Stripe's `enabled_events`: the event types this endpoint receives; `*` (the default) is every type. Events of
   * other types are not delivered to it and do not count in `pending_webhooks`.
   */
  enabledEvents?: readonly string[];
}

/** Whether an endpoint subscribes to an event type (Stripe's `enabled_events`, `*` for all). */
export function subscribes(endpoint: WebhookEndpointConfig, type: string): boolean {
  const enabled = endpoint.enabledEvents ?? ['*'];
  return enabled.includes('*') || enabled.includes(type);
}

export interface WebhookEndpoints {
  /** Receives events of the platform account itself (no `account` field). */
  platform?: WebhookEndpointConfig | null;
  /** Receives events of connected accounts (the `account` field is set). */
  connect?: WebhookEndpointConfig | null;
}

/**
 * Stripe's Amazon EventBridge event destination, as it reaches a consumer locally: each event is wrapped in the
 * EventBridge envelope (`detail-type` = the event type, `source` = the partner event source, `detail` = the Stripe
 * event) and sent to the SQS queue that the deployed rule targets (the local SQS stand-in), one message per event.
 */
export interface EventBridgeDestination {
  /** The SQS stand-in's endpoint and the queue the rule would feed. */
  sqsEndpoint: string;
  queueUrl: string;
  region: string;
  /** `aws.partner/stripe.com/ed_…`: the envelope's `source`. */
  eventSourceName: string;
  /** Event types the destination (and the rule) take; `*` for all. */
  enabledEvents?: readonly string[];
  /** For events of connected accounts, when they differ (like the deployed rules: one per kind of event). */
  connectEnabledEvents?: readonly string[];
  /** The AWS account id the envelope names. */
  awsAccountId?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** Where events go: the webhook endpoints, or the EventBridge destination (both, like Stripe, never at once here). */
export type EventDestinationKind = 'webhooks' | 'eventbridge';

/** The EventBridge envelope of a Stripe event (what the rule's SQS target receives as the message body). */
export function eventBridgeEnvelope(event: StripeEvent, destination: EventBridgeDestination, at: Date) {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': event.type,
    source: destination.eventSourceName,
    account: destination.awsAccountId ?? '000000000000',
    time: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: destination.region,
    resources: [],
    detail: event,
  };
}

export interface DeliveryMode {
  /** Send each delivery twice (probability 0..1; `true` = always), as Stripe may. */
  duplicate: boolean | number;
  /** Send each batch of due deliveries newest first. */
  reorder: boolean;
  /** Queue deliveries but send nothing until `flush` (or until hold is switched off). */
  hold: boolean;
  /** Wait this long (or a uniform random time in the range) before the first attempt. */
  delayMs: number | { min: number; max: number };
}

export interface DeliveryAttempt {
  at: number;
  status: number | null;
  error?: string;
  durationMs: number;
}

export interface Delivery {
  id: string;
  eventId: string;
  eventType: string;
  endpoint: 'platform' | 'connect' | 'eventbridge';
  url: string;
  attempts: DeliveryAttempt[];
  /** Emulator time (ms) of the next attempt; null once finished. */
  nextAttemptAt: number | null;
  state: 'pending' | 'succeeded' | 'failed';
  seq: number;
}

export interface FlushResult {
  attempted: number;
  succeeded: number;
  failed: number;
  pending: number;
}

/** Stripe retries failed deliveries with backoff for about three days; these are emulator seconds. */
export const DEFAULT_RETRY_DELAYS_SECONDS = [60, 300, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 24 * 3600];

export function signPayload(payload: string, secret: string, timestampSec: number): string {
  const signature = createHmac('sha256', secret).update(`${timestampSec}.${payload}`, 'utf8').digest('hex');
  return `t=${timestampSec},v1=${signature}`;
}

export const DEFAULT_MODE: DeliveryMode = { duplicate: false, reorder: false, hold: false, delayMs: 0 };

/**
 * Delivers events asynchronously, one at a time in order (so ordering is only changed when asked), retrying non-2xx
 * answers on the emulator clock. `flush()` is the deterministic way for tests to wait.
 */
export class WebhookDispatcher {
  endpoints: WebhookEndpoints = {};
  /** Stripe's EventBridge destination, used instead of the webhook endpoints when `destination` says so. */
  eventBridge: EventBridgeDestination | null = null;
  destination: EventDestinationKind = 'webhooks';
  mode: DeliveryMode = { ...DEFAULT_MODE };
  private sqs: { key: string; client: SQSClient } | null = null;
  retryDelaysSeconds: number[] = [...DEFAULT_RETRY_DELAYS_SECONDS];
  deliveries: Delivery[] = [];
  private seq = 0;
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private kicked = false;
  private closed = false;
  private readonly abort = new AbortController();

  constructor(
    private readonly clock: EmulatorClock,
    private readonly ids: IdGenerator,
    private readonly events: (id: string) => StripeEvent | undefined,
    private readonly warn: (message: string) => void,
  ) {}

  /** Number of endpoints that will receive this event (Stripe's `pending_webhooks`). */
  targetsFor(event: { account?: string; type: string }): number {
    return this.targetOf(event) ? 1 : 0;
  }

  /** The one destination an event goes to, if any. */
  private targetOf(event: { account?: string; type: string }): { name: Delivery['endpoint']; url: string } | null {
    if (this.destination === 'eventbridge') {
      const eb = this.eventBridge;
      const enabled = (event.account ? (eb?.connectEnabledEvents ?? eb?.enabledEvents) : eb?.enabledEvents) ?? ['*'];
      return eb && (enabled.includes('*') || enabled.includes(event.type))
        ? { name: 'eventbridge', url: eb.queueUrl }
        : null;
    }
    const name = event.account ? 'connect' : 'platform';
    const endpoint = this.endpoints[name];
    return endpoint && subscribes(endpoint, event.type) ? { name, url: endpoint.url } : null;
  }

  enqueue(event: StripeEvent): void {
    const target = this.targetOf(event);
    if (!target) return;
    this.deliveries.push({
      id: this.ids.next('whdel', 20),
      eventId: event.id,
      eventType: event.type,
      endpoint: target.name,
      url: target.url,
      attempts: [],
      nextAttemptAt: this.clock.nowMs() + this.firstDelay(),
      state: 'pending',
      seq: ++this.seq,
    });
    if (this.deliveries.length > 20_000) this.deliveries.splice(0, this.deliveries.length - 20_000);
    this.kick();
  }

  /** Re-examines the queue soon (after an enqueue, a clock advance or a mode change). */
  kick(): void {
    if (this.closed || this.mode.hold || this.kicked) return;
    this.kicked = true;
    setImmediate(() => {
      this.kicked = false;
      void this.exclusive(() => this.drain(false));
    });
  }

  /** Attempts every pending first delivery and every retry that is due; resolves when all have been attempted. */
  async flush(): Promise<FlushResult> {
    const before = this.countAttempts();
    for (let round = 0; round < 100; round++) {
      await this.exclusive(() => this.drain(true));
      if (!this.deliveries.some((d) => this.isDue(d, true))) break;
    }
    const attempted = this.countAttempts() - before;
    return {
      attempted,
      succeeded: this.deliveries.filter((d) => d.state === 'succeeded').length,
      failed: this.deliveries.filter((d) => d.state === 'failed').length,
      pending: this.deliveries.filter((d) => d.state === 'pending').length,
    };
  }

  reset(): void {
    this.deliveries = [];
    this.mode = { ...DEFAULT_MODE };
    this.retryDelaysSeconds = [...DEFAULT_RETRY_DELAYS_SECONDS];
  }

  async close(): Promise<void> {
    this.closed = true;
    this.sqs?.client.destroy();
    if (this.timer) clearTimeout(this.timer);
    this.abort.abort();
    await this.chain;
  }

  private countAttempts(): number {
    let n = 0;
    for (const d of this.deliveries) n += d.attempts.length;
    return n;
  }

  private firstDelay(): number {
    const d = this.mode.delayMs;
    if (typeof d === 'number') return d;
    return Math.round(d.min + this.ids.random() * (d.max - d.min));
  }

  private isDue(d: Delivery, flushing: boolean): boolean {
    if (d.state !== 'pending' || d.nextAttemptAt === null) return false;
    if (flushing && d.attempts.length === 0) return true;
    return d.nextAttemptAt <= this.clock.nowMs();
  }

  private exclusive(fn: () => Promise<void>): Promise<void> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async drain(flushing: boolean): Promise<void> {
    if (this.closed) return;
    const due = this.deliveries.filter((d) => this.isDue(d, flushing));
    due.sort((a, b) => (this.mode.reorder ? b.seq - a.seq : a.seq - b.seq));
    for (const d of due) {
      if (this.closed) return;
      const dup = this.mode.duplicate;
      const times = dup === true || (typeof dup === 'number' && this.ids.random() < dup) ? 2 : 1;
      let ok = false;
      for (let i = 0; i < times; i++) ok = (await this.attempt(d)) || ok;
      if (ok) {
        d.state = 'succeeded';
        d.nextAttemptAt = null;
      } else {
        const delay = this.retryDelaysSeconds[d.attempts.length - 1];
        if (delay === undefined) {
          d.state = 'failed';
          d.nextAttemptAt = null;
        } else d.nextAttemptAt = this.clock.nowMs() + delay * 1000;
      }
      if (d.state !== 'pending') {
        // Stripe's `pending_webhooks` counts endpoints that have not yet received the event.
        const event = this.events(d.eventId);
        if (event && event.pending_webhooks > 0) event.pending_webhooks -= 1;
      }
    }
    this.scheduleTimer();
  }

  private scheduleTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.closed || this.mode.hold) return;
    let next = Number.POSITIVE_INFINITY;
    for (const d of this.deliveries) {
      if (d.state === 'pending' && d.nextAttemptAt !== null) next = Math.min(next, d.nextAttemptAt);
    }
    if (next === Number.POSITIVE_INFINITY) return;
    // Poll at least every second so a clock advance made elsewhere is noticed.
    const wait = Math.max(0, Math.min(1000, next - this.clock.nowMs()));
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.exclusive(() => this.drain(false));
    }, wait);
    this.timer.unref();
  }

  private async attempt(d: Delivery): Promise<boolean> {
    if (d.endpoint === 'eventbridge') return this.attemptEventBridge(d);
    const event = this.events(d.eventId);
    const endpoint = this.endpoints[d.endpoint];
    const started = performance.now();
    const at = this.clock.nowMs();
    if (!event || !endpoint) {
      d.attempts.push({ at, status: null, error: 'endpoint removed', durationMs: 0 });
      return false;
    }
    const payload = JSON.stringify(event, null, 2);
    // Signed with the wall clock, not the emulator clock: receivers check the timestamp against their own clock.
    const header = signPayload(payload, endpoint.secret, Math.floor(Date.now() / 1000));
    try {
      const res = await fetch(endpoint.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'stripe-signature': header,
          'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          'cache-control': 'no-cache',
        },
        body: payload,
        signal: AbortSignal.any([AbortSignal.timeout(10_000), this.abort.signal]),
      });
      await res.arrayBuffer().catch(() => undefined);
      d.attempts.push({ at, status: res.status, durationMs: Math.round(performance.now() - started) });
      return res.status >= 200 && res.status < 300;
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      d.attempts.push({ at, status: null, error: message, durationMs: Math.round(performance.now() - started) });
      this.warn(`webhook ${d.eventType} to ${endpoint.url} failed: ${message}`);
      return false;
    }
  }

  /** One SendMessage of the event's EventBridge envelope; an SQS refusal is retried like a failed webhook. */
  private async attemptEventBridge(d: Delivery): Promise<boolean> {
    const event = this.events(d.eventId);
    const destination = this.eventBridge;
    const started = performance.now();
    const at = this.clock.nowMs();
    if (!event || !destination) {
      d.attempts.push({ at, status: null, error: 'destination removed', durationMs: 0 });
      return false;
    }
    const key = `${destination.sqsEndpoint}|${destination.region}`;
    if (this.sqs?.key !== key) {
      this.sqs?.client.destroy();
      this.sqs = {
        key,
        client: new SQSClient({
          endpoint: destination.sqsEndpoint,
          region: destination.region,
          credentials: destination.credentials ?? { accessKeyId: 'local', secretAccessKey: 'local' },
        }),
      };
    }
    try {
      const body = JSON.stringify(eventBridgeEnvelope(event, destination, new Date(this.clock.nowMs())));
      await this.sqs.client.send(new SendMessageCommand({ QueueUrl: destination.queueUrl, MessageBody: body }), {
        abortSignal: this.abort.signal,
      });
      d.attempts.push({ at, status: 200, durationMs: Math.round(performance.now() - started) });
      return true;
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      d.attempts.push({ at, status: null, error: message, durationMs: Math.round(performance.now() - started) });
      this.warn(`event ${d.eventType} to EventBridge (${destination.queueUrl}) failed: ${message}`);
      return false;
    }
  }
}
