import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expressAccount, type Harness, startHarness, stripeError, WebhookReceiver } from './harness.ts';

let h: Harness;
const platform = new WebhookReceiver('whsec_platform_secret_for_tests');
const connect = new WebhookReceiver('whsec_connect_secret_for_tests');
const verifier = new Stripe('sk_test_verifier');

beforeAll(async () => {
  await Promise.all([platform.start(), connect.start()]);
  h = await startHarness({
    webhooks: {
      platform: { url: platform.url, secret: platform.secret },
      connect: { url: connect.url, secret: connect.secret },
    },
  });
});
afterAll(async () => {
  await h.close();
  await Promise.all([platform.stop(), connect.stop()]);
});
beforeEach(async () => {
  await h.control.reset();
  platform.clear();
  connect.clear();
});

describe('webhook delivery', () => {
  it('signs deliveries so stripe.webhooks.constructEvent verifies them, each endpoint with its own secret', async () => {
    const a = await expressAccount(h, { verified: true });
    await h.control.fundBalance({ amount: 5000, currency: 'usd' });
    await h.stripe.transfers.create(
      { amount: 1000, currency: 'usd', destination: a.id },
      { idempotencyKey: 'tr-key-1' },
    );
    const flushed = await h.control.flushWebhooks();
    expect(flushed.pending).toBe(0);

    for (const r of platform.received) {
      const header = r.headers['stripe-signature'] as string;
      expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      const event = verifier.webhooks.constructEvent(r.body, header, platform.secret);
      expect(event.account).toBeUndefined();
      expect(() => verifier.webhooks.constructEvent(r.body, header, connect.secret)).toThrow(
        Stripe.errors.StripeSignatureVerificationError,
      );
    }
    for (const r of connect.received) {
      const event = verifier.webhooks.constructEvent(r.body, r.headers['stripe-signature'] as string, connect.secret);
      expect(event.account).toBe(a.id);
    }
    expect(platform.types()).toEqual(['charge.succeeded', 'balance.available', 'transfer.created']);
    expect(connect.types()).toEqual(['capability.updated', 'capability.updated', 'account.updated']);
    const transferEvent = platform.received[2]?.event as Stripe.TransferCreatedEvent;
    expect(transferEvent.data.object.amount).toBe(1000);
    expect(transferEvent.request?.idempotency_key).toBe('tr-key-1');
    expect(transferEvent.request?.id).toMatch(/^req_/);
    expect(transferEvent.api_version).toBe(Stripe.API_VERSION);
    expect(transferEvent.pending_webhooks).toBe(1);
    const stored = await h.stripe.events.retrieve(transferEvent.id);
    expect(stored.pending_webhooks).toBe(0);
    const tampered = platform.received[0]?.body.replace('"charge.succeeded"', '"charge.refunded"') ?? '';
    expect(() =>
      verifier.webhooks.constructEvent(
        tampered,
        platform.received[0]?.headers['stripe-signature'] as string,
        platform.secret,
      ),
    ).toThrow(Stripe.errors.StripeSignatureVerificationError);
  });

  it('delivers asynchronously without a flush', async () => {
    await h.control.fundBalance({ amount: 5000, currency: 'usd' });
    const deadline = Date.now() + 5000;
    while (platform.received.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(platform.types()).toEqual(['charge.succeeded', 'balance.available']);
  });

  it("delivers only the endpoint's enabled events, and pending_webhooks counts only subscribed endpoints", async () => {
    await h.control.configureWebhooks({
      platform: { url: platform.url, secret: platform.secret, enabledEvents: ['transfer.created'] },
      connect: { url: connect.url, secret: connect.secret, enabledEvents: ['account.updated'] },
    });
    const a = await expressAccount(h, { verified: true });
    await h.control.fundBalance({ amount: 5000, currency: 'usd' });
    const transfer = await h.stripe.transfers.create(
      { amount: 700, currency: 'usd', destination: a.id },
      { idempotencyKey: 'tr-enabled-events' },
    );
    await h.control.flushWebhooks();
    expect(platform.types()).toEqual(['transfer.created']);
    expect(connect.types()).toEqual(['account.updated']);
    // Not subscribed: still an event of the account, but nobody is waiting for it.
    const [funded] = (await h.stripe.events.list({ type: 'balance.available', limit: 1 })).data;
    expect(funded?.pending_webhooks).toBe(0);
    const delivered = platform.received[0]?.event as Stripe.TransferCreatedEvent;
    expect(delivered.data.object.id).toBe(transfer.id);
    expect(delivered.pending_webhooks).toBe(1);
  });

  it('refuses an enabledEvents that is not a list of types', async () => {
    const response = await fetch(`${h.emulator.url}/_emulator/webhooks/endpoints`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ platform: { url: platform.url, secret: platform.secret, enabledEvents: 'transfer.*' } }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { param: 'platform.enabledEvents' } });
  });

  it('retries non-2xx answers on the emulator clock until they succeed', async () => {
    platform.respondWith = [500];
    await h.control.fundBalance({ amount: 5000, currency: 'usd' });
    await h.control.flushWebhooks();
    expect(platform.received).toHaveLength(1); // balance.available got through; charge.succeeded got a 500
    const retry = (await h.control.webhookDeliveries()).find((d) => d.eventType === 'charge.succeeded');
    expect(retry?.attempts.map((a) => a.status)).toEqual([500]);
    expect(retry?.state).toBe('pending');
    platform.respondWith = [503];
    await h.control.flushWebhooks(); // not due yet: nothing is attempted
    expect(platform.respondWith).toEqual([503]);
    await h.control.advanceClock(60);
    await h.control.flushWebhooks();
    await h.control.advanceClock(300);
    await h.control.flushWebhooks();
    expect(platform.types()).toEqual(['balance.available', 'charge.succeeded']);
    const done = (await h.control.webhookDeliveries()).find((d) => d.eventType === 'charge.succeeded');
    expect(done?.attempts.map((a) => a.status)).toEqual([500, 503, 200]);
    expect(done?.state).toBe('succeeded');
  });

  it('gives up after the configured retries', async () => {
    await h.control.configureWebhooks({ retryDelaysSeconds: [0, 0] });
    platform.respondWith = [500, 500, 500, 500, 500, 500];
    await h.control.fundBalance({ amount: 100, currency: 'usd' });
    const result = await h.control.flushWebhooks();
    expect(result).toMatchObject({ failed: 2, pending: 0 });
    expect(platform.received).toHaveLength(0);
  });

  it('can duplicate deliveries (same event id twice)', async () => {
    await h.control.setDeliveryMode({ duplicate: true });
    await h.control.fundBalance({ amount: 100, currency: 'usd' });
    await h.control.flushWebhooks();
    const ids = platform.received.map((r) => r.event.id);
    expect(ids).toHaveLength(4);
    expect(new Set(ids).size).toBe(2);
    expect(ids[0]).toBe(ids[1]);
  });

  it('can hold and reorder deliveries so handlers see events out of order', async () => {
    const a = await expressAccount(h, { verified: true });
    await h.control.flushWebhooks();
    connect.clear();
    await h.control.setDeliveryMode({ hold: true, reorder: true });
    await h.control.setAccountState(a.id, 'restricted');
    await h.control.setAccountState(a.id, 'verified');
    await new Promise((r) => setTimeout(r, 50));
    expect(connect.received).toHaveLength(0);
    await h.control.flushWebhooks();
    const updates = connect.received
      .filter((r) => r.event.type === 'account.updated')
      .map((r) => r.event as Stripe.AccountUpdatedEvent);
    expect(updates.map((e) => e.data.object.charges_enabled)).toEqual([true, false]);
    expect(updates[0]?.created).toBeGreaterThanOrEqual(updates[1]?.created ?? 0);
  });

  it('can delay deliveries', async () => {
    await h.control.setDeliveryMode({ delayMs: 400 });
    await h.control.fundBalance({ amount: 100, currency: 'usd' });
    await new Promise((r) => setTimeout(r, 150));
    expect(platform.received).toHaveLength(0);
    await h.control.flushWebhooks();
    expect(platform.received).toHaveLength(2);
  });

  it('sends account.application.deauthorized to the Connect endpoint', async () => {
    const a = await expressAccount(h, { verified: true });
    await h.control.setAccountState(a.id, 'deauthorized');
    await h.control.flushWebhooks();
    const last = connect.received.at(-1)?.event;
    expect(last?.type).toBe('account.application.deauthorized');
    expect(last?.account).toBe(a.id);
    const application = last?.data.object as { object: string } | undefined;
    expect(application?.object).toBe('application');
  });
});

