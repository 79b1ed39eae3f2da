import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type FauxqsServer, startFauxqs } from 'fauxqs';
import type Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expressAccount, type Harness, startHarness, stripeError, WebhookReceiver } from './harness.ts';

let h: Harness;
let connect: WebhookReceiver;
beforeAll(async () => {
  h = await startHarness();
  connect = await new WebhookReceiver('whsec_connect_embedded').start();
});
afterAll(async () => {
  await connect.stop();
  await h.close();
});
beforeEach(async () => {
  await h.control.reset();
  await h.control.configureWebhooks({ connect: { url: connect.url, secret: connect.secret } });
  connect.clear();
});

const RETURN = 'https://platform.example/connect/return';
const REFRESH = 'https://platform.example/connect/refresh';

function controllerAccount(controller: Stripe.AccountCreateParams.Controller): Promise<Stripe.Account> {
  return h.stripe.accounts.create({
    controller,
    country: 'US',
    email: 'controller@example.com',
    capabilities: { transfers: { requested: true } },
  });
}

describe('accounts by controller properties', () => {
  it('derives type express from the Express properties, and returns the properties as sent', async () => {
    const account = await controllerAccount({
      stripe_dashboard: { type: 'express' },
      fees: { payer: 'application' },
      losses: { payments: 'application' },
      requirement_collection: 'stripe',
    });
    expect(account.type).toBe('express');
    expect(account.controller).toMatchObject({
      stripe_dashboard: { type: 'express' },
      fees: { payer: 'application' },
      losses: { payments: 'application' },
      requirement_collection: 'stripe',
      is_controller: true,
      type: 'application',
    });
    expect((await h.stripe.accounts.retrieve(account.id)).type).toBe('express');
  });

  it('answers type none when no legacy type matches (Express Dashboard, Stripe bears losses), and such an account still opens the Express Dashboard', async () => {
    const account = await controllerAccount({
      stripe_dashboard: { type: 'express' },
      fees: { payer: 'application' },
      losses: { payments: 'stripe' },
      requirement_collection: 'stripe',
    });
    expect(account.type).toBe('none');
    expect(account.controller?.losses?.payments).toBe('stripe');
    await h.control.setAccountState(account.id, 'verified');
    const link = await h.stripe.accounts.createLoginLink(account.id);
    expect(link.object).toBe('login_link');
  });

  it('gives accounts created with a legacy type the controller properties Stripe maps it to', async () => {
    const account = await expressAccount(h);
    expect(account.type).toBe('express');
    expect(account.controller).toMatchObject({
      stripe_dashboard: { type: 'express' },
      fees: { payer: 'application_express' },
      losses: { payments: 'application' },
      requirement_collection: 'stripe',
    });
  });

  it('refuses type and controller together, and platform-collected requirements with a Stripe Dashboard', async () => {
    const both = await stripeError(
      h.stripe.accounts.create({ type: 'express', controller: { stripe_dashboard: { type: 'express' } } }),
    );
    expect(both.statusCode).toBe(400);
    expect(both.param).toBe('type');
    const collection = await stripeError(
      controllerAccount({ stripe_dashboard: { type: 'express' }, requirement_collection: 'application' }),
    );
    expect(collection.statusCode).toBe(400);
    expect(collection.param).toBe('controller[requirement_collection]');
    // Positive control: the same call without the conflict is accepted.
    expect((await controllerAccount({ stripe_dashboard: { type: 'express' } })).type).toBe('express');
  });
});

