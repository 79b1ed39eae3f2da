import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { statusIndexPk } from '#adapters/dynamodb/keys';
import type { OnboardingState } from '#core/partner';
import { signOnboardingState } from '#core/signed-state';
import type { Delivery } from '#local/stripe-emulator/index';
import {
  connectStatus,
  deliverWebhooks,
  emulator,
  eventsOf,
  eventually,
  joinTeam,
  newPartnerUser,
  onboard,
  type PartnerBody,
  postConnectWebhook,
  stripeSdk,
  tableItem,
  withDeliveryMode,
} from '#tests/connect';
import { api, stackInfo, uniqueEmail, user } from '#tests/local';
import { paymentIntentIdOf, paymentRecord, queryTable } from '#tests/payments';
import { changesSince, markState, NO_CHANGE, stripeCallsSince, stripeLogMark } from '#tests/table-snapshot';

/**
 * Partner onboarding end to end, over HTTP only: the local API Gateway (real cognito-local tokens), the Stripe
 * emulator's hosted onboarding pages driven as a browser would, and Connect webhooks delivered by the emulator
 * itself. Every test checks what DynamoDB holds and what the emulator holds (accounts, request log, events,
 * deliveries) — never a status code alone.
 */

/** The partner profile item as stored (only the attributes these tests read). */
interface ProfileItem {
  id: string;
  kind: 'personal' | 'team';
  status: string;
  stripeAccountId?: string;
  onboarding?: OnboardingState;
  stateAsOf?: string;
  lastEventCreated?: number;
  disconnectedAt?: string;
  version: number;
  GSI1PK?: string;
  GSI2PK: string;
}

async function profile(partnerId: string): Promise<ProfileItem> {
  const item = await tableItem(`PARTNER#${partnerId}`, 'PROFILE');
  if (!item) throw new Error(`no profile item for ${partnerId}`);
  return item as unknown as ProfileItem;
}

/** What the stored onboarding state must be for this Stripe account (an oracle independent of the adapter). */
function onboardingOf(account: Stripe.Account): OnboardingState {
  return {
    detailsSubmitted: account.details_submitted,
    chargesEnabled: account.charges_enabled,
    payoutsEnabled: account.payouts_enabled,
    transfersCapability: account.capabilities?.transfers ?? null,
    currentlyDue: account.requirements?.currently_due ?? [],
    pastDue: account.requirements?.past_due ?? [],
    disabledReason: account.requirements?.disabled_reason ?? null,
    currentDeadline: account.requirements?.current_deadline ?? null,
    eventuallyDue: account.requirements?.eventually_due ?? [],
    errors: (account.requirements?.errors ?? []).map((e) => ({
      requirement: e.requirement,
      code: e.code,
      reason: e.reason,
    })),
    future: {
      currentlyDue: account.future_requirements?.currently_due ?? [],
      currentDeadline: account.future_requirements?.current_deadline ?? null,
      disabledReason: account.future_requirements?.disabled_reason ?? null,
    },
    requirementCollection: 'stripe',
    defaultCurrency: account.default_currency ?? null,
  };
}

/** Every Express account the emulator holds for this partner (by our `partner_id` metadata). */
async function accountsOfPartner(partnerId: string): Promise<Stripe.Account[]> {
  const found: Stripe.Account[] = [];
  for await (const account of stripeSdk().accounts.list({ limit: 100 })) {
    if (account.metadata?.partner_id === partnerId) found.push(account);
  }
  return found;
}

/** Items of the account index (GSI1) for a Stripe account: the partner the webhooks will find. */
function accountIndex(accountId: string) {
  return queryTable({
    IndexName: 'GSI1',
    KeyConditionExpression: 'GSI1PK = :pk',
    ExpressionAttributeValues: { ':pk': `ACCOUNT#${accountId}` },
  });
}

type LinkBody = { url: string; expiresAt: string };
type AccountBody = { accountId: string; status: string; created: boolean };
type ErrorBody = { error: { code: string } };

/** Opens a hosted onboarding page as a browser would; returns the page and its form session, or the redirect. */
async function openHosted(url: string): Promise<{ status: number; location: string; html: string; session: string }> {
  const page = await fetch(url, { redirect: 'manual' });
  const html = await page.text();
  return {
    status: page.status,
    location: page.headers.get('location') ?? '',
    html,
    session: /name="session" value="([^"]+)"/.exec(html)?.[1] ?? '',
  };
}

/** Presses one of the hosted page's buttons; returns where Stripe sends the browser (our return_url). */
async function pressHosted(url: string, session: string, action: 'complete' | 'pending' | 'abandon'): Promise<string> {
  const submitted = await fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ session, action }).toString(),
  });
  expect(submitted.status).toBe(303);
  return submitted.headers.get('location') ?? '';
}

const isStateUrl = (url: string, route: 'return' | 'refresh') =>
  url.startsWith(`${stackInfo().apiUrl}/connect/${route}?state=`);

/** New Connect deliveries since `before` (delivery ids), oldest first. */
async function connectDeliveriesSince(before: ReadonlySet<string>): Promise<Delivery[]> {
  return (await emulator().webhookDeliveries()).filter((d) => d.endpoint === 'connect' && !before.has(d.id));
}

async function deliveryIds(): Promise<Set<string>> {
  return new Set((await emulator().webhookDeliveries()).map((d) => d.id));
}

/** A partner onboarded through the hosted page with its Connect webhooks processed. */
async function activePartner(prefix: string) {
  const partner = await newPartnerUser(prefix);
  await onboard(partner.idToken, 'complete');
  await deliverWebhooks();
  const stored = await profile(partner.partnerId);
  expect(stored.status).toBe('active');
  return { ...partner, accountId: stored.stripeAccountId ?? '' };
}

