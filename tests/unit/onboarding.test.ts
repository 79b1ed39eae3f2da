import { describe, expect, it } from 'vitest';
import { handleConnectEvent } from '#core/connect-events';
import { acceptInvitation, createInvitation, revokeInvitation } from '#core/invitations';
import {
  accountCapabilities,
  completeOnboardingReturn,
  createDashboardLink,
  createOnboardingLink,
  ensureAccount,
  getStatus,
  refreshOnboarding,
  returnTarget,
} from '#core/onboarding';
import { personalPartner, resolvePartner } from '#core/partner-access';
import { signOnboardingState } from '#core/signed-state';
import { createTeam, removeMember } from '#core/teams';
import { testWorld } from '#tests/partner-fakes';

const alice = { sub: 'sub-alice', email: 'alice@example.com' };
const bob = { sub: 'sub-bob', email: 'bob@example.com' };

async function rejects(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return 'resolved';
}

describe('accountCapabilities', () => {
  it('requests card_payments + transfers in the platform country', () => {
    expect(accountCapabilities('US', 'US')).toEqual({
      capabilities: ['card_payments', 'transfers'],
      serviceAgreement: 'full',
    });
  });
  it('requests transfers under the recipient agreement cross-border', () => {
    expect(accountCapabilities('GB', 'US')).toEqual({ capabilities: ['transfers'], serviceAgreement: 'recipient' });
  });
});

describe('personal partner', () => {
  it('is created once on first use, with the caller as owner', async () => {
    const w = testWorld();
    const [a, b] = await Promise.all([personalPartner(w.deps, alice), personalPartner(w.deps, alice)]);
    expect(a.id).toBe(b.id);
    expect(w.partners.partners.size).toBe(1);
    expect((await w.partners.membership(a.id, alice.sub))?.role).toBe('owner');
    expect(a).toMatchObject({ kind: 'personal', name: alice.email, status: 'not_set_up', payoutPreference: 'stripe' });
  });
});