describe('events API', () => {
  it('lists and retrieves events, platform and connected separately', async () => {
    const a = await expressAccount(h, { verified: true });
    const connectEvents = await h.stripe.events.list({}, { stripeAccount: a.id });
    const first = connectEvents.data[0] as Stripe.Event;
    expect(first.id).toMatch(/^evt_/);
    expect(first.object).toBe('event');
    expect(first.livemode).toBe(false);
    const again = await h.stripe.events.retrieve(first.id, {}, { stripeAccount: a.id });
    expect(again).toEqual(expect.objectContaining({ id: first.id, type: first.type, account: a.id }));
    const missing = await stripeError(h.stripe.events.retrieve(first.id));
    expect(missing.statusCode).toBe(404);
    const capability = await h.stripe.events.list({ type: 'capability.updated' }, { stripeAccount: a.id });
    expect(capability.data).toHaveLength(2);
    const c = capability.data[0] as Stripe.CapabilityUpdatedEvent;
    expect([c.data.object.object, c.data.object.status, c.data.object.account]).toEqual(['capability', 'active', a.id]);
    expect(c.data.previous_attributes).toEqual({ status: 'inactive' });
  });
});

describe('payouts of connected accounts, for reconciliation', () => {
  async function accountWithPayout() {
    const a = await expressAccount(h, { verified: true });
    await h.control.fundBalance({ amount: 5_000, currency: 'usd' });
    await h.stripe.transfers.create({ amount: 5_000, currency: 'usd', destination: a.id });
    const payout = await h.stripe.payouts.create({ amount: 2_000, currency: 'usd' }, { stripeAccount: a.id });
    await h.control.flushWebhooks();
    connect.clear();
    return { a, payout };
  }

  it('reads a payout on its own account only: another account, or the platform, gets 404 resource_missing', async () => {
    const { a, payout } = await accountWithPayout();
    const b = await expressAccount(h, { verified: true });
    expect(await h.stripe.payouts.retrieve(payout.id, {}, { stripeAccount: a.id })).toMatchObject({
      id: payout.id,
      amount: 2_000,
      status: 'pending',
    });
    for (const other of [{ stripeAccount: b.id }, {}]) {
      const refused = await stripeError(h.stripe.payouts.retrieve(payout.id, {}, other));
      expect([refused.statusCode, refused.code]).toEqual([404, 'resource_missing']);
    }
  });

  it('goes in transit with payout.updated; a lost-webhook injection pays or fails it with no delivery', async () => {
    const { a, payout } = await accountWithPayout();
    await h.control.payoutInTransit(payout.id);
    await h.control.flushWebhooks();
    expect(connect.types()).toEqual(['payout.updated']);
    const updated = connect.received[0]?.event as Stripe.PayoutUpdatedEvent | undefined;
    expect(updated?.data.object.status).toBe('in_transit');
    connect.clear();

    await h.control.injectDiscrepancy({ kind: 'payout_status_without_webhook', payoutId: payout.id, status: 'paid' });
    await h.control.flushWebhooks();
    expect(connect.types()).toEqual([]);
    expect((await h.stripe.payouts.retrieve(payout.id, {}, { stripeAccount: a.id })).status).toBe('paid');
    // The events exist at Stripe (an operator can find them); only their deliveries were lost.
    const events = await h.stripe.events.list({ types: ['payout.paid'] }, { stripeAccount: a.id });
    expect(events.data.map((e) => (e.data.object as Stripe.Payout).id)).toEqual([payout.id]);

    await h.control.injectDiscrepancy({ kind: 'payout_amount', payoutId: payout.id, amount: 1_999 });
    expect((await h.stripe.payouts.retrieve(payout.id, {}, { stripeAccount: a.id })).amount).toBe(1_999);
    const second = await h.stripe.payouts.create({ amount: 1_000, currency: 'usd' }, { stripeAccount: a.id });
    await h.control.flushWebhooks();
    connect.clear();
    await h.control.injectDiscrepancy({ kind: 'payout_status_without_webhook', payoutId: second.id, status: 'failed' });
    await h.control.flushWebhooks();
    expect(connect.types()).toEqual([]);
    expect((await h.stripe.payouts.retrieve(second.id, {}, { stripeAccount: a.id })).status).toBe('failed');
    // Positive control: the same change through the ordinary control call is delivered.
    const third = await h.stripe.payouts.create({ amount: 500, currency: 'usd' }, { stripeAccount: a.id });
    await h.control.payoutPaid(third.id);
    await h.control.flushWebhooks();
    expect(connect.types()).toEqual(['payout.created', 'payout.updated', 'payout.paid']);
    const bad = await h.control
      .injectDiscrepancy({ kind: 'payout_status_without_webhook', payoutId: 'po_nope', status: 'paid' })
      .catch((error: unknown) => error);
    expect(String(bad)).toContain('No such payout');
  });
});