describe('the whole journey over HTTP', () => {
  it('signup → not_set_up with nothing at Stripe → account → hosted page → return → webhooks → active, stored exactly as Stripe has it', async () => {
    const person = await user(uniqueEmail('journey'));
    await deliverWebhooks();
    const mark = await stripeLogMark();

    // First contact: the personal partner is created from the token; Stripe is not involved at all.
    const before = await connectStatus(person.idToken);
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({
      status: 'not_set_up',
      stripeAccountId: null,
      chargesEnabled: false,
      payoutsEnabled: false,
      detailsSubmitted: false,
      requirements: { currentlyDue: [], pastDue: [], disabledReason: null, currentDeadline: null },
    });
    const partnerId = before.body.partnerId;
    expect(await stripeCallsSince(mark, false)).toEqual([]);
    expect(await accountsOfPartner(partnerId)).toEqual([]);
    const fresh = await profile(partnerId);
    expect(fresh).toMatchObject({
      kind: 'personal',
      status: 'not_set_up',
      version: 1,
      GSI2PK: statusIndexPk('not_set_up', partnerId),
    });
    expect(fresh.stripeAccountId).toBeUndefined();
    expect(fresh.GSI1PK).toBeUndefined();
    expect(await tableItem(`USER#${person.sub}`, 'PERSONAL')).toMatchObject({ partnerId });
    expect(await tableItem(`PARTNER#${partnerId}`, `MEMBER#${person.sub}`)).toMatchObject({ role: 'owner' });
    expect(await tableItem(`USER#${person.sub}`, `MEMBERSHIP#${partnerId}`)).toMatchObject({ role: 'owner' });

    // The Express account: one Stripe write, under the partner's idempotency key.
    const created = await api<AccountBody>('POST', '/connect/account', {
      token: person.idToken,
      body: { businessType: 'individual' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'pending_verification', created: true });
    const accountId = created.body.accountId;
    const createWrites = await stripeCallsSince(mark);
    expect(createWrites.map((w) => [w.method, w.path, w.status, w.idempotencyKey])).toEqual([
      ['POST', '/v1/accounts', 200, `create-express-account:${partnerId}`],
    ]);
    const newAccount = await stripeSdk().accounts.retrieve(accountId);
    expect(newAccount).toMatchObject({
      type: 'express',
      email: person.email,
      business_type: 'individual',
      details_submitted: false,
      metadata: { partner_id: partnerId },
    });
    const attached = await profile(partnerId);
    expect(attached).toMatchObject({
      stripeAccountId: accountId,
      status: 'pending_verification',
      version: 2,
      GSI1PK: `ACCOUNT#${accountId}`,
      GSI2PK: statusIndexPk('pending_verification', partnerId),
    });
    expect(attached.onboarding).toEqual(onboardingOf(newAccount));

    // The onboarding link, then Stripe's hosted page, as a browser.
    const linkMark = await stripeLogMark();
    const link = await api<LinkBody>('POST', '/connect/onboarding-link', { token: person.idToken, body: {} });
    expect(link.status).toBe(200);
    expect((await stripeCallsSince(linkMark)).map((w) => [w.path, w.status])).toEqual([['/v1/account_links', 200]]);
    const page = await openHosted(link.body.url);
    expect(page.status).toBe(200);
    expect(page.html).toContain('Set up payouts');
    expect(page.html).toContain(accountId);
    expect(page.html).toContain(person.email);
    const beforeDeliveries = await deliveryIds();
    // Webhooks held until the return route answered: only it can read the account or store the new state.
    await withDeliveryMode({ hold: true }, async () => {
      const returnUrl = await pressHosted(link.body.url, page.session, 'complete');
      expect(isStateUrl(returnUrl, 'return')).toBe(true);

      // Back on our return_url: the account is re-read from Stripe before the page says anything.
      const returnMark = await stripeLogMark();
      const returned = await fetch(returnUrl, { redirect: 'manual' });
      expect(returned.status).toBe(200);
      expect(await returned.text()).toContain('ready');
      expect((await stripeCallsSince(returnMark, false)).map((c) => [c.method, c.path, c.status])).toEqual([
        ['GET', `/v1/accounts/${accountId}`, 200],
      ]);
      expect(await profile(partnerId)).toMatchObject({ status: 'active' });
    });

    // The Connect webhooks of the verification, delivered by the emulator and each recorded once.
    await deliverWebhooks();
    const verifiedAccount = await stripeSdk().accounts.retrieve(accountId);
    const deliveries = await connectDeliveriesSince(beforeDeliveries);
    const events = await eventsOf(accountId);
    const ours = deliveries.filter((d) => events.some((e) => e.id === d.eventId));
    expect(new Set(ours.map((d) => d.eventType))).toEqual(new Set(['account.updated', 'capability.updated']));
    for (const delivery of ours) {
      expect(delivery.state).toBe('succeeded');
      const record = await tableItem(`EVENT#${delivery.eventId}`, 'EVENT');
      expect(record).toMatchObject({ endpoint: 'connect', type: delivery.eventType });
      expect(['synced', 'stale']).toContain(record?.outcome);
    }

    const stored = await profile(partnerId);
    expect(stored).toMatchObject({
      status: 'active',
      stripeAccountId: accountId,
      GSI2PK: statusIndexPk('active', partnerId),
    });
    expect(stored.onboarding).toEqual(onboardingOf(verifiedAccount));
    expect(stored.onboarding?.transfersCapability).toBe('active');
    expect(events.map((e) => e.created)).toContain(stored.lastEventCreated);
    const status = await connectStatus(person.idToken);
    expect(status.body).toMatchObject({
      partnerId,
      status: 'active',
      stripeAccountId: accountId,
      chargesEnabled: verifiedAccount.charges_enabled,
      payoutsEnabled: verifiedAccount.payouts_enabled,
      detailsSubmitted: true,
      requirements: { currentlyDue: [], pastDue: [], disabledReason: null, currentDeadline: null },
    });
    expect(await accountsOfPartner(partnerId)).toHaveLength(1);
  });

  it('abandoned, then back through the used link: refresh_url mints one fresh link, the old one stays dead, the new one completes', async () => {
    const partner = await newPartnerUser('abandon-return');
    const first = await api<LinkBody>('POST', '/connect/onboarding-link', { token: partner.idToken, body: {} });
    expect(first.status).toBe(200);
    const page = await openHosted(first.body.url);
    const abandonedAt = await pressHosted(first.body.url, page.session, 'abandon');
    const back = await fetch(abandonedAt, { redirect: 'manual' });
    expect(back.status).toBe(200);
    // Nothing was submitted, so the page must not claim that Stripe is verifying anything.
    const backPage = await back.text();
    expect(backPage).toContain('not finished');
    expect(backPage).not.toContain('verifying');
    const abandoned = await profile(partner.partnerId);
    const accountId = abandoned.stripeAccountId ?? '';
    expect(abandoned).toMatchObject({ status: 'pending_verification' });
    expect(abandoned.onboarding?.detailsSubmitted).toBe(false);
    expect((await stripeSdk().accounts.retrieve(accountId)).details_submitted).toBe(false);

    // Days later the partner clicks the same link: Stripe sends them to refresh_url, we answer with a new link.
    const mark = await stripeLogMark();
    const reopened = await openHosted(first.body.url);
    expect(reopened.status).toBe(302);
    expect(isStateUrl(reopened.location, 'refresh')).toBe(true);
    const refreshed = await fetch(reopened.location, { redirect: 'manual' });
    expect(refreshed.status).toBe(302);
    const second = refreshed.headers.get('location') ?? '';
    expect(second).toMatch(/\/hosted\/onboarding\/acctlink_/);
    expect(second).not.toBe(first.body.url);
    expect((await stripeCallsSince(mark)).map((w) => [w.method, w.path, w.status])).toEqual([
      ['POST', '/v1/account_links', 200],
    ]);
    // The refresh wrote nothing of its own: the partner is as the return route left it.
    expect((await profile(partner.partnerId)).version).toBe(abandoned.version);

    // The old link never opens again; the new one does, once, and completes onboarding.
    expect((await openHosted(first.body.url)).status).toBe(302);
    const secondPage = await openHosted(second);
    expect(secondPage.status).toBe(200);
    expect(secondPage.html).toContain(accountId);
    const done = await fetch(await pressHosted(second, secondPage.session, 'complete'), { redirect: 'manual' });
    expect(done.status).toBe(200);
    expect((await openHosted(second)).status).toBe(302);

    const account = await stripeSdk().accounts.retrieve(accountId);
    expect(account).toMatchObject({ details_submitted: true, payouts_enabled: true });
    const stored = await profile(partner.partnerId);
    expect(stored.status).toBe('active');
    expect(stored.onboarding).toEqual(onboardingOf(account));
    expect(await accountsOfPartner(partner.partnerId)).toHaveLength(1);
  });

  it('details submitted with verification pending; Stripe verifies later and the Connect webhook alone makes the partner active', async () => {
    const partner = await newPartnerUser('verify-later');
    const { returned } = await onboard(partner.idToken, 'pending');
    expect(await returned.text()).toContain('Stripe is verifying your details');
    await deliverWebhooks();
    const pending = await profile(partner.partnerId);
    const accountId = pending.stripeAccountId ?? '';
    expect(pending.status).toBe('pending_verification');
    expect(pending.onboarding).toMatchObject({
      detailsSubmitted: true,
      payoutsEnabled: false,
      transfersCapability: 'pending',
      disabledReason: 'requirements.pending_verification',
    });
    expect(pending.onboarding).toEqual(onboardingOf(await stripeSdk().accounts.retrieve(accountId)));

    // Stripe finishes verifying; nobody calls our API.
    const seen = await deliveryIds();
    const mark = await stripeLogMark();
    await emulator().setAccountState(accountId, 'verified');
    await deliverWebhooks();
    const verified = await eventually(
      () => profile(partner.partnerId),
      (item) => item.status === 'active',
    );
    expect(verified.status).toBe('active');
    expect(verified.version).toBeGreaterThan(pending.version);
    expect(verified.onboarding).toEqual(onboardingOf(await stripeSdk().accounts.retrieve(accountId)));
    // The webhook re-read the account rather than trusting the payload, and each event is recorded as processed.
    const reads = (await stripeCallsSince(mark, false)).filter((c) => c.method === 'GET');
    expect(reads.map((c) => c.path)).toContain(`/v1/accounts/${accountId}`);
    const [accountUpdated] = await eventsOf(accountId, 'account.updated').then((e) => e.slice(-1));
    const delivered = (await connectDeliveriesSince(seen)).filter((d) => d.eventId === accountUpdated?.id);
    expect(delivered).toHaveLength(1);
    expect(delivered[0]?.state).toBe('succeeded');
    expect(await tableItem(`EVENT#${accountUpdated?.id}`, 'EVENT')).toMatchObject({ type: 'account.updated' });
    expect(verified.lastEventCreated).toBeGreaterThanOrEqual(accountUpdated?.created ?? Number.POSITIVE_INFINITY);
    expect((await connectStatus(partner.idToken)).body).toMatchObject({ status: 'active', payoutsEnabled: true });
  });
});

describe('concurrent clicks', () => {
  it('five concurrent account creations by one user: one Express account at Stripe, one id and one write in DynamoDB', async () => {
    const partner = await newPartnerUser('five-clicks');
    const mark = await stripeLogMark();
    const responses = await Promise.all(
      Array.from({ length: 5 }, () =>
        api<AccountBody>('POST', '/connect/account', { token: partner.idToken, body: { businessType: 'individual' } }),
      ),
    );
    expect(responses.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 201]);
    const ids = new Set(responses.map((r) => r.body.accountId));
    expect(ids.size).toBe(1);
    const [accountId] = [...ids];

    const accounts = await accountsOfPartner(partner.partnerId);
    expect(accounts.map((a) => a.id)).toEqual([accountId]);
    const creates = (await stripeCallsSince(mark)).filter((w) => w.path === '/v1/accounts');
    expect(creates.length).toBeGreaterThanOrEqual(1);
    for (const call of creates) expect(call.idempotencyKey).toBe(`create-express-account:${partner.partnerId}`);
    // Exactly one request created the account; every other one was a replay (or waited for it, 409, and replayed).
    expect(creates.filter((w) => w.status === 200 && !w.replayed)).toHaveLength(1);

    const stored = await profile(partner.partnerId);
    expect(stored).toMatchObject({ stripeAccountId: accountId, version: 2, status: 'pending_verification' });
    const index = await accountIndex(accountId ?? '');
    expect(index.map((item) => item.id)).toEqual([partner.partnerId]);
  });

  it('concurrent onboarding-link clicks with different inputs: one account, each answer a fresh link or 409, never a second account', async () => {
    const partner = await newPartnerUser('mixed-clicks');
    const mark = await stripeLogMark();
    const responses = await Promise.all(
      (['individual', 'company', 'individual', 'company', 'individual'] as const).map((businessType) =>
        api<LinkBody & ErrorBody>('POST', '/connect/onboarding-link', {
          token: partner.idToken,
          body: { businessType },
        }),
      ),
    );
    const ok = responses.filter((r) => r.status === 200);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    for (const refused of responses.filter((r) => r.status !== 200)) {
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('account_creation_in_progress');
    }
    // Every successful answer is its own single-use link.
    expect(new Set(ok.map((r) => r.body.url)).size).toBe(ok.length);

    const accounts = await accountsOfPartner(partner.partnerId);
    expect(accounts).toHaveLength(1);
    const account = accounts[0] as Stripe.Account;
    const stored = await profile(partner.partnerId);
    expect(stored).toMatchObject({ stripeAccountId: account.id, version: 2 });
    const writes = await stripeCallsSince(mark);
    const creates = writes.filter((w) => w.path === '/v1/accounts');
    expect(creates.filter((w) => w.status === 200 && !w.replayed)).toHaveLength(1);
    for (const call of creates.filter((w) => w.status !== 200)) expect(call.errorType).toBe('idempotency_error');
    expect(writes.filter((w) => w.path === '/v1/account_links' && w.status === 200)).toHaveLength(ok.length);

    // Any of the links leads to the one account.
    const page = await openHosted(ok[0]?.body.url ?? '');
    expect(page.status).toBe(200);
    expect(page.html).toContain(account.id);
  });
});

