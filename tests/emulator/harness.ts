import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { expect } from 'vitest';
import {
  EmulatorControlClient,
  type StripeEmulator,
  type StripeEmulatorOptions,
  startStripeEmulator,
} from '../../local/stripe-emulator/index.ts';

export const API_KEY = 'sk_test_emulator_fidelity_suite';

export interface Harness {
  emulator: StripeEmulator;
  stripe: Stripe;
  control: EmulatorControlClient;
  /** An SDK client with other settings (another key, retries). */
  client(overrides?: Partial<Stripe.StripeConfig>, key?: string): Stripe;
  close(): Promise<void>;
}

/** One emulator per test file; tests call `control.reset()` between them. Rate limit off unless a test sets it. */
export async function startHarness(options: StripeEmulatorOptions = {}): Promise<Harness> {
  const emulator = await startStripeEmulator({ quiet: true, rateLimitPerSecond: 0, seed: 42, ...options });
  const client = (overrides: Partial<Stripe.StripeConfig> = {}, key = API_KEY) =>
    new Stripe(key, { ...emulator.stripeOptions, maxNetworkRetries: 0, telemetry: false, ...overrides });
  return {
    emulator,
    stripe: client(),
    control: new EmulatorControlClient(emulator.url),
    client,
    close: () => emulator.close(),
  };
}

/** Awaits a rejection and returns the SDK's error after checking it is a StripeError. */
export async function stripeError(promise: Promise<unknown>): Promise<Stripe.errors.StripeError> {
  try {
    await promise;
  } catch (e) {
    expect(e).toBeInstanceOf(Stripe.errors.StripeError);
    return e as Stripe.errors.StripeError;
  }
  throw new Error('expected the Stripe call to fail');
}

/** An Express account with transfers (and card payments) requested, optionally already verified. */
export async function expressAccount(
  h: Harness,
  opts: { verified?: boolean; country?: string; email?: string } = {},
): Promise<Stripe.Account> {
  const account = await h.stripe.accounts.create({
    type: 'express',
    country: opts.country ?? 'US',
    email: opts.email ?? 'partner@example.com',
    capabilities: { transfers: { requested: true }, card_payments: { requested: true } },
    metadata: { partner_id: 'p_1' },
  });
  if (!opts.verified) return account;
  await h.control.setAccountState(account.id, 'verified');
  return h.stripe.accounts.retrieve(account.id);
}

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
  event: Stripe.Event;
}

/** A local webhook endpoint that records what it receives and answers with a configurable status. */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  /** Status codes to answer, consumed in order; afterwards 200. */
  respondWith: number[] = [];
  private server: Server | null = null;
  url = '';

  constructor(readonly secret: string) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const status = this.respondWith.shift() ?? 200;
        if (status >= 200 && status < 300) {
          const event = JSON.parse(body) as Stripe.Event;
          this.received.push({ headers: req.headers, body, event });
        }
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/webhooks`;
    return this;
  }

  types(): string[] {
    return this.received.map((r) => r.event.type);
  }

  clear(): void {
    this.received.length = 0;
    this.respondWith = [];
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server?.close(() => resolve());
      this.server?.closeAllConnections();
    });
  }
}
