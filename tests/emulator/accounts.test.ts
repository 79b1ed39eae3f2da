import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expressAccount, type Harness, startHarness, stripeError } from './harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());
beforeEach(() => h.control.reset());

const RETURN = 'https://platform.example/connect/return';
const REFRESH = 'https://platform.example/connect/refresh';

async function onboardingLink(accountId: string): Promise<Stripe.AccountLink> {
  return h.stripe.accountLinks.create({
    account: accountId,
    type: 'account_onboarding',
    refresh_url: REFRESH,
    return_url: RETURN,
  });
}

/** Opens the hosted onboarding page and presses one of its buttons, as a partner's browser would. */
async function pressOnboardingButton(url: string, action: 'complete' | 'pending' | 'abandon'): Promise<string | null> {
  const page = await fetch(url, { redirect: 'manual' });
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(html).toContain(`data-action="${action}"`);
  const session = /name="session" value="([^"]+)"/.exec(html)?.[1] ?? '';
  const res = await fetch(url, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ session, action }) });
  expect(res.status).toBe(303);
  return res.headers.get('location');
}

describe('accounts', () => {
  it('creates an Express account with inactive capabilities and past-due onboarding requirements', async () => {
    const account = await h.stripe.accounts.create({
      type: 'express',
      country: 'GB',
      email: 'jo@example.com',
      business_type: 'individual',
      capabilities: { transfers: { requested: true }, card_payments: { requested: true } },
      metadata: { partner_id: 'p_42' },
      tos_acceptance: { service_agreement: 'full' },
    });
    expect(account.id).toMatch(/^acct_/);
    expect(account.object).toBe('account');
    expect(account.type).toBe('express');
    expect(account.country).toBe('GB');
    expect(account.default_currency).toBe('gbp');
    expect(account.created).toBeGreaterThan(1_600_000_000);
    expect(account.capabilities).toEqual({ transfers: 'inactive', card_payments: 'inactive' });
    expect([account.charges_enabled, account.payouts_enabled, account.details_submitted]).toEqual([
      false,
      false,
      false,
    ]);
    expect(account.requirements?.disabled_reason).toBe('requirements.past_due');
    expect(account.requirements?.currently_due).toContain('external_account');
    expect(account.requirements?.past_due).toEqual(account.requirements?.currently_due);
    expect(account.metadata).toEqual({ partner_id: 'p_42' });
    expect(account.controller?.stripe_dashboard?.type).toBe('express');
    expect(account.tos_acceptance?.service_agreement).toBe('full');
  });

  it('accepts controller properties in place of type', async () => {
    const account = await h.stripe.accounts.create({
      controller: {
        fees: { payer: 'application' },
        losses: { payments: 'application' },
        stripe_dashboard: { type: 'express' },
      },
      capabilities: { transfers: { requested: true } },
    });
    expect(account.type).toBe('express');
    expect(account.controller?.fees?.payer).toBe('application');
  });

  it('updates metadata (an empty value unsets a key), retrieves, lists and deletes', async () => {
    const account = await expressAccount(h);
    const updated = await h.stripe.accounts.update(account.id, { metadata: { tier: 'gold', partner_id: '' } });
    expect(updated.metadata).toEqual({ tier: 'gold' });
    expect((await h.stripe.accounts.retrieve(account.id)).metadata).toEqual({ tier: 'gold' });
    const other = await expressAccount(h);
    const list = await h.stripe.accounts.list({ limit: 1 });
    expect(list.data.map((a) => a.id)).toEqual([other.id]);
    expect(list.has_more).toBe(true);
    const deleted = await h.stripe.accounts.del(other.id);
    expect(deleted).toMatchObject({ id: other.id, deleted: true });
    const gone = await stripeError(h.stripe.accounts.retrieve(other.id));
    expect(gone).toBeInstanceOf(Stripe.errors.StripePermissionError);
    expect(gone.statusCode).toBe(403);
    expect(gone.message).toContain(`does not have access to account '${other.id}'`);
  });

  it('creates login links only once details are submitted', async () => {
    const account = await expressAccount(h);
    const err = await stripeError(h.stripe.accounts.createLoginLink(account.id));
    expect(err.statusCode).toBe(400);
    expect(err.message).toContain('has not completed onboarding');
    await h.control.setAccountState(account.id, 'pending_verification');
    const link = await h.stripe.accounts.createLoginLink(account.id);
    expect(link.object).toBe('login_link');
    expect((await fetch(link.url)).status).toBe(200);
  });
});