describe('a create that reached Stripe but never DynamoDB', () => {
  /** What our create request sends (same key, same parameters), as if its DynamoDB write had been lost. */
  const lostCreate = (partnerId: string, email: string) =>
    stripeSdk().accounts.create(
      {
        controller: {
          stripe_dashboard: { type: 'express' },
          fees: { payer: 'application' },
          losses: { payments: 'application' },
          requirement_collection: 'stripe',
        },
        country: 'US',
        email,
        capabilities: { card_payments: { requested: true }, transfers: { requested: true } },
        metadata: { partner_id: partnerId },
      },
      { idempotencyKey: `create-express-account:${partnerId}` },
    );

  it('the next click gets the same account back from Stripe; the first Connect event can attach it too — never a second account', async () => {
    // Retried click: Stripe replays the account under the partner's key and the id is stored then.
    const retried = await newPartnerUser('lost-write-retry');
    const orphan = await lostCreate(retried.partnerId, retried.email);
    expect((await profile(retried.partnerId)).stripeAccountId).toBeUndefined();
    const mark = await stripeLogMark();
    const again = await api<AccountBody>('POST', '/connect/account', { token: retried.idToken, body: {} });
    expect(again.status, again.text).toBe(201);
    expect(again.body.accountId).toBe(orphan.id);
    expect((await stripeCallsSince(mark)).map((w) => [w.path, w.status, w.replayed])).toEqual([
      ['/v1/accounts', 200, true],
    ]);
    expect(await profile(retried.partnerId)).toMatchObject({ stripeAccountId: orphan.id, version: 2 });
    expect((await accountsOfPartner(retried.partnerId)).map((a) => a.id)).toEqual([orphan.id]);

    // Webhook first: Stripe reports a change of the account before anyone clicks. Its metadata names the partner,
    // but metadata never attaches an account: the event is acknowledged, and the next click (same key) attaches it.
    const early = await newPartnerUser('lost-write-webhook');
    const account = await lostCreate(early.partnerId, early.email);
    const seen = await deliveryIds();
    await emulator().setAccountState(account.id, 'pending_verification');
    await deliverWebhooks();
    const deliveries = await connectDeliveriesSince(seen);
    expect(deliveries.length).toBeGreaterThan(0);
    for (const delivery of deliveries) expect(delivery.state).toBe('succeeded');
    const outcomes = await Promise.all(
      deliveries.map(async (d) => (await tableItem(`EVENT#${d.eventId}`, 'EVENT'))?.outcome),
    );
    expect(outcomes).toContain('unknown_account');
    expect((await profile(early.partnerId)).stripeAccountId).toBeUndefined();

    const clickMark = await stripeLogMark();
    const click = await api<AccountBody>('POST', '/connect/account', { token: early.idToken, body: {} });
    expect(click.status, click.text).toBe(201);
    expect(click.body).toMatchObject({ accountId: account.id, created: true });
    expect((await stripeCallsSince(clickMark)).map((w) => [w.path, w.status, w.replayed])).toEqual([
      ['/v1/accounts', 200, true],
    ]);
    expect(await profile(early.partnerId)).toMatchObject({
      stripeAccountId: account.id,
      status: 'pending_verification',
      GSI1PK: `ACCOUNT#${account.id}`,
    });
    expect((await accountsOfPartner(early.partnerId)).map((a) => a.id)).toEqual([account.id]);
  });

  it('a foreign account whose metadata names a partner is never attached to it (the event is acknowledged)', async () => {
    const victim = await newPartnerUser('foreign-metadata');
    // Positive control first: the same event path does sync an account we created and stored.
    const own = await newPartnerUser('foreign-control');
    const created = await api<AccountBody>('POST', '/connect/account', { token: own.idToken, body: {} });
    expect(created.status, created.text).toBe(201);
    // Someone else's account (not created with our key), labelled with the victim's partner id.
    const foreign = await stripeSdk().accounts.create({
      type: 'express',
      country: 'US',
      email: 'mallory@example.com',
      capabilities: { transfers: { requested: true } },
      metadata: { partner_id: victim.partnerId },
    });
    const seen = await deliveryIds();
    await emulator().setAccountState(foreign.id, 'verified');
    await emulator().setAccountState(created.body.accountId, 'pending_verification');
    await deliverWebhooks();
    const deliveries = await connectDeliveriesSince(seen);
    for (const delivery of deliveries) expect(delivery.state).toBe('succeeded');
    const outcomeOf = async (accountId: string) => {
      const events = new Set((await eventsOf(accountId)).map((e) => e.id));
      return Promise.all(
        deliveries
          .filter((d) => events.has(d.eventId))
          .map(async (d) => (await tableItem(`EVENT#${d.eventId}`, 'EVENT'))?.outcome),
      );
    };
    expect(await outcomeOf(foreign.id)).toContain('unknown_account');
    expect((await outcomeOf(created.body.accountId)).length).toBeGreaterThan(0);
    expect(await outcomeOf(created.body.accountId)).not.toContain('unknown_account');
    const stored = await profile(victim.partnerId);
    expect(stored.stripeAccountId).toBeUndefined();
    expect(stored.status).toBe('not_set_up');
    expect(stored.GSI1PK).toBeUndefined();
  });
});

