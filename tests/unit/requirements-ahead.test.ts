import { describe, expect, it } from 'vitest';
import { acceptInvitation, createInvitation } from '#core/invitations';
import { actionRequired, createAccountSession, createOnboardingLink, ensureAccount } from '#core/onboarding';
import { earliestDeadline } from '#core/partner';
import { personalPartner, resolvePartner } from '#core/partner-access';
import { listPartnersDueSoon } from '#core/partner-queries';
import { createTeam } from '#core/teams';
import { onboardingState, testWorld } from '#tests/partner-fakes';

const alice = { sub: 'sub-alice', email: 'alice@example.com' };
const bob = { sub: 'sub-bob', email: 'bob@example.com' };
const at = (iso: string) => Date.parse(iso) / 1000;

async function rejects(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return 'resolved';
}

const withAccount = (onboarding: ReturnType<typeof onboardingState>) => ({
  stripeAccountId: 'acct_1',
  disconnectedAt: null,
  onboarding,
});

describe('actionRequired', () => {
  it('is null without an account, once disconnected, and when Stripe asks nothing', () => {
    expect(actionRequired({ stripeAccountId: null, disconnectedAt: null, onboarding: null })).toBeNull();
    expect(
      actionRequired({ ...withAccount(onboardingState({ pastDue: ['x'] })), disconnectedAt: '2026-01-01T00:00:00Z' }),
    ).toBeNull();
    expect(actionRequired(withAccount(onboardingState({ detailsSubmitted: true })))).toBeNull();
  });

  it('names onboarding first, then overdue, then due by the deadline, then announced requirements', () => {
    expect(actionRequired(withAccount(onboardingState({ currentlyDue: ['external_account'] })))).toEqual({
      kind: 'onboarding',
      fields: ['external_account'],
      deadline: null,
    });
    const submitted = { detailsSubmitted: true };
    expect(
      actionRequired(
        withAccount(
          onboardingState({ ...submitted, pastDue: ['id'], currentlyDue: ['id', 'tax'], currentDeadline: 10 }),
        ),
      ),
    ).toEqual({ kind: 'overdue', fields: ['id'], deadline: '1970-01-01T00:00:10.000Z' });
    expect(
      actionRequired(
        withAccount(
          onboardingState({
            ...submitted,
            currentlyDue: ['tax'],
            currentDeadline: at('2026-04-01T00:00:00Z'),
            future: { currentlyDue: ['doc'], currentDeadline: at('2026-05-01T00:00:00Z'), disabledReason: null },
          }),
        ),
      ),
    ).toEqual({ kind: 'due', fields: ['tax'], deadline: '2026-04-01T00:00:00.000Z' });
    expect(
      actionRequired(
        withAccount(
          onboardingState({
            ...submitted,
            future: { currentlyDue: ['doc'], currentDeadline: at('2026-05-01T00:00:00Z'), disabledReason: null },
          }),
        ),
      ),
    ).toEqual({ kind: 'upcoming', fields: ['doc'], deadline: '2026-05-01T00:00:00.000Z' });
  });

  it('lists fields Stripe could not verify with the others', () => {
    const state = onboardingState({
      detailsSubmitted: true,
      errors: [{ requirement: 'individual.id_number', code: 'invalid_value_other', reason: 'Does not match' }],
    });
    expect(actionRequired(withAccount(state))).toEqual({
      kind: 'due',
      fields: ['individual.id_number'],
      deadline: null,
    });
  });
});

describe('earliestDeadline', () => {
  it('takes the earlier of today’s and the announced deadline, ignoring deadlines with nothing due', () => {
    const future = { currentlyDue: ['doc'], currentDeadline: 200, disabledReason: null };
    expect(earliestDeadline(onboardingState({ currentlyDue: ['a'], currentDeadline: 300, future }))).toBe(200);
    expect(earliestDeadline(onboardingState({ currentlyDue: [], currentDeadline: 100, future }))).toBe(200);
    expect(earliestDeadline(onboardingState({ future: { ...future, currentlyDue: [] } }))).toBeNull();
    expect(earliestDeadline(null)).toBeNull();
  });
});

