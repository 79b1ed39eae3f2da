import { describe, expect, it } from 'vitest';
import {
  connectStatus,
  deliverWebhooks,
  emulator,
  eventually,
  newPartnerUser,
  onboard,
  type PartnerBody,
  stripeSdk,
  tableItem,
  walkHostedOnboarding,
  withHeldDeliveries,
} from '#tests/connect';
import { api, uniqueEmail, user } from '#tests/local';
import { changesSince, markState, NO_CHANGE, stripeCallsSince, stripeLogMark } from '#tests/table-snapshot';

/** Onboarding through the Cognito-authenticated API, Stripe's hosted pages (emulated) and back. */
describe('partner profile', () => {
  it('creates the personal partner on first use, once, even for concurrent first requests', async () => {
    const alice = await user(uniqueEmail('first-use'));
    const responses = await Promise.all(
      [1, 2, 3].map(() => api<PartnerBody>('GET', '/partners/me', { token: alice.idToken })),
    );
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(new Set(responses.map((r) => r.body.id)).size).toBe(1);
    expect(responses[0]?.body).toMatchObject({
      id: expect.stringMatching(/^ptn_[a-f0-9]{24}$/),
      kind: 'personal',
      name: alice.email,
      role: 'owner',
      status: 'not_set_up',
      stripeAccountId: null,
      payoutPreference: 'stripe',
    });
    const list = await api<{ partners: PartnerBody[] }>('GET', '/partners', { token: alice.idToken });
    expect(list.body.partners.map((p) => p.id)).toEqual([responses[0]?.body.id]);
  });
});

describe('POST /connect/account', () => {
  it('creates one Express account with our metadata, the claims email and US capabilities; again returns it', async () => {
    const alice = await newPartnerUser('account');
    const created = await api<{ accountId: string; status: string; created: boolean }>('POST', '/connect/account', {
      token: alice.idToken,
      body: { businessType: 'individual' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ accountId: expect.stringMatching(/^acct_/), status: 'pending_verification' });

    const account = await stripeSdk().accounts.retrieve(created.body.accountId);
    expect(account).toMatchObject({
      type: 'express',
      country: 'US',
      email: alice.email,
      business_type: 'individual',
      metadata: { partner_id: alice.partnerId },
      capabilities: { card_payments: 'inactive', transfers: 'inactive' },
      // Created by controller properties (no legacy `type` sent); Stripe derives `express` from them.
      controller: {
        stripe_dashboard: { type: 'express' },
        fees: { payer: 'application' },
        losses: { payments: 'application' },
        requirement_collection: 'stripe',
      },
    });

    const again = await api<{ accountId: string }>('POST', '/connect/account', {
      token: alice.idToken,
      body: { businessType: 'individual' },
    });
    expect(again.status).toBe(200);
    expect(again.body.accountId).toBe(created.body.accountId);
  });

  it('keeps one account when the button is double-clicked (concurrent calls)', async () => {
    const bob = await newPartnerUser('double-click');
    const [a, b] = await Promise.all([
      api<{ accountId: string }>('POST', '/connect/account', { token: bob.idToken, body: {} }),
      api<{ accountId: string }>('POST', '/connect/account', { token: bob.idToken, body: {} }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 201]);
    expect(a.body.accountId).toBe(b.body.accountId);
    const ours: string[] = [];
    for await (const account of stripeSdk().accounts.list({ limit: 100 })) {
      if (account.metadata?.partner_id === bob.partnerId) ours.push(account.id);
    }
    expect(ours).toEqual([a.body.accountId]);
  });

  it('refuses a country outside the allow-list (422) and creates nothing', async () => {
    const carol = await newPartnerUser('country');
    const before = await markState();
    const refused = await api('POST', '/connect/account', { token: carol.idToken, body: { country: 'FR' } });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ error: { code: 'unsupported_country' } });
    expect(await changesSince(before)).toEqual(NO_CHANGE);
    const me = await api<PartnerBody>('GET', '/partners/me', { token: carol.idToken });
    expect(me.body).toMatchObject({ status: 'not_set_up', stripeAccountId: null, version: 1 });
  });
});