describe('requirements after activation', () => {
  it('a deadline keeps the partner active with the requirement listed; past due restricts it, refuses payments without a trace; re-onboarding restores it', async () => {
    const payee = await activePartner('requirements');
    const customer = await user(uniqueEmail('customer'));
    const intent = {
      payeeId: payee.partnerId,
      amount: 5_000,
      currency: 'usd',
      kind: 'deposit',
      description: 'Deposit',
    };

    // Stripe asks for an id number within a day: still active, the deadline shown to the partner.
    await emulator().setAccountState(payee.accountId, 'restricted_soon', {
      requirements: ['individual.id_number'],
      deadlineInSeconds: 86_400,
    });
    await deliverWebhooks();
    const soon = await eventually(
      () => profile(payee.partnerId),
      (item) => (item.onboarding?.currentlyDue.length ?? 0) > 0,
    );
    const soonAccount = await stripeSdk().accounts.retrieve(payee.accountId);
    expect(soon.status).toBe('active');
    expect(soon.onboarding).toEqual(onboardingOf(soonAccount));
    const deadline = soonAccount.requirements?.current_deadline ?? 0;
    expect(deadline).toBeGreaterThan(0);
    expect((await connectStatus(payee.idToken)).body).toMatchObject({
      status: 'active',
      requirements: {
        currentlyDue: ['individual.id_number'],
        pastDue: [],
        currentDeadline: new Date(deadline * 1000).toISOString(),
      },
    });

    // The deadline passes: past due, payouts and charges off.
    await emulator().setAccountState(payee.accountId, 'restricted', { requirements: ['individual.id_number'] });
    await deliverWebhooks();
    const restricted = await eventually(
      () => profile(payee.partnerId),
      (item) => item.status === 'restricted',
    );
    expect(restricted).toMatchObject({ status: 'restricted', GSI2PK: statusIndexPk('restricted', payee.partnerId) });
    expect(restricted.onboarding).toEqual(onboardingOf(await stripeSdk().accounts.retrieve(payee.accountId)));
    expect((await connectStatus(payee.idToken)).body).toMatchObject({
      status: 'restricted',
      payoutsEnabled: false,
      requirements: { pastDue: ['individual.id_number'], disabledReason: 'requirements.past_due' },
    });

    // A customer cannot pay a restricted partner: refused before anything is written here or at Stripe.
    const mark = await markState();
    const refused = await api<ErrorBody>('POST', '/payments/intents', { token: customer.idToken, body: intent });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('partner_not_onboarded');
    expect(await changesSince(mark)).toEqual(NO_CHANGE);

    // The partner goes through onboarding again (Express: account_onboarding) and is active once more.
    const { page } = await onboard(payee.idToken, 'complete');
    expect(page).toContain('Set up payouts');
    await deliverWebhooks();
    const restored = await profile(payee.partnerId);
    expect(restored).toMatchObject({ status: 'active', GSI2PK: statusIndexPk('active', payee.partnerId) });
    expect(restored.onboarding).toEqual(onboardingOf(await stripeSdk().accounts.retrieve(payee.accountId)));
    expect(restored.onboarding?.pastDue).toEqual([]);

    // And the same payment is now accepted, as a destination charge to that account.
    const paid = await api<{ paymentId: string; clientSecret: string }>('POST', '/payments/intents', {
      token: customer.idToken,
      body: intent,
    });
    expect(paid.status, paid.text).toBe(201);
    const paymentIntent = await stripeSdk().paymentIntents.retrieve(paymentIntentIdOf(paid.body.clientSecret));
    expect(paymentIntent.transfer_data?.destination).toBe(payee.accountId);
    expect(paymentIntent.amount).toBe(5_000);
    expect(await paymentRecord(paid.body.paymentId)).toMatchObject({ partnerId: payee.partnerId });
  });
});