describe('requirements ahead of time', () => {
  it('carries future requirements until their deadline, then moves them into requirements and emits account.updated', async () => {
    const account = await expressAccount(h, { verified: true });
    await h.control.flushWebhooks();
    connect.clear();
    await h.control.setAccountState(account.id, 'future_requirements', {
      requirements: ['individual.verification.additional_document'],
      deadlineInSeconds: 3600,
    });
    const before = await h.stripe.accounts.retrieve(account.id);
    const { now } = await h.control.clock();
    expect(before.future_requirements).toMatchObject({
      currently_due: ['individual.verification.additional_document'],
      current_deadline: now + 3600,
    });
    expect(before.requirements?.currently_due).toEqual([]);
    expect([before.charges_enabled, before.payouts_enabled]).toEqual([true, true]);

    await h.control.advanceClock(3599);
    const almost = await h.stripe.accounts.retrieve(account.id);
    expect(almost.future_requirements?.currently_due).toEqual(['individual.verification.additional_document']);
    expect(almost.payouts_enabled).toBe(true);
    await h.control.flushWebhooks();
    connect.clear();

    await h.control.advanceClock(2);
    const after = await h.stripe.accounts.retrieve(account.id);
    expect(after.future_requirements?.currently_due).toEqual([]);
    expect(after.future_requirements?.current_deadline).toBeNull();
    expect(after.requirements).toMatchObject({
      currently_due: ['individual.verification.additional_document'],
      past_due: ['individual.verification.additional_document'],
      disabled_reason: 'requirements.past_due',
    });
    expect([after.charges_enabled, after.payouts_enabled, after.capabilities?.transfers]).toEqual([
      false,
      false,
      'inactive',
    ]);
    await h.control.flushWebhooks();
    const updated = connect.received.filter((r) => r.event.type === 'account.updated');
    expect(updated).toHaveLength(1);
    const previous = updated[0]?.event.data.previous_attributes as { future_requirements?: unknown } | undefined;
    expect(previous?.future_requirements).toBeDefined();
    // Nothing more happens on a later advance: the transition is applied once.
    await h.control.advanceClock(86_400);
    await h.stripe.accounts.retrieve(account.id);
    await h.control.flushWebhooks();
    expect(connect.received.filter((r) => r.event.type === 'account.updated')).toHaveLength(1);
  });

  it('validates collection_options, and hosted onboarding collects future requirements only when asked', async () => {
    const account = await expressAccount(h);
    const bad = await stripeError(
      h.stripe.accountLinks.create({
        account: account.id,
        type: 'account_onboarding',
        refresh_url: REFRESH,
        return_url: RETURN,
        collection_options: { fields: 'everything' as 'eventually_due' },
      }),
    );
    expect(bad.param).toBe('collection_options[fields]');

    for (const [futureRequirements, remaining] of [
      ['include', []],
      ['omit', ['individual.verification.additional_document']],
    ] as const) {
      await h.control.setAccountState(account.id, 'future_requirements', { deadlineInSeconds: 86_400 });
      const link = await h.stripe.accountLinks.create({
        account: account.id,
        type: 'account_onboarding',
        refresh_url: REFRESH,
        return_url: RETURN,
        collection_options: { fields: 'eventually_due', future_requirements: futureRequirements },
      });
      const page = await (await fetch(link.url)).text();
      const session = /name="session" value="([^"]+)"/.exec(page)?.[1] ?? '';
      const done = await fetch(link.url, {
        method: 'POST',
        redirect: 'manual',
        body: new URLSearchParams({ session, action: 'complete' }),
      });
      expect(done.headers.get('location')).toBe(RETURN);
      const after = await h.stripe.accounts.retrieve(account.id);
      expect(after.details_submitted).toBe(true);
      expect(after.future_requirements?.currently_due).toEqual(remaining);
    }
  });
});

describe('account sessions and the Connect.js stand-in', () => {
  const PK = 'pk_test_emulator_fidelity';

  async function session(accountId: string, components: Stripe.AccountSessionCreateParams.Components) {
    return h.stripe.accountSessions.create({ account: accountId, components });
  }

  const connectJs = (path: string, body: unknown) =>
    fetch(`${h.emulator.url}/connect-js/v1/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('creates a session through the SDK with the components asked for', async () => {
    const account = await expressAccount(h);
    const before = (await h.control.clock()).now;
    const created = await session(account.id, {
      account_onboarding: { enabled: true },
      notification_banner: { enabled: true },
    });
    const after = (await h.control.clock()).now;
    expect(created.object).toBe('account_session');
    expect(created.account).toBe(account.id);
    expect(created.client_secret).toMatch(/^accs_[A-Za-z0-9]+_secret_[A-Za-z0-9]+$/);
    expect(created.livemode).toBe(false);
    // Thirty minutes after it was created (the emulator's clock may tick to the next second meanwhile).
    expect(created.expires_at).toBeGreaterThanOrEqual(before + 1800);
    expect(created.expires_at).toBeLessThanOrEqual(after + 1800);
    expect(created.components.account_onboarding.enabled).toBe(true);
    expect(created.components.notification_banner.enabled).toBe(true);
    // Fresh each time.
    const again = await session(account.id, { account_onboarding: { enabled: true } });
    expect(again.client_secret).not.toBe(created.client_secret);
  });

  it('refuses unknown components, sessions with nothing enabled and unknown accounts', async () => {
    const account = await expressAccount(h);
    const unknown = await stripeError(
      session(account.id, { not_a_component: { enabled: true } } as Stripe.AccountSessionCreateParams.Components),
    );
    expect(unknown.param).toBe('components[not_a_component]');
    const none = await stripeError(session(account.id, { payouts: { enabled: false } }));
    expect(none.param).toBe('components');
    const missing = await stripeError(session('acct_1DoesNotExist000', { account_onboarding: { enabled: true } }));
    expect(missing.statusCode).toBe(400);
  });

  it('serves the Connect.js stand-in, whose form completes onboarding like the hosted page (single-use secret)', async () => {
    const account = await expressAccount(h);
    const script = await fetch(`${h.emulator.url}/connect-js/v1.0/connect.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toContain('javascript');
    const source = await script.text();
    expect(source).toContain('StripeConnect.init');
    expect(source).toContain('/connect-js/v1/session');
    expect(source).toContain('/connect-js/v1/account_onboarding');

    const { client_secret: clientSecret } = await session(account.id, { account_onboarding: { enabled: true } });
    const badKey = await connectJs('session', { publishableKey: 'sk_test_oops', clientSecret });
    expect(badKey.status).toBe(401);
    const claimed = await connectJs('session', { publishableKey: PK, clientSecret });
    expect(claimed.status).toBe(200);
    const claim = (await claimed.json()) as { account: string; sessionToken: string; components: object };
    expect(claim.account).toBe(account.id);
    expect(claim.components).toEqual({ account_onboarding: { enabled: true } });
    const reused = await connectJs('session', { publishableKey: PK, clientSecret });
    expect(reused.status).toBe(400);
    expect(((await reused.json()) as { error: { message: string } }).error.message).toContain('already used');

    expect((await h.stripe.accounts.retrieve(account.id)).details_submitted).toBe(false);
    const submitted = await connectJs('account_onboarding', { sessionToken: claim.sessionToken, action: 'complete' });
    expect(submitted.status).toBe(200);
    expect(await submitted.json()).toMatchObject({ account: account.id, detailsSubmitted: true, payoutsEnabled: true });
    const after = await h.stripe.accounts.retrieve(account.id);
    expect([after.details_submitted, after.charges_enabled, after.capabilities?.transfers]).toEqual([
      true,
      true,
      'active',
    ]);
    await h.control.flushWebhooks();
    expect(connect.types()).toContain('account.updated');
  });

  it('refuses onboarding for a session without the onboarding component, an unknown token, and an expired session', async () => {
    const account = await expressAccount(h);
    const banner = await session(account.id, { notification_banner: { enabled: true } });
    const claim = (await (
      await connectJs('session', { publishableKey: PK, clientSecret: banner.client_secret })
    ).json()) as { sessionToken: string };
    const refused = await connectJs('account_onboarding', { sessionToken: claim.sessionToken, action: 'complete' });
    expect(refused.status).toBe(403);
    expect((await connectJs('account_onboarding', { sessionToken: 'forged', action: 'complete' })).status).toBe(401);
    expect((await h.stripe.accounts.retrieve(account.id)).details_submitted).toBe(false);

    const late = await session(account.id, { account_onboarding: { enabled: true } });
    await h.control.advanceClock(1801);
    expect((await connectJs('session', { publishableKey: PK, clientSecret: late.client_secret })).status).toBe(400);
  });
});