describe('listPartnersDueSoon', () => {
  it('lists partners whose deadline falls within dueSoonDays of now, soonest first', async () => {
    const w = testWorld({ dueSoonDays: 14 });
    const now = w.deps.clock.now().getTime() / 1000;
    const ids: string[] = [];
    for (const [i, days] of [20, 3, 10].entries()) {
      const p = await personalPartner(w.deps, { sub: `sub-${i}`, email: null });
      const stored = w.partners.partners.get(p.id);
      if (!stored) throw new Error('no partner');
      stored.stripeAccountId = `acct_${i}`;
      stored.onboarding = onboardingState({
        detailsSubmitted: true,
        future: { currentlyDue: ['doc'], currentDeadline: now + days * 86_400, disabledReason: null },
      });
      ids.push(p.id);
    }
    const page = await listPartnersDueSoon(w.deps, { limit: 10 });
    expect(page.partners.map((p) => p.id)).toEqual([ids[1], ids[2]]);
  });
});

describe('onboarding links collect ahead, accounts by controller properties', () => {
  it('passes the configured collection options and controller to Stripe', async () => {
    const w = testWorld({
      onboardingCollection: { fields: 'currently_due', futureRequirements: 'omit' },
      accountController: { feesPayer: 'application', lossesPayments: 'stripe' },
    });
    const mine = await personalPartner(w.deps, alice);
    await createOnboardingLink(w.deps, await resolvePartner(w.deps, alice, mine.id, 'manage_onboarding'), alice, {});
    expect(w.stripe.links[0]?.collectionOptions).toEqual({ fields: 'currently_due', futureRequirements: 'omit' });
    const created = JSON.parse(w.stripe.byKey.get(`create-express-account:${mine.id}`)?.params ?? '{}');
    expect(created.controller).toEqual({ feesPayer: 'application', lossesPayments: 'stripe' });
  });
});

describe('createAccountSession', () => {
  it('creates the account if needed, then a fresh session per call, for owners and admins only', async () => {
    const w = testWorld();
    const { partner: team } = await createTeam(w.deps, alice, { name: 'Shop' });
    const { token } = await createInvitation(w.deps, alice, team.id, { email: bob.email, role: 'member' });
    await acceptInvitation(w.deps, { ...bob, emailVerified: true }, token);
    expect(await rejects(resolvePartner(w.deps, bob, team.id, 'manage_onboarding'))).toBe('insufficient_role');
    const owner = await resolvePartner(w.deps, alice, team.id, 'manage_onboarding');
    const first = await createAccountSession(w.deps, owner, alice, ['account_onboarding']);
    const again = await resolvePartner(w.deps, alice, team.id, 'manage_onboarding');
    const second = await createAccountSession(w.deps, again, alice, ['account_onboarding', 'account_onboarding']);
    expect(first).toEqual({
      clientSecret: 'accs_secret__1',
      expiresAt: new Date(1_700_001_800 * 1000).toISOString(),
      publishableKey: 'pk_test_unit',
      returnUrl: null,
    });
    expect(second.clientSecret).not.toBe(first.clientSecret);
    expect(w.stripe.calls.filter((c) => c === 'createExpressAccount')).toHaveLength(1);
    expect(w.stripe.sessions[1]?.components).toEqual(['account_onboarding']);
    // Never kept: nothing of the session reaches the stored partner.
    expect(JSON.stringify([...w.partners.partners.values()])).not.toContain('accs_secret');
  });

  it('refuses components the platform does not offer, and embedded components without a publishable key', async () => {
    const w = testWorld({ accountSessionComponents: ['account_onboarding'] });
    const mine = await personalPartner(w.deps, alice);
    const context = await resolvePartner(w.deps, alice, mine.id, 'manage_onboarding');
    expect(await rejects(createAccountSession(w.deps, context, alice, ['payouts']))).toBe('component_not_allowed');
    const off = testWorld({ publishableKey: '' });
    const theirs = await personalPartner(off.deps, alice);
    const offContext = await resolvePartner(off.deps, alice, theirs.id, 'manage_onboarding');
    expect(await rejects(createAccountSession(off.deps, offContext, alice, ['account_onboarding']))).toBe(
      'embedded_components_unavailable',
    );
    expect([...w.stripe.calls, ...off.stripe.calls]).toEqual([]);
    // Positive control: an offered component works.
    await ensureAccount(w.deps, context, alice, {});
    expect((await createAccountSession(w.deps, context, alice, ['account_onboarding'])).publishableKey).toBe(
      'pk_test_unit',
    );
  });
});
