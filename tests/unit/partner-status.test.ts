import { describe, expect, it } from 'vitest';
import { chooseLinkType, deriveStatus, type OnboardingState, roleAllows } from '#core/partner';
import { onboardingState } from '#tests/partner-fakes';

const status = (
  state: Partial<OnboardingState> | null,
  extra: { account?: string | null; disconnected?: boolean } = {},
) =>
  deriveStatus({
    stripeAccountId: extra.account === undefined ? 'acct_1' : extra.account,
    onboarding: state === null ? null : onboardingState(state),
    disconnected: extra.disconnected ?? false,
  });

describe('deriveStatus', () => {
  it('is not_set_up without an account', () => {
    expect(status(null, { account: null })).toBe('not_set_up');
  });

  it('is disconnected once deauthorized, whatever Stripe last said', () => {
    expect(
      status({ detailsSubmitted: true, payoutsEnabled: true, transfersCapability: 'active' }, { disconnected: true }),
    ).toBe('disconnected');
  });

  it("treats a fresh account's onboarding requirements (Stripe marks them past due) as pending, not restricted", () => {
    expect(
      status({
        currentlyDue: ['external_account'],
        pastDue: ['external_account'],
        disabledReason: 'requirements.past_due',
      }),
    ).toBe('pending_verification');
  });

  it('is pending_verification while Stripe verifies submitted details', () => {
    expect(
      status({
        detailsSubmitted: true,
        transfersCapability: 'pending',
        disabledReason: 'requirements.pending_verification',
      }),
    ).toBe('pending_verification');
  });

  it('is restricted with past_due items after submission', () => {
    expect(
      status({
        detailsSubmitted: true,
        pastDue: ['individual.verification.document'],
        disabledReason: 'requirements.past_due',
      }),
    ).toBe('restricted');
  });

  it('is restricted with a disabled_reason other than verification, even before submission', () => {
    expect(status({ detailsSubmitted: true, disabledReason: 'rejected.fraud' })).toBe('restricted');
    expect(status({ detailsSubmitted: false, disabledReason: 'platform_paused' })).toBe('restricted');
  });

  it('is active only with the transfers capability active and payouts enabled', () => {
    expect(status({ detailsSubmitted: true, transfersCapability: 'active', payoutsEnabled: true })).toBe('active');
    expect(status({ detailsSubmitted: true, transfersCapability: 'active', payoutsEnabled: false })).toBe(
      'pending_verification',
    );
    expect(status({ detailsSubmitted: true, transfersCapability: 'pending', payoutsEnabled: true })).toBe(
      'pending_verification',
    );
  });

  it('stays active with requirements currently due before their deadline (not yet past due)', () => {
    expect(
      status({
        detailsSubmitted: true,
        transfersCapability: 'active',
        payoutsEnabled: true,
        currentlyDue: ['individual.verification.document'],
        currentDeadline: 1_900_000_000,
      }),
    ).toBe('active');
  });
});

describe('chooseLinkType', () => {
  it('onboards until details are submitted', () => {
    expect(chooseLinkType(null)).toBe('account_onboarding');
    expect(chooseLinkType(onboardingState({ currentlyDue: ['x'] }))).toBe('account_onboarding');
  });

  it('uses account_update for submitted accounts with requirements due when the platform collects requirements', () => {
    const due = onboardingState({ detailsSubmitted: true, pastDue: ['x'], requirementCollection: 'application' });
    expect(chooseLinkType(due)).toBe('account_update');
  });

  it('uses account_onboarding for Express accounts (Stripe refuses account_update for Stripe-hosted dashboards)', () => {
    const due = onboardingState({ detailsSubmitted: true, pastDue: ['x'], requirementCollection: 'stripe' });
    expect(chooseLinkType(due)).toBe('account_onboarding');
  });

  it('uses account_onboarding when nothing is due', () => {
    expect(chooseLinkType(onboardingState({ detailsSubmitted: true, requirementCollection: 'application' }))).toBe(
      'account_onboarding',
    );
  });
});

describe('roles', () => {
  it('lets owners and admins manage onboarding and preferences, members only see earnings', () => {
    expect(roleAllows('owner', 'manage_members')).toBe(true);
    expect(roleAllows('admin', 'manage_members')).toBe(false);
    expect(roleAllows('admin', 'manage_onboarding')).toBe(true);
    expect(roleAllows('admin', 'manage_preferences')).toBe(true);
    expect(roleAllows('member', 'manage_onboarding')).toBe(false);
    expect(roleAllows('member', 'manage_preferences')).toBe(false);
    expect(roleAllows('member', 'view_earnings')).toBe(true);
    expect(roleAllows('member', 'view_members')).toBe(false);
  });
});
