import { domainError, fail } from './errors.ts';
import type { EmbeddedComponent } from './onboarding.ts';
import { type Partner, type Permission, type Role, roleAllows } from './partner.ts';
import type {
  AccountController,
  Clock,
  CollectionOptions,
  ConnectedPayoutStore,
  InvitationStore,
  PartnerRepository,
  RateLimiter,
  StripeConnect,
} from './partner-ports.ts';

export interface PartnerSettings {
  allowedCountries: readonly string[];
  /** The platform's own country: accounts elsewhere are cross-border (recipient service agreement). */
  platformCountry: string;
  defaultCountry: string;
  defaultCurrency: string;
  /** Public base URL of this API (refresh/return URLs are built from it). */
  apiBaseUrl: string;
  /** Where partners land after onboarding; '' renders a small page instead. */
  appUrl: string;
  /** Return targets an app may name per request: https origins and app schemes (see return-targets.ts). */
  allowedReturnTargets: readonly string[];
  onboardingStateTtlSeconds: number;
  /** `/connect/refresh` mints at most one Account Link per partner per this many seconds. */
  onboardingRefreshIntervalSeconds: number;
  statusRefreshIntervalSeconds: number;
  /** Controller properties of new accounts: who pays Stripe's fees and who bears negative balances. */
  accountController: AccountController;
  /** What onboarding links collect: today's requirements only, or everything incl. announced ones. */
  onboardingCollection: CollectionOptions;
  /** Embedded components partners may open (Account Sessions). */
  accountSessionComponents: readonly EmbeddedComponent[];
  /** Stripe publishable key for Connect.js in the browser ('' = embedded components off). */
  publishableKey: string;
  /** `GET /admin/partners?attention=due_soon`: deadlines within this many days. */
  dueSoonDays: number;
}

export interface Log {
  info(message: string, details?: Record<string, unknown>): void;
  warn(message: string, details?: Record<string, unknown>): void;
}

export interface PartnerDeps {
  partners: PartnerRepository;
  stripe: StripeConnect;
  invitations: InvitationStore;
  /** A fresh, unguessable invitation token (only its hash is stored). */
  newInvitationToken(): string;
  newInvitationId(): string;
  connectedPayouts: ConnectedPayoutStore;
  rateLimiter: RateLimiter;
  clock: Clock;
  newPartnerId(): string;
  stateSigningKey(): Promise<string>;
  settings: PartnerSettings;
  log: Log;
}

/** Who is calling, from the verified token only. */
export interface Caller {
  sub: string;
  email: string | null;
  /** The token's `email_verified` claim: true only when the pool verified the address. */
  emailVerified?: boolean;
}

export interface PartnerContext {
  partner: Partner;
  role: Role;
}

export function newPartner(fields: {
  id: string;
  kind: Partner['kind'];
  name: string;
  country: string;
  defaultCurrency: string;
  contactEmail: string | null;
  at: string;
}): Partner {
  return {
    ...fields,
    stateVersion: 0,
    payoutPreference: 'stripe',
    stripeAccountId: null,
    onboarding: null,
    stateAsOf: null,
    lastEventCreated: null,
    disconnectedAt: null,
    status: 'not_set_up',
    createdAt: fields.at,
    updatedAt: fields.at,
    version: 1,
  };
}

export function requireAllowedCountry(settings: PartnerSettings, country: string): string {
  const normalized = country.toUpperCase();
  if (!settings.allowedCountries.includes(normalized)) {
    fail('unsupported_country', `Partners in ${normalized} are not supported.`, {
      allowedCountries: [...settings.allowedCountries],
    });
  }
  return normalized;
}

const partnerNotFound = () => domainError('partner_not_found');

/** The caller's personal partner, created on first use from the token claims. */
export async function personalPartner(deps: PartnerDeps, caller: Caller): Promise<Partner> {
  let id = await deps.partners.personalPartnerId(caller.sub);
  if (!id) {
    const at = deps.clock.now().toISOString();
    const partner = newPartner({
      id: deps.newPartnerId(),
      kind: 'personal',
      name: caller.email ?? 'Personal',
      country: deps.settings.defaultCountry,
      defaultCurrency: deps.settings.defaultCurrency,
      contactEmail: caller.email,
      at,
    });
    id = await deps.partners.createPersonalPartner(partner, { sub: caller.sub, email: caller.email, role: 'owner' });
  }
  const partner = await deps.partners.get(id);
  if (!partner) throw new Error(`Personal partner ${id} of ${caller.sub} has a guard but no profile`);
  return partner;
}

/**
 * The partner a request acts on: the caller's personal partner, or the partner named by `partnerId` when the
 * caller is a member whose role allows `permission`. Not being a member looks exactly like the partner not
 * existing, so ids cannot be probed.
 */
export async function resolvePartner(
  deps: PartnerDeps,
  caller: Caller,
  partnerId: string | undefined,
  permission: Permission,
): Promise<PartnerContext> {
  if (partnerId === undefined) return { partner: await personalPartner(deps, caller), role: 'owner' };
  const membership = await deps.partners.membership(partnerId, caller.sub);
  if (!membership) throw partnerNotFound();
  requireRole(membership.role, permission);
  const partner = await deps.partners.get(partnerId);
  if (!partner) throw partnerNotFound();
  return { partner, role: membership.role };
}

export function requireRole(role: Role, permission: Permission): void {
  if (!roleAllows(role, permission)) {
    fail('insufficient_role', `The ${role} role does not allow this (${permission}).`);
  }
}
