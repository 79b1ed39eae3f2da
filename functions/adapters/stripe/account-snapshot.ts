import type Stripe from 'stripe';
import type { StripeAccountSnapshot } from '#core/partner-ports';

/** The part of a Stripe account the domain keeps: onboarding facts only, never bank or identity data. */
export function accountSnapshot(account: Stripe.Account): StripeAccountSnapshot {
  const requirements = account.requirements;
  const future = account.future_requirements;
  const platformCollects =
    account.controller?.requirement_collection === 'application' ||
    (account.controller?.requirement_collection === undefined && account.type === 'custom');
  return {
    accountId: account.id,
    country: account.country ?? '',
    partnerId: account.metadata?.partner_id ?? null,
    state: {
      detailsSubmitted: account.details_submitted ?? false,
      chargesEnabled: account.charges_enabled ?? false,
      payoutsEnabled: account.payouts_enabled ?? false,
      transfersCapability: account.capabilities?.transfers ?? null,
      currentlyDue: requirements?.currently_due ?? [],
      pastDue: requirements?.past_due ?? [],
      disabledReason: requirements?.disabled_reason ?? null,
      currentDeadline: requirements?.current_deadline ?? null,
      eventuallyDue: requirements?.eventually_due ?? [],
      errors: (requirements?.errors ?? []).map((error) => ({
        requirement: error.requirement,
        code: error.code,
        reason: error.reason,
      })),
      future: {
        currentlyDue: future?.currently_due ?? [],
        currentDeadline: future?.current_deadline ?? null,
        disabledReason: future?.disabled_reason ?? null,
      },
      requirementCollection: platformCollects ? 'application' : 'stripe',
      defaultCurrency: account.default_currency ?? null,
    },
  };
}