describe('Express Dashboard', () => {
  it('refused with nothing written before an account, refused without a Stripe write after abandoning, a fresh login link once onboarded', async () => {
    const partner = await newPartnerUser('dashboard');

    const none = await markState();
    const noAccount = await api<ErrorBody>('POST', '/connect/dashboard-link', { token: partner.idToken });
    expect(noAccount.status).toBe(409);
    expect(noAccount.body.error.code).toBe('onboarding_incomplete');
    expect(await changesSince(none)).toEqual(NO_CHANGE);

    // Abandoned onboarding: the stored state is re-checked with Stripe (a read), no login link is attempted.
    await onboard(partner.idToken, 'abandon');
    const { stripeAccountId } = await profile(partner.partnerId);
    const accountId = stripeAccountId ?? '';
    const abandoned = await markState();
    const notYet = await api<ErrorBody>('POST', '/connect/dashboard-link', { token: partner.idToken });
    expect(notYet.status).toBe(409);
    expect(notYet.body.error.code).toBe('onboarding_incomplete');
    const change = await changesSince(abandoned);
    expect(change.stripeWrites).toEqual([]);
    expect(change.table.added).toEqual([]);
    expect(change.table.changed.filter((key) => key !== `PARTNER#${partner.partnerId}|PROFILE`)).toEqual([]);
    expect((await profile(partner.partnerId)).onboarding?.detailsSubmitted).toBe(false);

    // Onboarded: one login link per request, each a Stripe write; the stored partner is not touched.
    await onboard(partner.idToken, 'complete');
    const onboarded = await markState();
    const versionBefore = (await profile(partner.partnerId)).version;
    const first = await api<{ url: string }>('POST', '/connect/dashboard-link', { token: partner.idToken });
    const second = await api<{ url: string }>('POST', '/connect/dashboard-link', { token: partner.idToken });
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(first.body.url).not.toBe(second.body.url);
    for (const { body } of [first, second]) expect(body.url).toContain(`/hosted/express/${accountId}/`);
    expect(await changesSince(onboarded)).toEqual({
      table: NO_CHANGE.table,
      stripeWrites: [
        { method: 'POST', path: `/v1/accounts/${accountId}/login_links`, status: 200 },
        { method: 'POST', path: `/v1/accounts/${accountId}/login_links`, status: 200 },
      ],
    });
    expect((await profile(partner.partnerId)).version).toBe(versionBefore);
    const dashboard = await fetch(first.body.url);
    expect(dashboard.status).toBe(200);
    expect(await dashboard.text()).toContain(accountId);
  });

  it('opens the dashboard when the stored state lags Stripe (webhooks held): re-reads the account and stores it first', async () => {
    const partner = await newPartnerUser('dashboard-lag');
    const created = await api<AccountBody>('POST', '/connect/account', { token: partner.idToken, body: {} });
    expect(created.status).toBe(201);
    const accountId = created.body.accountId;

    await withDeliveryMode({ hold: true }, async () => {
      // The partner submitted their details at Stripe; the webhook saying so has not arrived.
      await emulator().setAccountState(accountId, 'pending_verification');
      const lagging = await profile(partner.partnerId);
      expect(lagging.onboarding?.detailsSubmitted).toBe(false);

      const mark = await stripeLogMark();
      const link = await api<{ url: string }>('POST', '/connect/dashboard-link', { token: partner.idToken });
      expect(link.status, link.text).toBe(200);
      expect((await stripeCallsSince(mark, false)).map((c) => [c.method, c.path, c.status])).toEqual([
        ['GET', `/v1/accounts/${accountId}`, 200],
        ['POST', `/v1/accounts/${accountId}/login_links`, 200],
      ]);
      const synced = await profile(partner.partnerId);
      expect(synced.onboarding).toEqual(onboardingOf(await stripeSdk().accounts.retrieve(accountId)));
      expect(synced).toMatchObject({ status: 'pending_verification', version: lagging.version + 1 });
      expect(Date.parse(synced.stateAsOf ?? '')).toBeGreaterThan(Date.parse(lagging.stateAsOf ?? ''));
      const held = (await emulator().webhookDeliveries()).filter(
        (d) => d.state === 'pending' && d.endpoint === 'connect',
      );
      expect(held.length).toBeGreaterThan(0);
    });
    // The held events arrive afterwards and change nothing that matters.
    const after = await profile(partner.partnerId);
    expect(after.status).toBe('pending_verification');
    expect(after.onboarding?.detailsSubmitted).toBe(true);
  });
});