describe('account links and hosted onboarding', () => {
  it('validates its parameters', async () => {
    const account = await expressAccount(h);
    const missing = await stripeError(
      h.stripe.accountLinks.create({
        account: account.id,
        type: 'account_onboarding',
        refresh_url: REFRESH,
      } as Stripe.AccountLinkCreateParams),
    );
    expect([missing.code, missing.param]).toEqual(['parameter_missing', 'return_url']);
    const badType = await stripeError(
      h.stripe.accountLinks.create({
        account: account.id,
        type: 'bogus' as 'account_onboarding',
        refresh_url: REFRESH,
        return_url: RETURN,
      }),
    );
    expect(badType.param).toBe('type');
    const unknownAccount = await stripeError(onboardingLink('acct_nope'));
    expect([unknownAccount.code, unknownAccount.param]).toEqual(['resource_missing', 'account']);
  });

  it('completes onboarding: the account becomes active, events fire, and the browser goes to return_url', async () => {
    const account = await expressAccount(h);
    const link = await onboardingLink(account.id);
    expect(link.object).toBe('account_link');
    expect(link.expires_at - link.created).toBe(300);
    expect(await pressOnboardingButton(link.url, 'complete')).toBe(RETURN);
    const after = await h.stripe.accounts.retrieve(account.id);
    expect([after.details_submitted, after.charges_enabled, after.payouts_enabled]).toEqual([true, true, true]);
    expect(after.capabilities).toEqual({ transfers: 'active', card_payments: 'active' });
    expect(after.requirements?.currently_due).toEqual([]);
    expect(after.requirements?.disabled_reason).toBeNull();
    expect(after.external_accounts?.data[0]?.object).toBe('bank_account');
    const events = await h.stripe.events.list({}, { stripeAccount: account.id });
    expect(events.data.map((e) => e.type).sort()).toEqual([
      'account.updated',
      'capability.updated',
      'capability.updated',
    ]);
    const updated = events.data.find((e) => e.type === 'account.updated');
    expect(updated?.account).toBe(account.id);
    expect(updated?.data.previous_attributes).toMatchObject({ charges_enabled: false, details_submitted: false });
  });

  it('submit-but-pending leaves verification pending; abandon changes nothing; both go to return_url', async () => {
    const a = await expressAccount(h);
    expect(await pressOnboardingButton((await onboardingLink(a.id)).url, 'pending')).toBe(RETURN);
    const pending = await h.stripe.accounts.retrieve(a.id);
    expect(pending.details_submitted).toBe(true);
    expect(pending.charges_enabled).toBe(false);
    expect(pending.capabilities?.transfers).toBe('pending');
    expect(pending.requirements?.disabled_reason).toBe('requirements.pending_verification');
    expect(pending.requirements?.pending_verification?.length).toBeGreaterThan(0);

    const b = await expressAccount(h);
    expect(await pressOnboardingButton((await onboardingLink(b.id)).url, 'abandon')).toBe(RETURN);
    const abandoned = await h.stripe.accounts.retrieve(b.id);
    expect(abandoned.details_submitted).toBe(false);
    expect(abandoned.capabilities?.transfers).toBe('inactive');
  });

  it('is single use and expires after about 300 seconds: both redirect to refresh_url', async () => {
    const account = await expressAccount(h);
    const used = await onboardingLink(account.id);
    await pressOnboardingButton(used.url, 'abandon');
    const again = await fetch(used.url, { redirect: 'manual' });
    expect(again.status).toBe(302);
    expect(again.headers.get('location')).toBe(REFRESH);

    const stale = await onboardingLink(account.id);
    await h.control.advanceClock(301);
    const late = await fetch(stale.url, { redirect: 'manual' });
    expect(late.headers.get('location')).toBe(REFRESH);
  });

  it('refuses account_update links before onboarding', async () => {
    const account = await expressAccount(h);
    const err = await stripeError(
      h.stripe.accountLinks.create({
        account: account.id,
        type: 'account_update',
        refresh_url: REFRESH,
        return_url: RETURN,
      }),
    );
    expect(err.param).toBe('type');
    await h.control.setAccountState(account.id, 'verified');
    const link = await h.stripe.accountLinks.create({
      account: account.id,
      type: 'account_update',
      refresh_url: REFRESH,
      return_url: RETURN,
    });
    expect(link.url).toContain('/hosted/onboarding/');
  });
});

describe('account states (control API)', () => {
  it('restricted with past_due disables charges and payouts and says why', async () => {
    const account = await expressAccount(h, { verified: true });
    await h.control.setAccountState(account.id, 'restricted', { requirements: ['individual.verification.document'] });
    const after = await h.stripe.accounts.retrieve(account.id);
    expect([after.charges_enabled, after.payouts_enabled]).toEqual([false, false]);
    expect(after.requirements?.past_due).toEqual(['individual.verification.document']);
    expect(after.requirements?.disabled_reason).toBe('requirements.past_due');
    expect(after.capabilities?.transfers).toBe('inactive');
    const capability = await h.stripe.accounts.retrieveCapability(account.id, 'transfers');
    expect(capability.status).toBe('inactive');
    expect(capability.requirements?.past_due).toEqual(['individual.verification.document']);
  });

  it('payouts disabled keeps charges and transfers but not payouts', async () => {
    const account = await expressAccount(h, { verified: true });
    await h.control.setAccountState(account.id, 'payouts_disabled');
    const after = await h.stripe.accounts.retrieve(account.id);
    expect([after.charges_enabled, after.payouts_enabled, after.capabilities?.transfers]).toEqual([
      true,
      false,
      'active',
    ]);
    expect(after.requirements?.past_due).toEqual(['external_account']);
  });

  it('deauthorization emits account.application.deauthorized and cuts access', async () => {
    const account = await expressAccount(h, { verified: true });
    await h.control.setAccountState(account.id, 'deauthorized');
    const err = await stripeError(h.stripe.balance.retrieve({}, { stripeAccount: account.id }));
    expect(err).toBeInstanceOf(Stripe.errors.StripePermissionError);
    const events = await h.stripe.events
      .list({ type: 'account.application.*' }, { stripeAccount: account.id })
      .catch(() => null);
    expect(events).toBeNull(); // the platform can no longer read the account's events…
    const log = await h.control.requestLog({ path: '/v1/events' });
    expect(log.at(-1)?.status).toBe(403);
    const transfer = await stripeError(
      h.stripe.transfers.create({ amount: 100, currency: 'usd', destination: account.id }),
    );
    expect(transfer.param).toBe('destination');
  });
});