describe('EventBridge destination', () => {
  let sqs: FauxqsServer;
  let client: SQSClient;
  let queueUrl: string;
  beforeAll(async () => {
    sqs = await startFauxqs({ port: 0, host: '127.0.0.1', logger: false, defaultRegion: 'us-east-1' });
    queueUrl = sqs.createQueue('stripe-events-fidelity').queueUrl;
    client = new SQSClient({
      endpoint: sqs.address,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });
  afterAll(async () => {
    client.destroy();
    await sqs.stop();
  });

  async function drain(): Promise<Array<Record<string, unknown>>> {
    const out: Array<Record<string, unknown>> = [];
    for (;;) {
      const { Messages = [] } = await client.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      if (Messages.length === 0) return out;
      out.push(...Messages.map((m) => JSON.parse(m.Body ?? '{}') as Record<string, unknown>));
    }
  }

  it('wraps each event in the EventBridge envelope on the queue, and the webhook endpoint gets nothing meanwhile', async () => {
    const source = 'aws.partner/stripe.com/ed_test_fidelity';
    await h.control.configureEventBridge({
      sqsEndpoint: sqs.address,
      queueUrl,
      region: 'us-east-1',
      eventSourceName: source,
      enabledEvents: ['account.updated', 'capability.updated'],
    });
    await h.control.setEventDestination('eventbridge');
    const account = await expressAccount(h);
    await h.control.setAccountState(account.id, 'verified');
    await h.control.flushWebhooks();
    const messages = await drain();
    expect(connect.received).toHaveLength(0);
    const types = messages.map((m) => m['detail-type']);
    expect(types).toContain('account.updated');
    expect(types).toContain('capability.updated');
    for (const message of messages) {
      expect(message).toMatchObject({ version: '0', source, region: 'us-east-1', resources: [] });
      const detail = message.detail as Stripe.Event;
      expect(detail.object).toBe('event');
      expect(detail.type).toBe(message['detail-type']);
      expect(detail.account).toBe(account.id);
      // The same event Stripe's API lists.
      const listed = await h.stripe.events.retrieve(detail.id, {}, { stripeAccount: account.id });
      expect(listed.type).toBe(detail.type);
    }

    // Positive control: back on webhooks, the endpoint receives and the queue stays empty.
    await h.control.setEventDestination('webhooks');
    await h.control.setAccountState(account.id, 'restricted');
    await h.control.flushWebhooks();
    expect(connect.types()).toContain('account.updated');
    expect(await drain()).toHaveLength(0);
  });
});