describe('Connect webhooks during onboarding', () => {
  it('a held history delivered newest first, each twice, converges on Stripe’s current state; every event recorded once', async () => {
    const partner = await newPartnerUser('reorder-dup');
    const created = await api<AccountBody>('POST', '/connect/account', { token: partner.idToken, body: {} });
    const accountId = created.body.accountId;
    const before = await profile(partner.partnerId);
    const seen = await deliveryIds();

    await withDeliveryMode({ hold: true }, async () => {
      await emulator().setAccountState(accountId, 'pending_verification');
      await emulator().setAccountState(accountId, 'verified');
      await emulator().setAccountState(accountId, 'restricted', { requirements: ['individual.verification.document'] });
      // Nothing delivered yet: DynamoDB still has the account as created.
      expect((await profile(partner.partnerId)).onboarding?.detailsSubmitted).toBe(false);
      await emulator().setDeliveryMode({ hold: false, reorder: true, duplicate: true });
      await deliverWebhooks();
    });

    const events = (await eventsOf(accountId)).filter(
      (e) => e.type === 'account.updated' || e.type === 'capability.updated',
    );
    expect(events.length).toBeGreaterThanOrEqual(3);
    const deliveries = (await connectDeliveriesSince(seen)).filter((d) => events.some((e) => e.id === d.eventId));
    expect(deliveries.map((d) => d.eventId).sort()).toEqual(events.map((e) => e.id).sort());
    // Newest first: by emission order, each delivery was first attempted no earlier than the one emitted after it.
    const byEmission = [...deliveries].sort((a, b) => a.seq - b.seq);
    const firstAttempts = byEmission.map((d) => d.attempts[0]?.at ?? Number.NaN);
    for (let i = 1; i < firstAttempts.length; i += 1) {
      expect(firstAttempts[i - 1]).toBeGreaterThanOrEqual(firstAttempts[i] ?? Number.NaN);
    }
    expect(firstAttempts[0]).toBeGreaterThan(firstAttempts.at(-1) ?? Number.NaN);
    const outcomes: unknown[] = [];
    for (const delivery of deliveries) {
      expect(delivery.state).toBe('succeeded');
      expect(delivery.attempts.map((a) => a.status)).toEqual([200, 200]);
      const record = await tableItem(`EVENT#${delivery.eventId}`, 'EVENT');
      expect(record).toMatchObject({ endpoint: 'connect', type: delivery.eventType });
      outcomes.push(record?.outcome);
    }

    const account = await stripeSdk().accounts.retrieve(accountId);
    const stored = await profile(partner.partnerId);
    // Each event was processed once: one profile write per event that synced, none for the second copies.
    expect(outcomes.filter((o) => o === 'synced').length).toBeGreaterThanOrEqual(1);
    expect(stored.version - before.version).toBe(outcomes.filter((o) => o === 'synced').length);
    expect(stored.status).toBe('restricted');
    expect(stored.onboarding).toEqual(onboardingOf(account));
    expect(stored.onboarding?.pastDue).toEqual(['individual.verification.document']);
  });

  it('an older account.updated replayed after a newer one does not regress the partner; the same event id again changes nothing', async () => {
    const partner = await newPartnerUser('stale-replay');
    await onboard(partner.idToken, 'pending');
    const accountId = (await profile(partner.partnerId)).stripeAccountId ?? '';
    await emulator().setAccountState(accountId, 'verified');
    await deliverWebhooks();
    const active = await eventually(
      () => profile(partner.partnerId),
      (item) => item.status === 'active',
    );
    expect(active.status).toBe('active');

    // Stripe's own event of the pending state, delivered late under an id we have not seen.
    const older = (await eventsOf(accountId, 'account.updated')).find(
      (e) => (e.data.object as Stripe.Account).payouts_enabled === false,
    );
    if (!older) throw new Error('no account.updated of the pending state');
    const late = JSON.stringify({ ...older, id: `${older.id}_late_${Date.now()}` });
    const first = await postConnectWebhook(late);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ received: true });
    const afterLate = await profile(partner.partnerId);
    expect(afterLate.status).toBe('active');
    expect(afterLate.onboarding).toEqual(onboardingOf(await stripeSdk().accounts.retrieve(accountId)));
    expect(await tableItem(`EVENT#${JSON.parse(late).id}`, 'EVENT')).toMatchObject({ outcome: 'synced' });

    // The same delivery again: acknowledged as a duplicate, no read of Stripe, no write anywhere.
    const mark = await markState();
    const readsMark = await stripeLogMark();
    const again = await postConnectWebhook(late);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ received: true, duplicate: true });
    expect(await changesSince(mark)).toEqual(NO_CHANGE);
    expect(await stripeCallsSince(readsMark, false)).toEqual([]);
  });

  it('deauthorization disconnects the partner for good: Stripe refuses the account, and the old return and refresh URLs reach nothing', async () => {
    const partner = await newPartnerUser('deauth');
    const link = await api<LinkBody>('POST', '/connect/onboarding-link', { token: partner.idToken, body: {} });
    const page = await openHosted(link.body.url);
    const returnUrl = await pressHosted(link.body.url, page.session, 'complete');
    expect((await fetch(returnUrl, { redirect: 'manual' })).status).toBe(200);
    const refreshUrl = (await openHosted(link.body.url)).location;
    expect(isStateUrl(refreshUrl, 'refresh')).toBe(true);
    await deliverWebhooks();
    const active = await profile(partner.partnerId);
    expect(active.status).toBe('active');
    const accountId = active.stripeAccountId ?? '';

    const seen = await deliveryIds();
    await emulator().setAccountState(accountId, 'deauthorized');
    await deliverWebhooks();
    const disconnected = await eventually(
      () => profile(partner.partnerId),
      (item) => item.status === 'disconnected',
    );
    expect(disconnected).toMatchObject({
      status: 'disconnected',
      GSI2PK: statusIndexPk('disconnected', partner.partnerId),
    });
    expect(Date.parse(disconnected.disconnectedAt ?? '')).toBeGreaterThan(0);
    const [deauthDelivery, ...others] = (await connectDeliveriesSince(seen)).filter(
      (d) => d.eventType === 'account.application.deauthorized',
    );
    expect(others).toEqual([]);
    expect(deauthDelivery?.state).toBe('succeeded');
    expect(await tableItem(`EVENT#${deauthDelivery?.eventId}`, 'EVENT')).toMatchObject({ outcome: 'disconnected' });
    await expect(stripeSdk().accounts.retrieve(accountId)).rejects.toMatchObject({ statusCode: 403 });

    // Everything the partner (or an old browser tab) could still do reaches neither Stripe nor the table.
    const mark = await markState();
    const readsMark = await stripeLogMark();
    const back = await fetch(returnUrl, { redirect: 'manual' });
    expect(back.status).toBe(200);
    expect(await back.text()).toContain('disconnected');
    const refresh = await fetch(refreshUrl, { redirect: 'manual' });
    expect(refresh.status).toBe(409);
    expect(refresh.headers.get('content-type')).toMatch(/text\/html/);
    for (const path of ['/connect/account', '/connect/onboarding-link', '/connect/dashboard-link']) {
      const refused = await api<ErrorBody>('POST', path, { token: partner.idToken, body: {} });
      expect(refused.status, path).toBe(409);
      expect(refused.body.error.code, path).toBe('account_disconnected');
    }
    const status = await connectStatus(partner.idToken, undefined, true);
    expect(status.status).toBe(200);
    expect(status.body.status).toBe('disconnected');
    expect(await changesSince(mark)).toEqual(NO_CHANGE);
    expect(await stripeCallsSince(readsMark, false)).toEqual([]);
  });
});