describe('ensureAccount', () => {
  it('creates one Express account with our metadata, then returns it again', async () => {
    const w = testWorld();
    const ctx = await resolvePartner(w.deps, alice, undefined, 'manage_onboarding');
    const first = await ensureAccount(w.deps, ctx, alice, {});
    expect(first.created).toBe(true);
    expect(first.partner.stripeAccountId).toMatch(/^acct_/);
    expect(first.partner.status).toBe('pending_verification');
    const again = await ensureAccount(w.deps, { ...ctx, partner: first.partner }, alice, {});
    expect(again).toMatchObject({ created: false, partner: { stripeAccountId: first.partner.stripeAccountId } });
    expect(w.stripe.calls.filter((c) => c === 'createExpressAccount')).toHaveLength(1);
  });

  it('ends two concurrent calls with one stored account; the loser returns the winner', async () => {
    const w = testWorld();
    const ctx = await resolvePartner(w.deps, alice, undefined, 'manage_onboarding');
    const results = await Promise.all([ensureAccount(w.deps, ctx, alice, {}), ensureAccount(w.deps, ctx, alice, {})]);
    expect(new Set(results.map((r) => r.partner.stripeAccountId)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(w.stripe.accounts.size).toBe(1);
  });

  it('returns the winner when a concurrent request with other parameters created the account', async () => {
    const w = testWorld();
    const ctx = await resolvePartner(w.deps, alice, undefined, 'manage_onboarding');
    await ensureAccount(w.deps, ctx, alice, { businessType: 'individual' });
    // Same partner, stale context (no account id seen yet), different parameters: Stripe says idempotency_error.
    const late = await ensureAccount(w.deps, ctx, alice, { businessType: 'company' });
    expect(late.created).toBe(false);
    expect(late.partner.stripeAccountId).toBe([...w.stripe.accounts.keys()][0]);
  });

  it('refuses a country outside the allow-list before calling Stripe', async () => {
    const w = testWorld();
    const ctx = await resolvePartner(w.deps, alice, undefined, 'manage_onboarding');
    expect(await rejects(ensureAccount(w.deps, ctx, alice, { country: 'FR' }))).toBe('unsupported_country');
    expect(w.stripe.calls).toEqual([]);
  });

  it('asks for the recipient agreement cross-border', async () => {
    const w = testWorld();
    const ctx = await resolvePartner(w.deps, alice, undefined, 'manage_onboarding');
    const { partner } = await ensureAccount(w.deps, ctx, alice, { country: 'gb' });
    expect(partner.country).toBe('GB');
    const [params] = [...w.stripe.byKey.values()].map((v) => JSON.parse(v.params));
    expect(params).toMatchObject({ country: 'GB', capabilities: ['transfers'], serviceAgreement: 'recipient' });
  });
});

describe('onboarding links and redirects', () => {
  it('signs the refresh/return URLs under the API base URL', async () => {
    const w = testWorld();
    const ctx = await resolvePartner(w.deps, alice, undefined, 'manage_onboarding');
    const link = await createOnboardingLink(w.deps, ctx, alice, {});
    expect(link.url).toMatch(/^https:\/\/connect\.stripe\.test\//);
    const [sent] = w.stripe.links;
    expect(sent?.type).toBe('account_onboarding');
    expect(sent?.refreshUrl).toMatch(/^https:\/\/api\.example\.test\/prod\/connect\/refresh\?state=[\w.-]+$/);
    expect(sent?.returnUrl).toMatch(/^https:\/\/api\.example\.test\/prod\/connect\/return\?state=[\w.-]+$/);
  });

  it('refresh makes a new link; a tampered or expired state makes no Stripe call', async () => {
    const w = testWorld();
    const ctx = await resolvePartner(w.deps, alice, undefined, 'manage_onboarding');
    await createOnboardingLink(w.deps, ctx, alice, {});
    const state = new URL(w.stripe.links[0]?.refreshUrl ?? '').searchParams.get('state') ?? '';
    const { url } = await refreshOnboarding(w.deps, state);
    expect(url).toContain('/setup/2');

    const calls = w.stripe.calls.length;
    expect(await rejects(refreshOnboarding(w.deps, `${state}x`))).toBe('invalid_state');
    const expired = signOnboardingState('unit-test-signing-key', {
      partnerId: ctx.partner.id,
      userSub: alice.sub,
      stateVersion: 0,
      expiresAt: 1,
    });
    expect(await rejects(refreshOnboarding(w.deps, expired))).toBe('expired_state');
    expect(await rejects(completeOnboardingReturn(w.deps, expired))).toBe('expired_state');
    expect(w.stripe.calls.length).toBe(calls);
  });

  it('return re-reads the account from Stripe', async () => {
    const w = testWorld();
    const ctx = await resolvePartner(w.deps, alice, undefined, 'manage_onboarding');
    await createOnboardingLink(w.deps, ctx, alice, {});
    const accountId = [...w.stripe.accounts.keys()][0] ?? '';
    w.stripe.setState(accountId, {
      detailsSubmitted: true,
      payoutsEnabled: true,
      transfersCapability: 'active',
      pastDue: [],
      currentlyDue: [],
      disabledReason: null,
    });
    const state = new URL(w.stripe.links[0]?.returnUrl ?? '').searchParams.get('state') ?? '';
    const partner = await completeOnboardingReturn(w.deps, state);
    expect(partner.status).toBe('active');
  });
});

describe('returnTarget', () => {
  it('sends the browser to the app with the status, keeping the app URL’s own path and query', () => {
    expect(returnTarget('https://app.example.com/settings?tab=payouts', { id: 'ptn_1', status: 'active' })).toBe(
      'https://app.example.com/settings?tab=payouts&stripe=return&status=active&partnerId=ptn_1',
    );
  });
  it('renders a page instead when no app URL is configured', () => {
    expect(returnTarget('', { id: 'ptn_1', status: 'active' })).toBeNull();
  });
});

describe('status and dashboard', () => {
  it('rate-limits refreshes per partner', async () => {
    const w = testWorld();
    const ctx = await resolvePartner(w.deps, alice, undefined, 'manage_onboarding');
    const { partner } = await ensureAccount(w.deps, ctx, alice, {});
    await getStatus(w.deps, { partner, role: 'owner' }, true);
    expect(await rejects(getStatus(w.deps, { partner, role: 'owner' }, true))).toBe('refresh_rate_limited');
    expect((await getStatus(w.deps, { partner, role: 'owner' }, false)).status).toBe('pending_verification');
    w.clock.advance(10_000);
    expect((await getStatus(w.deps, { partner, role: 'owner' }, true)).status).toBe('pending_verification');
  });

  it('refuses the dashboard before details are submitted, after asking Stripe', async () => {
    const w = testWorld();
    const ctx = await resolvePartner(w.deps, alice, undefined, 'manage_onboarding');
    const { partner } = await ensureAccount(w.deps, ctx, alice, {});
    expect(await rejects(createDashboardLink(w.deps, { partner, role: 'owner' }))).toBe('onboarding_incomplete');
    w.stripe.setState(partner.stripeAccountId ?? '', { detailsSubmitted: true });
    // The stored state still says "not submitted": the use case re-reads before refusing.
    expect((await createDashboardLink(w.deps, { partner, role: 'owner' })).url).toContain('/express/');
  });
});

describe('teams', () => {
  const verifiedBob = { ...bob, emailVerified: true };

  it('members join by invitation; members cannot manage; removed members lose access', async () => {
    const w = testWorld();
    const { partner: team } = await createTeam(w.deps, alice, { name: 'Store' });
    const { token } = await createInvitation(w.deps, alice, team.id, { email: 'Bob@Example.com', role: 'member' });
    await acceptInvitation(w.deps, verifiedBob, token);
    expect(await rejects(acceptInvitation(w.deps, verifiedBob, token))).toBe('invitation_not_pending');
    expect(await rejects(resolvePartner(w.deps, bob, team.id, 'manage_onboarding'))).toBe('insufficient_role');
    expect((await resolvePartner(w.deps, bob, team.id, 'view_earnings')).role).toBe('member');
    expect(await rejects(createInvitation(w.deps, bob, team.id, { email: 'x@example.com', role: 'member' }))).toBe(
      'insufficient_role',
    );
    expect(await rejects(removeMember(w.deps, bob, team.id, alice.sub))).toBe('insufficient_role');
    expect(await rejects(removeMember(w.deps, alice, team.id, alice.sub))).toBe('cannot_remove_owner');
    const before = (await w.partners.get(team.id))?.stateVersion ?? -1;
    await removeMember(w.deps, alice, team.id, bob.sub);
    expect((await w.partners.get(team.id))?.stateVersion).toBe(before + 1);
    expect(await rejects(resolvePartner(w.deps, bob, team.id, 'view'))).toBe('partner_not_found');
  });

  it('only the verified invited address accepts; expired and revoked invitations are refused', async () => {
    const w = testWorld();
    const { partner: team } = await createTeam(w.deps, alice, { name: 'Store' });
    const invite = () => createInvitation(w.deps, alice, team.id, { email: bob.email, role: 'admin' });
    const { token } = await invite();
    expect(await rejects(acceptInvitation(w.deps, bob, token))).toBe('email_not_verified');
    expect(await rejects(acceptInvitation(w.deps, { ...bob, emailVerified: false }, token))).toBe('email_not_verified');
    const carol = { sub: 'sub-carol', email: 'carol@example.com', emailVerified: true };
    expect(await rejects(acceptInvitation(w.deps, carol, token))).toBe('invitation_email_mismatch');
    expect(await rejects(acceptInvitation(w.deps, verifiedBob, 'x'.repeat(43)))).toBe('invitation_not_found');

    const revoked = await invite();
    await revokeInvitation(w.deps, alice, team.id, revoked.invitation.id);
    expect(await rejects(acceptInvitation(w.deps, verifiedBob, revoked.token))).toBe('invitation_not_pending');

    w.clock.advance(7 * 24 * 3_600_000 + 1);
    expect(await rejects(acceptInvitation(w.deps, verifiedBob, token))).toBe('invitation_expired');
    expect(await rejects(resolvePartner(w.deps, bob, team.id, 'view'))).toBe('partner_not_found');
  });

  it('refuses invitations to a personal partner', async () => {
    const w = testWorld();
    const mine = await personalPartner(w.deps, alice);
    expect(await rejects(createInvitation(w.deps, alice, mine.id, { email: bob.email, role: 'member' }))).toBe(
      'not_a_team',
    );
  });
});

describe('Connect events', () => {
  async function onboarded() {
    const w = testWorld();
    const ctx = await resolvePartner(w.deps, alice, undefined, 'manage_onboarding');
    const { partner } = await ensureAccount(w.deps, ctx, alice, {});
    return { w, partner, accountId: partner.stripeAccountId ?? '' };
  }

  it('re-reads the account, so a late or reordered event cannot roll the state back', async () => {
    const { w, partner, accountId } = await onboarded();
    w.stripe.setState(accountId, {
      detailsSubmitted: true,
      payoutsEnabled: true,
      transfersCapability: 'active',
      pastDue: [],
      disabledReason: null,
    });
    const newer = { kind: 'account_changed' as const, id: 'evt_2', type: 'account.updated', created: 200, accountId };
    const older = { ...newer, id: 'evt_1', created: 100 };
    expect(await handleConnectEvent(w.deps, newer)).toBe('synced');
    expect(await handleConnectEvent(w.deps, older)).toBe('synced');
    expect((await w.partners.get(partner.id))?.status).toBe('active');
  });

  it('the fake drops a read that began before a stored one, like the DynamoDB condition (integration/onboarding races it)', async () => {
    const { w, partner } = await onboarded();
    const stored = await w.partners.get(partner.id);
    const result = await w.partners.saveOnboardingState(partner.id, {
      accountId: partner.stripeAccountId ?? '',
      country: 'US',
      state: stored?.onboarding ?? (null as never),
      status: 'active',
      stateAsOf: '2000-01-01T00:00:00.000Z',
      at: new Date().toISOString(),
      expectedVersion: stored?.version ?? 0,
    });
    expect(result.written).toBe(false);
  });

  it('deauthorization disconnects for good; later account events are ignored', async () => {
    const { w, partner, accountId } = await onboarded();
    expect(
      await handleConnectEvent(w.deps, {
        kind: 'deauthorized',
        id: 'evt_d',
        type: 'account.application.deauthorized',
        created: 300,
        accountId,
      }),
    ).toBe('disconnected');
    expect(
      await handleConnectEvent(w.deps, {
        kind: 'account_changed',
        id: 'evt_u',
        type: 'account.updated',
        created: 400,
        accountId,
      }),
    ).toBe('ignored_disconnected');
    expect((await w.partners.get(partner.id))?.status).toBe('disconnected');
  });

  it('never attaches an account through its metadata: an event for an account no partner stores is ignored', async () => {
    const w = testWorld();
    const mine = await personalPartner(w.deps, alice);
    const snapshot = await w.stripe.createExpressAccount({
      partnerId: mine.id,
      country: 'US',
      email: null,
      businessType: null,
      controller: { feesPayer: 'application', lossesPayments: 'application' },
      capabilities: ['transfers'],
      serviceAgreement: 'full',
    });
    expect(
      await handleConnectEvent(w.deps, {
        kind: 'account_changed',
        id: 'evt_a',
        type: 'account.updated',
        created: 1,
        accountId: snapshot.accountId,
      }),
    ).toBe('unknown_account');
    expect((await w.partners.get(mine.id))?.stripeAccountId).toBeNull();
  });

  it('records connected payouts; a failure beats a paid event of the same second, an older event never wins', async () => {
    const { w, partner, accountId } = await onboarded();
    const payout = {
      id: 'po_1',
      amount: 1000,
      currency: 'usd',
      status: 'paid' as const,
      arrivalDate: 500,
      failureCode: null,
      failureMessage: null,
    };
    const paid = { kind: 'payout' as const, id: 'evt_p', type: 'payout.paid', created: 500, accountId, payout };
    const failed = {
      ...paid,
      id: 'evt_f',
      type: 'payout.failed',
      payout: { ...payout, status: 'failed' as const, failureCode: 'account_closed' },
    };
    expect(await handleConnectEvent(w.deps, failed)).toBe('recorded');
    expect(await handleConnectEvent(w.deps, paid)).toBe('stale');
    expect(await handleConnectEvent(w.deps, { ...paid, id: 'evt_old', created: 400 })).toBe('stale');
    expect((await w.payouts.get(partner.id, 'po_1'))?.status).toBe('failed');
  });

  it('acknowledges events for accounts no partner holds', async () => {
    const w = testWorld();
    expect(
      await handleConnectEvent(w.deps, {
        kind: 'deauthorized',
        id: 'e',
        type: 'account.application.deauthorized',
        created: 1,
        accountId: 'acct_unknown',
      }),
    ).toBe('unknown_account');
  });
});

describe('the in-memory repository keeps the adapter’s conditions', () => {
  it('adds a member only to a partner that is a team when written (a stale context naming a personal partner fails)', async () => {
    const w = testWorld();
    const personal = await personalPartner(w.deps, alice);
    const code = await rejects(
      w.partners.addMember({ ...personal, kind: 'team' }, { sub: bob.sub, email: bob.email, role: 'member' }, 'now'),
    );
    expect(code).toBe('partner_not_found');
    expect(await w.partners.membership(personal.id, bob.sub)).toBeUndefined();
  });
});