describe('the onboarding journey', () => {
  it('link → hosted page → return → active, with the status re-read from Stripe on return', async () => {
    const dana = await newPartnerUser('journey');
    const link = await api<{ url: string; expiresAt: string }>('POST', '/connect/onboarding-link', {
      token: dana.idToken,
      body: {},
    });
    expect(link.status).toBe(200);
    expect(link.body.url).toMatch(/\/hosted\/onboarding\//);
    expect(Date.parse(link.body.expiresAt)).toBeGreaterThan(Date.now());
    const accountId = (await api<PartnerBody>('GET', '/partners/me', { token: dana.idToken })).body.stripeAccountId;

    // Webhooks held: the Connect webhook cannot read the account or store anything; only the return route can.
    await withHeldDeliveries(async () => {
      let mark: string | null = null;
      const returned = await walkHostedOnboarding(link.body.url, 'complete', undefined, async () => {
        mark = await stripeLogMark();
      });
      expect(returned.status).toBe(200);
      expect(returned.headers.get('content-type')).toMatch(/text\/html/);
      expect(await returned.text()).toContain('ready');
      // The return route asked Stripe (one account read) rather than trusting the redirect.
      const calls = await stripeCallsSince(mark, false);
      expect(calls.map((c) => [c.method, c.path, c.status])).toEqual([['GET', `/v1/accounts/${accountId}`, 200]]);
      const status = await connectStatus(dana.idToken);
      expect(status.body).toMatchObject({
        status: 'active',
        chargesEnabled: true,
        payoutsEnabled: true,
        detailsSubmitted: true,
        requirements: { currentlyDue: [], pastDue: [], disabledReason: null, currentDeadline: null },
      });
    });
  });

  it('a used link leads to a fresh one through refresh_url (never a dead end)', async () => {
    const erin = await newPartnerUser('used-link');
    const link = await api<{ url: string }>('POST', '/connect/onboarding-link', { token: erin.idToken, body: {} });
    const first = await fetch(link.body.url, { redirect: 'manual' });
    expect(first.status).toBe(200);
    // Second visit: Stripe sends the browser to refresh_url; we answer with a redirect to a brand-new link.
    const second = await fetch(link.body.url, { redirect: 'manual' });
    expect(second.status).toBe(302);
    const refreshUrl = second.headers.get('location') ?? '';
    expect(refreshUrl).toContain('/connect/refresh?state=');
    const refreshed = await fetch(refreshUrl, { redirect: 'manual' });
    expect(refreshed.status).toBe(302);
    const fresh = refreshed.headers.get('location') ?? '';
    expect(fresh).toMatch(/\/hosted\/onboarding\//);
    expect(fresh).not.toBe(link.body.url);
    const returned = await walkHostedOnboarding(fresh, 'complete');
    expect(returned.status).toBe(200);
    expect((await connectStatus(erin.idToken)).body.status).toBe('active');
  });

  it('an expired link leads to a fresh one too', async () => {
    const fay = await newPartnerUser('expired-link');
    const link = await api<{ url: string }>('POST', '/connect/onboarding-link', { token: fay.idToken, body: {} });
    await emulator().advanceClock(301); // Account Links live ~300 s
    const expired = await fetch(link.body.url, { redirect: 'manual' });
    expect(expired.status).toBe(302);
    const refreshed = await fetch(expired.headers.get('location') ?? '', { redirect: 'manual' });
    expect(refreshed.status).toBe(302);
    const page = await fetch(refreshed.headers.get('location') ?? '', { redirect: 'manual' });
    expect(page.status).toBe(200);
  });

  it('submitted details with verification pending: pending_verification, and the dashboard opens', async () => {
    const gus = await newPartnerUser('pending');
    await onboard(gus.idToken, 'pending');
    const status = await connectStatus(gus.idToken);
    expect(status.body).toMatchObject({
      status: 'pending_verification',
      detailsSubmitted: true,
      payoutsEnabled: false,
    });
    const dashboard = await api<{ url: string }>('POST', '/connect/dashboard-link', { token: gus.idToken });
    expect(dashboard.status).toBe(200);
  });

  it('abandoning leaves the account pending and the dashboard closed (409 onboarding_incomplete)', async () => {
    const hal = await newPartnerUser('abandon');
    await onboard(hal.idToken, 'abandon');
    expect((await connectStatus(hal.idToken)).body).toMatchObject({
      status: 'pending_verification',
      detailsSubmitted: false,
    });
    const dashboard = await api('POST', '/connect/dashboard-link', { token: hal.idToken });
    expect(dashboard.status).toBe(409);
    expect(dashboard.body).toMatchObject({ error: { code: 'onboarding_incomplete' } });
  });
});

describe('Express Dashboard login link', () => {
  it('409 onboarding_incomplete before an account or details exist, a login link after onboarding', async () => {
    const ivy = await newPartnerUser('dashboard');
    const before = await api('POST', '/connect/dashboard-link', { token: ivy.idToken });
    expect(before.status).toBe(409);
    expect(before.body).toMatchObject({ error: { code: 'onboarding_incomplete' } });
    await onboard(ivy.idToken, 'complete');
    const after = await api<{ url: string }>('POST', '/connect/dashboard-link', { token: ivy.idToken });
    expect(after.status).toBe(200);
    expect(after.body.url).toMatch(/\/hosted\/express\/acct_/);
  });
});

describe('status changes after onboarding', () => {
  it('restricted with past_due (from the webhook), then re-onboarding brings it back to active', async () => {
    const jo = await newPartnerUser('restricted');
    await onboard(jo.idToken, 'complete');
    const me = await api<PartnerBody>('GET', '/partners/me', { token: jo.idToken });
    const accountId = me.body.stripeAccountId ?? '';
    await emulator().setAccountState(accountId, 'restricted', { requirements: ['individual.verification.document'] });
    await deliverWebhooks();
    const restricted = await eventually(
      () => connectStatus(jo.idToken),
      (r) => r.body.status === 'restricted',
    );
    expect(restricted.body).toMatchObject({
      status: 'restricted',
      payoutsEnabled: false,
      requirements: { pastDue: ['individual.verification.document'], disabledReason: 'requirements.past_due' },
    });

    // Express accounts are sent back through account_onboarding (Stripe refuses account_update for them): the
    // hosted page is the onboarding flow, which collects the past-due requirements.
    const { page } = await onboard(jo.idToken, 'complete');
    expect(page).toContain('Set up payouts');
    expect((await connectStatus(jo.idToken)).body.status).toBe('active');
  });

  it('?refresh=true re-reads Stripe at once, and is rate-limited per partner', async () => {
    const kit = await newPartnerUser('refresh');
    await api('POST', '/connect/account', { token: kit.idToken, body: {} });
    const me = await api<PartnerBody>('GET', '/partners/me', { token: kit.idToken });
    const accountPath = `/v1/accounts/${me.body.stripeAccountId}`;
    // Webhooks held: Stripe's account.updated cannot bring the new state; only the refresh can.
    await withHeldDeliveries(async () => {
      await emulator().setAccountState(me.body.stripeAccountId ?? '', 'verified');
      expect((await connectStatus(kit.idToken)).body.status).toBe('pending_verification');
      const mark = await stripeLogMark();
      const refreshed = await connectStatus(kit.idToken, undefined, true);
      expect(refreshed.status).toBe(200);
      expect(refreshed.body.status).toBe('active');
      expect((await stripeCallsSince(mark, false)).map((c) => [c.method, c.path, c.status])).toEqual([
        ['GET', accountPath, 200],
      ]);
      const limitedMark = await stripeLogMark();
      const again = await connectStatus(kit.idToken, undefined, true);
      expect(again.status).toBe(429);
      expect(again.body).toMatchObject({ error: { code: 'refresh_rate_limited' } });
      expect(Number(again.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await stripeCallsSince(limitedMark, false)).toEqual([]);
      // Reading the stored status is never limited.
      expect((await connectStatus(kit.idToken)).status).toBe(200);
    });
  });

  it('deauthorization disconnects the partner: no new links, no dashboard', async () => {
    const lee = await newPartnerUser('deauth');
    await onboard(lee.idToken, 'complete');
    const me = await api<PartnerBody>('GET', '/partners/me', { token: lee.idToken });
    await emulator().setAccountState(me.body.stripeAccountId ?? '', 'deauthorized');
    await deliverWebhooks();
    const status = await eventually(
      () => connectStatus(lee.idToken),
      (r) => r.body.status === 'disconnected',
    );
    expect(status.body.status).toBe('disconnected');
    const link = await api('POST', '/connect/onboarding-link', { token: lee.idToken, body: {} });
    expect(link.status).toBe(409);
    expect(link.body).toMatchObject({ error: { code: 'account_disconnected' } });
    const dashboard = await api('POST', '/connect/dashboard-link', { token: lee.idToken });
    expect(dashboard.status).toBe(409);
  });
});

describe('a webhook read that began before the return route’s (DynamoDB condition on stateAsOf)', () => {
  it('drops the older read when it lands after the newer one, and writes a fresh read', async () => {
    const { partnerDeps } = await import('#adapters/partner-deps');
    const { handleConnectEvent } = await import('#core/connect-events');
    const { dynamoPartnerRepository } = await import('#adapters/dynamodb/partner-repository');
    const noa = await newPartnerUser('race');
    const link = await api<{ url: string }>('POST', '/connect/onboarding-link', { token: noa.idToken, body: {} });
    const accountId = (await api<PartnerBody>('GET', '/partners/me', { token: noa.idToken })).body.stripeAccountId;
    const { stripeConnect } = await import('#adapters/stripe/connect');
    const base = partnerDeps({ info: () => undefined, warn: () => undefined }, { stripe: stripeConnect });
    // The webhook's handler, held between its Stripe read (the account as created) and its DynamoDB write.
    let readDone: () => void = () => undefined;
    const haveRead = new Promise<void>((resolve) => {
      readDone = resolve;
    });
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const held = {
      ...base,
      stripe: {
        ...base.stripe,
        retrieveAccount: async (id: string) => {
          const snapshot = await base.stripe.retrieveAccount(id);
          readDone();
          await released;
          return snapshot;
        },
      },
    };
    const event = {
      kind: 'account_changed' as const,
      id: `evt_race_${Date.now()}`,
      type: 'account.updated',
      created: Math.floor(Date.now() / 1000),
    };
    await withHeldDeliveries(async () => {
      const webhook = handleConnectEvent(held, { ...event, accountId: accountId ?? '' });
      await haveRead;
      // Meanwhile the partner finishes onboarding; the return route reads the account later and stores it.
      const returned = await walkHostedOnboarding(link.body.url, 'complete');
      expect(returned.status).toBe(200);
      const stored = await tableItem(`PARTNER#${noa.partnerId}`, 'PROFILE');
      expect(stored).toMatchObject({ status: 'active' });
      release();
      expect(await webhook).toBe('stale');
      // The older read changed nothing.
      expect(await tableItem(`PARTNER#${noa.partnerId}`, 'PROFILE')).toEqual(stored);
      // Control: a read that begins now is written (the condition drops older reads only).
      const fresh = await handleConnectEvent(base, { ...event, id: `${event.id}_2`, accountId: accountId ?? '' });
      expect(fresh).toBe('synced');
      const after = await dynamoPartnerRepository.get(noa.partnerId);
      expect(after).toMatchObject({ status: 'active', version: Number(stored?.version) + 1 });
    });
  });
});

describe('payout preference', () => {
  it('switches between stripe and manual; anything else is refused and nothing changes', async () => {
    const max = await newPartnerUser('preference');
    const manual = await api<PartnerBody>('PUT', '/partners/me/payout-preference', {
      token: max.idToken,
      body: { method: 'manual' },
    });
    expect(manual.status).toBe(200);
    expect(manual.body).toMatchObject({ payoutPreference: 'manual', version: 2 });
    const before = await markState();
    for (const body of [{ method: 'paypal' }, { method: 'stripe', extra: true }, {}, { method: 1 }]) {
      const refused = await api('PUT', '/partners/me/payout-preference', { token: max.idToken, body });
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({ error: { code: 'validation_error' } });
    }
    expect(await changesSince(before)).toEqual(NO_CHANGE);
    const me = await api<PartnerBody>('GET', '/partners/me', { token: max.idToken });
    expect(me.body).toMatchObject({ payoutPreference: 'manual', version: 2 });
  });
});
