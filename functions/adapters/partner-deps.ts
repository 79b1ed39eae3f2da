import { randomBytes } from 'node:crypto';
import { config } from '#config';
import { systemClock } from '#core/clock';
import type { Log, PartnerDeps } from '#core/partner-access';
import { dynamoConnectedPayouts } from './dynamodb/connected-payouts.ts';
import { dynamoInvitationStore } from './dynamodb/invitation-store.ts';
import { dynamoPartnerRepository } from './dynamodb/partner-repository.ts';
import { dynamoRateLimiter } from './dynamodb/rate-limiter.ts';
import { notGranted, notGrantedCall } from './not-granted.ts';

/** Partner ids are ours, random and unguessable: `ptn_` + 24 hex characters. */
export const newPartnerId = () => `ptn_${randomBytes(12).toString('hex')}`;

/** Invitation ids: `inv_` + 24 hex characters. */
export const newInvitationId = () => `inv_${randomBytes(12).toString('hex')}`;

/** Invitation tokens: 32 random bytes, base64url (only their SHA-256 is stored). */
export const newInvitationToken = () => randomBytes(32).toString('base64url');

/**
 * The ports a partner route has only when its `access` grants them: Stripe (`access.stripe`: `stripeConnect` of
 * `#adapters/stripe/connect`) and the onboarding state key (`access.secrets: ['stateSigningKey']`: `stateSigningKey`
 * of `#adapters/secrets`). The handler passes what it was granted; the rest throws when reached (`notGranted`).
 */
export type PartnerGrants = Partial<Pick<PartnerDeps, 'stripe' | 'stateSigningKey'>>;

/** The table-backed part, built once per execution environment. */
let cached: Omit<PartnerDeps, keyof PartnerGrants> | undefined;

/** The partner use cases wired to DynamoDB, with the Stripe and secret ports the route was granted. */
export function partnerDeps(log: Log, grants: PartnerGrants = {}): PartnerDeps {
  if (!cached) {
    const cfg = config();
    cached = {
      partners: dynamoPartnerRepository,
      invitations: dynamoInvitationStore,
      newInvitationToken,
      newInvitationId,
      connectedPayouts: dynamoConnectedPayouts,
      rateLimiter: dynamoRateLimiter,
      clock: systemClock,
      newPartnerId,
      settings: {
        allowedCountries: cfg.ALLOWED_COUNTRIES.map((country) => country.toUpperCase()),
        platformCountry: cfg.PLATFORM_COUNTRY,
        defaultCountry: cfg.DEFAULT_COUNTRY.toUpperCase(),
        defaultCurrency: cfg.DEFAULT_CURRENCY,
        apiBaseUrl: cfg.API_BASE_URL,
        appUrl: cfg.APP_URL,
        allowedReturnTargets: cfg.ALLOWED_RETURN_TARGETS,
        onboardingStateTtlSeconds: cfg.ONBOARDING_STATE_TTL_SECONDS,
        onboardingRefreshIntervalSeconds: cfg.ONBOARDING_REFRESH_INTERVAL_SECONDS,
        statusRefreshIntervalSeconds: cfg.STATUS_REFRESH_INTERVAL_SECONDS,
        accountController: { feesPayer: cfg.CONNECT_FEES_PAYER, lossesPayments: cfg.CONNECT_LOSSES_PAYMENTS },
        onboardingCollection: {
          fields: cfg.ONBOARDING_COLLECT_FIELDS,
          futureRequirements: cfg.ONBOARDING_FUTURE_REQUIREMENTS,
        },
        accountSessionComponents: cfg.ACCOUNT_SESSION_COMPONENTS,
        publishableKey: cfg.STRIPE_PUBLISHABLE_KEY,
        dueSoonDays: cfg.REQUIREMENTS_DUE_SOON_DAYS,
      },
      log,
    };
  }
  return {
    ...cached,
    stripe: grants.stripe ?? notGranted('stripe', 'Stripe key (access.stripe)'),
    stateSigningKey:
      grants.stateSigningKey ?? notGrantedCall('stateSigningKey', "state key (access.secrets: ['stateSigningKey'])"),
  };
}