describe('team partners', () => {
  it('a member can watch but not onboard (nothing written); an admin creates the account, the owner finishes it; personal partners untouched', async () => {
    const owner = await newPartnerUser('team-owner');
    const admin = await newPartnerUser('team-admin');
    const member = await newPartnerUser('team-member');
    const team = await api<PartnerBody>('POST', '/partners', { token: owner.idToken, body: { name: 'Night Market' } });
    expect(team.status).toBe(201);
    const teamId = team.body.id;
    for (const [person, role] of [
      [admin, 'admin'],
      [member, 'member'],
    ] as const) {
      await joinTeam(owner.idToken, teamId, person, role);
    }
    const asTeam = `?partnerId=${teamId}`;

    const mark = await markState();
    for (const [method, path] of [
      ['POST', `/connect/account${asTeam}`],
      ['POST', `/connect/onboarding-link${asTeam}`],
      ['POST', `/connect/dashboard-link${asTeam}`],
    ] as const) {
      const refused = await api<ErrorBody>(method, path, { token: member.idToken, body: {} });
      expect(refused.status, path).toBe(403);
      expect(refused.body.error.code).toBe('insufficient_role');
    }
    expect(await changesSince(mark)).toEqual(NO_CHANGE);

    // The admin creates the team's account: it is the team's, with the team's contact email (the owner's) — not the
    // address of the admin who clicked.
    const created = await api<AccountBody>('POST', `/connect/account${asTeam}`, { token: admin.idToken, body: {} });
    expect(created.status).toBe(201);
    const accountId = created.body.accountId;
    expect(await stripeSdk().accounts.retrieve(accountId)).toMatchObject({
      metadata: { partner_id: teamId },
      email: owner.email,
    });

    // The owner finishes onboarding on the hosted page; the member sees the result.
    const { page } = await onboard(owner.idToken, 'complete', teamId);
    expect(page).toContain(accountId);
    await deliverWebhooks();
    const stored = await profile(teamId);
    expect(stored).toMatchObject({ kind: 'team', status: 'active', stripeAccountId: accountId });
    expect(stored.onboarding).toEqual(onboardingOf(await stripeSdk().accounts.retrieve(accountId)));
    expect((await connectStatus(member.idToken, teamId)).body).toMatchObject({ status: 'active', partnerId: teamId });
    expect((await accountIndex(accountId)).map((item) => item.id)).toEqual([teamId]);

    for (const person of [owner, admin, member]) {
      const personal = await profile(person.partnerId);
      expect(personal).toMatchObject({ status: 'not_set_up', version: 1 });
      expect(personal.stripeAccountId).toBeUndefined();
      expect(await accountsOfPartner(person.partnerId)).toEqual([]);
    }
  });

  it('one person, a personal and a team partner: two Express accounts, and a restriction of one never touches the other', async () => {
    const person = await activePartner('two-hats');
    const team = await api<PartnerBody>('POST', '/partners', { token: person.idToken, body: { name: 'Side Gig' } });
    expect(team.status).toBe(201);
    await onboard(person.idToken, 'complete', team.body.id);
    await deliverWebhooks();
    const teamAccount = (await profile(team.body.id)).stripeAccountId ?? '';
    expect(teamAccount).toMatch(/^acct_/);
    expect(teamAccount).not.toBe(person.accountId);
    expect((await accountsOfPartner(team.body.id)).map((a) => a.id)).toEqual([teamAccount]);
    expect((await accountsOfPartner(person.partnerId)).map((a) => a.id)).toEqual([person.accountId]);

    const personalBefore = await profile(person.partnerId);
    await emulator().setAccountState(teamAccount, 'payouts_disabled');
    await deliverWebhooks();
    const teamAfter = await eventually(
      () => profile(team.body.id),
      (item) => item.status === 'restricted',
    );
    expect(teamAfter.onboarding).toEqual(onboardingOf(await stripeSdk().accounts.retrieve(teamAccount)));
    expect(teamAfter.onboarding).toMatchObject({ chargesEnabled: true, payoutsEnabled: false });
    expect(await profile(person.partnerId)).toEqual(personalBefore);
    expect((await stripeSdk().accounts.retrieve(person.accountId)).payouts_enabled).toBe(true);

    const statuses = await api<{ partners: PartnerBody[] }>('GET', '/partners', { token: person.idToken });
    expect(Object.fromEntries(statuses.body.partners.map((p) => [p.id, p.status]))).toEqual({
      [person.partnerId]: 'active',
      [team.body.id]: 'restricted',
    });
  });
});

