import type { ConnectedPayout } from './connected-payout.ts';
import { actionRequired } from './onboarding.ts';
import type { Membership, Partner, Role } from './partner.ts';

/** The JSON shapes partners and operators see. Internal fields (version aside) stay in the table. */
export function partnerView(partner: Partner, role: Role) {
  return {
    id: partner.id,
    kind: partner.kind,
    name: partner.name,
    role,
    status: partner.status,
    stripeAccountId: partner.stripeAccountId,
    payoutPreference: partner.payoutPreference,
    country: partner.country,
    defaultCurrency: partner.defaultCurrency,
    detailsSubmitted: partner.onboarding?.detailsSubmitted ?? false,
    chargesEnabled: partner.onboarding?.chargesEnabled ?? false,
    payoutsEnabled: partner.onboarding?.payoutsEnabled ?? false,
    disconnectedAt: partner.disconnectedAt,
    createdAt: partner.createdAt,
    updatedAt: partner.updatedAt,
    version: partner.version,
  };
}

export function adminPartnerView(partner: Partner) {
  return {
    id: partner.id,
    kind: partner.kind,
    name: partner.name,
    status: partner.status,
    stripeAccountId: partner.stripeAccountId,
    payoutPreference: partner.payoutPreference,
    country: partner.country,
    defaultCurrency: partner.defaultCurrency,
    requirements: {
      currentlyDue: partner.onboarding?.currentlyDue ?? [],
      pastDue: partner.onboarding?.pastDue ?? [],
      disabledReason: partner.onboarding?.disabledReason ?? null,
    },
    actionRequired: actionRequired(partner),
    stateAsOf: partner.stateAsOf,
    disconnectedAt: partner.disconnectedAt,
    createdAt: partner.createdAt,
    updatedAt: partner.updatedAt,
  };
}

export function memberView(membership: Membership) {
  return {
    userSub: membership.userSub,
    email: membership.email,
    role: membership.role,
    addedAt: membership.createdAt,
  };
}

export function connectedPayoutView(payout: ConnectedPayout) {
  return {
    id: payout.id,
    amount: payout.amount,
    currency: payout.currency,
    status: payout.status,
    arrivalDate: payout.arrivalDate ? new Date(payout.arrivalDate * 1000).toISOString() : null,
    failureCode: payout.failureCode,
    failureMessage: payout.failureMessage,
    updatedAt: payout.updatedAt,
  };
}