describe('signed state of the refresh and return URLs', () => {
  it('a state re-pointed at another real partner, or signed with another key, is refused: nothing read, written or linked for the victim', async () => {
    const victim = await activePartner('state-victim');
    const attacker = await newPartnerUser('state-attacker');
    const link = await api<LinkBody>('POST', '/connect/onboarding-link', { token: attacker.idToken, body: {} });
    const page = await openHosted(link.body.url);
    const returnUrl = await pressHosted(link.body.url, page.session, 'abandon');
    const state = new URL(returnUrl).searchParams.get('state') ?? '';
    const [payload, mac] = state.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as { p: string; e: number };
    expect(claims.p).toBe(attacker.partnerId);

    const forged = [
      `${Buffer.from(JSON.stringify({ ...claims, p: victim.partnerId })).toString('base64url')}.${mac}`,
      signOnboardingState('0'.repeat(64), {
        partnerId: victim.partnerId,
        userSub: victim.sub,
        stateVersion: 0,
        expiresAt: claims.e,
      }),
    ];
    const mark = await markState();
    const readsMark = await stripeLogMark();
    for (const route of ['return', 'refresh'] as const) {
      for (const value of forged) {
        const response = await fetch(`${stackInfo().apiUrl}/connect/${route}?state=${encodeURIComponent(value)}`, {
          redirect: 'manual',
        });
        expect(response.status, route).toBe(400);
        expect(await response.text()).toContain('not valid');
      }
    }
    expect(await changesSince(mark)).toEqual(NO_CHANGE);
    expect(await stripeCallsSince(readsMark, false)).toEqual([]);

    // The genuine state still works — for the attacker's own partner only.
    const genuine = await fetch(returnUrl, { redirect: 'manual' });
    expect(genuine.status).toBe(200);
    const reads = (await stripeCallsSince(readsMark, false)).map((c) => c.path);
    const attackerAccount = (await profile(attacker.partnerId)).stripeAccountId ?? '';
    expect(reads).toEqual([`/v1/accounts/${attackerAccount}`]);
    expect(reads).not.toContain(`/v1/accounts/${victim.accountId}`);
    expect(await profile(victim.partnerId)).toMatchObject({ status: 'active', stripeAccountId: victim.accountId });
  });
});
