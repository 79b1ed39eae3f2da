import { domainError, fail, hasCode } from './errors.ts';
import {
  chooseLinkType,
  deriveStatus,
  type OnboardingState,
  type Partner,
  type PayoutPreference,
  type RequirementError,
  roleAllows,
} from './partner.ts';
import { type Caller, type PartnerContext, type PartnerDeps, requireAllowedCountry } from './partner-access.ts';
import { partnerStateEvents } from './partner-events.ts';
import type { BusinessType, StateWrite, StripeAccountSnapshot } from './partner-ports.ts';
import { allowedReturnTarget, appTargetWith, requireReturnTarget, returnStatusOf } from './return-targets.ts';
import { signOnboardingState, verifyOnboardingState } from './signed-state.ts';

/**
 * Onboarding: one Express account per partner, fresh Account Links, the refresh/return redirects, and syncing the
 * account's state from Stripe. The partner never creates a Stripe account any other way.
 */

export interface AccountRequest {
  country?: string | undefined;
  businessType?: BusinessType | undefined;
}

/**
 * Same-country accounts get card_payments + transfers under the full service agreement. Cross-border accounts can
 * only receive transfers, which Stripe requires under the recipient service agreement.
 */
export function accountCapabilities(
  country: string,
  platformCountry: string,
): { capabilities: ('card_payments' | 'transfers')[]; serviceAgreement: 'full' | 'recipient' } {
  return country.toUpperCase() === platformCountry.toUpperCase()
    ? { capabilities: ['card_payments', 'transfers'], serviceAgreement: 'full' }
    : { capabilities: ['transfers'], serviceAgreement: 'recipient' };
}

const disconnectedError = () => domainError('account_disconnected');

function stateWrite(
  snapshot: StripeAccountSnapshot,
  stateAsOf: string,
  at: string,
  eventCreated?: number,
): Omit<StateWrite, 'expectedVersion'> {
  return {
    accountId: snapshot.accountId,
    country: snapshot.country,
    state: snapshot.state,
    status: deriveStatus({ stripeAccountId: snapshot.accountId, onboarding: snapshot.state, disconnected: false }),
    stateAsOf,
    at,
    ...(eventCreated === undefined ? {} : { eventCreated }),
  };
}

/**
 * Creates the partner's Express account unless it has one. The Stripe call carries an idempotency key derived from
 * the partner id and the account id is stored with a conditional write, so concurrent calls end with one account:
 * the loser returns the winner's.
 */
export async function ensureAccount(
  deps: PartnerDeps,
  { partner }: PartnerContext,
  _caller: Caller,
  request: AccountRequest,
): Promise<{ partner: Partner; created: boolean }> {
  const country = requireAllowedCountry(deps.settings, request.country ?? partner.country);
  if (partner.disconnectedAt) throw disconnectedError();
  if (partner.stripeAccountId) return { partner, created: false };

  const stateAsOf = deps.clock.now().toISOString();
  const email = await contactEmailOf(deps, partner);
  let snapshot: StripeAccountSnapshot;
  try {
    snapshot = await deps.stripe.createExpressAccount({
      partnerId: partner.id,
      country,
      email,
      businessType: request.businessType ?? null,
      controller: deps.settings.accountController,
      ...accountCapabilities(country, deps.settings.platformCountry),
    });
  } catch (error) {
    // Same key, different parameters: a concurrent request with other input is creating (or created) the account.
    if (hasCode(error, 'idempotency_conflict')) {
      const current = await deps.partners.get(partner.id);
      if (current?.stripeAccountId) return { partner: current, created: false };
      fail('account_creation_in_progress');
    }
    throw error;
  }

  // The attach replaces the version it was decided against (its events name that version): when the partner
  // changed since it was read (a member, a profile field) without an account being attached, decide again.
  let current = partner;
  for (let attempt = 0; attempt < 4; attempt += 1) {
    const write = stateWrite(snapshot, stateAsOf, deps.clock.now().toISOString());
    const attached = await deps.partners.attachStripeAccount(partner.id, {
      ...write,
      events: partnerStateEvents(current, write, deps.clock.now()),
      expectedVersion: current.version,
    });
    if (attached.attached) return { partner: attached.partner, created: true };
    const stored = await deps.partners.get(partner.id);
    if (stored?.disconnectedAt) throw disconnectedError();
    if (!stored) throw new Error(`Partner ${partner.id}: account attach refused and the partner is gone`);
    if (stored.stripeAccountId) {
      if (stored.stripeAccountId !== snapshot.accountId) {
        deps.log.warn('A second Stripe account was created for a partner; it is not used', {
          partnerId: partner.id,
          kept: stored.stripeAccountId,
          orphan: snapshot.accountId,
        });
      }
      return { partner: stored, created: false };
    }
    current = stored;
  }
  throw new Error(`Partner ${partner.id}: attaching the account kept conflicting with concurrent writes`);
}

/**
 * The address Stripe gets for a new Express account: the partner's contact email (the owner's unless the owner
 * changed it) — never the address of whichever member clicked. Partners stored before contact emails existed use
 * their owner's membership email.
 */
async function contactEmailOf(deps: PartnerDeps, partner: Partner): Promise<string | null> {
  if (partner.contactEmail) return partner.contactEmail;
  const members = await deps.partners.membersOf(partner.id);
  return members.find((member) => member.role === 'owner')?.email ?? null;
}

function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}${path}`;
}

/**
 * Where the app wants onboarding to end, per request: `returnTo` (after Stripe) and `refreshTo` (when a link expired
 * and the app asks for a new one itself). Each must be on the stage's allow-list.
 */
export interface ReturnTargetsRequest {
  returnTo?: string | undefined;
  refreshTo?: string | undefined;
}

export interface ReturnTargets {
  returnTo?: string;
  refreshTo?: string;
}

/** Checks the targets against the allow-list before anything is written or called (400 `return_target_not_allowed`). */
export function checkReturnTargets(deps: Pick<PartnerDeps, 'settings'>, request: ReturnTargetsRequest): ReturnTargets {
  const allowList = deps.settings.allowedReturnTargets;
  return {
    ...(request.returnTo === undefined
      ? {}
      : { returnTo: requireReturnTarget(request.returnTo, allowList, 'returnTo') }),
    ...(request.refreshTo === undefined
      ? {}
      : { refreshTo: requireReturnTarget(request.refreshTo, allowList, 'refreshTo') }),
  };
}

/** The signed state of a member's onboarding redirects, with the app's targets when it named them. */
async function onboardingState(
  deps: PartnerDeps,
  partner: Partner,
  userSub: string,
  targets: ReturnTargets,
): Promise<string> {
  const now = deps.clock.now();
  return signOnboardingState(await deps.stateSigningKey(), {
    partnerId: partner.id,
    userSub,
    stateVersion: partner.stateVersion,
    expiresAt: Math.floor(now.getTime() / 1000) + deps.settings.onboardingStateTtlSeconds,
    ...targets,
  });
}

async function freshAccountLink(
  deps: PartnerDeps,
  partner: Partner,
  userSub: string,
  targets: ReturnTargets = {},
): Promise<{ url: string; expiresAt: string }> {
  if (!partner.stripeAccountId) throw new Error(`Partner ${partner.id} has no Stripe account`);
  const state = await onboardingState(deps, partner, userSub, targets);
  const query = `?state=${encodeURIComponent(state)}`;
  const link = await deps.stripe.createAccountLink({
    accountId: partner.stripeAccountId,
    type: chooseLinkType(partner.onboarding),
    refreshUrl: joinUrl(deps.settings.apiBaseUrl, `/connect/refresh${query}`),
    returnUrl: joinUrl(deps.settings.apiBaseUrl, `/connect/return${query}`),
    collectionOptions: deps.settings.onboardingCollection,
  });
  return { url: link.url, expiresAt: new Date(link.expiresAt * 1000).toISOString() };
}

/**
 * Ensures the account, then a fresh (never cached) Account Link. The app's return targets, when named, are checked
 * first (nothing is created for a refused one) and carried in the signed state.
 */
export async function createOnboardingLink(
  deps: PartnerDeps,
  context: PartnerContext,
  caller: Caller,
  request: AccountRequest & ReturnTargetsRequest,
): Promise<{ url: string; expiresAt: string }> {
  const targets = checkReturnTargets(deps, request);
  const { partner } = await ensureAccount(deps, context, caller, request);
  return freshAccountLink(deps, partner, caller.sub, targets);
}

const noLongerValid = () =>
  domainError('invalid_state', 'This onboarding link is no longer valid; start again from the app.');

/**
 * The partner and member a signed state names — only while it still speaks for them: the partner's state version
 * is the one it was minted at (no member left or was removed since), and the member still belongs to the partner
 * with a role that may onboard it.
 */
async function partnerFromState(
  deps: PartnerDeps,
  token: string,
): Promise<{ partner: Partner; userSub: string; targets: ReturnTargets }> {
  const state = verifyOnboardingState(await deps.stateSigningKey(), token, deps.clock.now());
  const partner = await deps.partners.get(state.partnerId);
  if (!partner || partner.stateVersion !== state.stateVersion) throw noLongerValid();
  const membership = await deps.partners.membership(partner.id, state.userSub);
  if (!membership || !roleAllows(membership.role, 'manage_onboarding')) throw noLongerValid();
  // Checked again against today's allow-list: a target removed from it since the state was minted is not followed.
  const allowList = deps.settings.allowedReturnTargets;
  const returnTo = state.returnTo === undefined ? null : allowedReturnTarget(state.returnTo, allowList);
  const refreshTo = state.refreshTo === undefined ? null : allowedReturnTarget(state.refreshTo, allowList);
  const targets: ReturnTargets = {
    ...(returnTo === null ? {} : { returnTo }),
    ...(refreshTo === null ? {} : { refreshTo }),
  };
  return { partner, userSub: state.userSub, targets };
}

/**
 * Stripe sends the browser here when a link expired or was used: answer with a new link (never a dead end). At
 * most one new link per partner per `onboardingRefreshIntervalSeconds` (`429 refresh_rate_limited` otherwise).
 * When the app asked to handle refresh itself (`refreshTo`), the browser goes back to the app with
 * `?status=link_expired` instead, and the app asks for a new link through its own API call (no Stripe call here).
 * The new link keeps the app's targets.
 */
export async function refreshOnboarding(deps: PartnerDeps, token: string): Promise<{ url: string }> {
  const { partner, userSub, targets } = await partnerFromState(deps, token);
  if (partner.disconnectedAt) throw disconnectedError();
  if (!partner.stripeAccountId) throw noLongerValid();
  if (targets.refreshTo !== undefined) return { url: appTargetWith(targets.refreshTo, 'link_expired') };
  await requireRefreshSlot(deps, partner.id, 'onboarding-refresh', 'A new onboarding link was issued moments ago');
  return { url: (await freshAccountLink(deps, partner, userSub, targets)).url };
}

/** The return redirect proves nothing: re-read the account from Stripe before reporting a status. */
export async function completeOnboardingReturn(deps: PartnerDeps, token: string): Promise<Partner> {
  return (await onboardingReturn(deps, token)).partner;
}

/**
 * `completeOnboardingReturn`, and where the browser goes next: the app's own target with
 * `?status=active|pending|restricted` when the app named one, else null (the stage's app URL, or a page).
 */
export async function onboardingReturn(
  deps: PartnerDeps,
  token: string,
): Promise<{ partner: Partner; appTarget: string | null }> {
  const { partner, targets } = await partnerFromState(deps, token);
  const current = partner.disconnectedAt || !partner.stripeAccountId ? partner : await syncAccount(deps, partner);
  const appTarget =
    targets.returnTo === undefined ? null : appTargetWith(targets.returnTo, returnStatusOf(current.status));
  return { partner: current, appTarget };
}

/**
 * Reads the account from Stripe and stores its state, unless a read that began later is already stored. Returns
 * the partner as stored afterwards. When Stripe no longer lets us read the account (deauthorized; the event is on
 * its way) the stored state is kept.
 */
export async function syncAccount(deps: PartnerDeps, partner: Partner, eventCreated?: number): Promise<Partner> {
  return (await syncAccountState(deps, partner, eventCreated)).partner;
}

export async function syncAccountState(
  deps: PartnerDeps,
  partner: Partner,
  eventCreated?: number,
): Promise<{ partner: Partner; outcome: 'synced' | 'stale' | 'account_inaccessible' }> {
  if (!partner.stripeAccountId) return { partner, outcome: 'stale' };
  const stateAsOf = deps.clock.now().toISOString();
  let snapshot: StripeAccountSnapshot;
  try {
    snapshot = await deps.stripe.retrieveAccount(partner.stripeAccountId);
  } catch (error) {
    if (hasCode(error, 'account_inaccessible')) {
      // Expected right after a deauthorization: the deauthorized event marks the partner disconnected.
      deps.log.info('Stripe refused to read the account; keeping the stored state', {
        partnerId: partner.id,
        accountId: partner.stripeAccountId,
      });
      return { partner, outcome: 'account_inaccessible' };
    }
    throw error;
  }
  // The write replaces the version it was decided against (its events say what changed from it): when another
  // write came first, decide again against the stored partner unless that one holds a later read.
  let current = partner;
  for (let attempt = 0; attempt < 4; attempt += 1) {
    const write = stateWrite(snapshot, stateAsOf, deps.clock.now().toISOString(), eventCreated);
    const result = await deps.partners.saveOnboardingState(partner.id, {
      ...write,
      events: partnerStateEvents(current, write, deps.clock.now()),
      expectedVersion: current.version,
    });
    if (result.written) return { partner: result.partner, outcome: 'synced' };
    const stored = await deps.partners.get(partner.id);
    if (!stored) return { partner, outcome: 'stale' };
    const newerStored = stored.stateAsOf !== null && stored.stateAsOf > stateAsOf;
    if (newerStored || stored.disconnectedAt || stored.stripeAccountId !== snapshot.accountId) {
      return { partner: stored, outcome: 'stale' };
    }
    current = stored;
  }
  return { partner: (await deps.partners.get(partner.id)) ?? current, outcome: 'stale' };
}

/**
 * Where the return route sends the browser: the app, told that the partner came back from Stripe and with which
 * status (the app may not trust it either; it reads `GET /connect/status`). Null when no app URL is configured.
 */
export function returnTarget(appUrl: string, partner: Pick<Partner, 'id' | 'status'>): string | null {
  if (!appUrl) return null;
  const target = new URL(appUrl);
  target.searchParams.set('stripe', 'return');
  target.searchParams.set('status', partner.status);
  target.searchParams.set('partnerId', partner.id);
  return target.toString();
}

/**
 * What the partner must do, and by when, so an app can warn before Stripe restricts the account:
 * - `onboarding`: details not submitted yet (no deadline of ours; payouts never started);
 * - `overdue`: Stripe's deadline passed (`past_due`): the account is or will shortly be restricted;
 * - `due`: Stripe needs these now, by `deadline`;
 * - `upcoming`: announced ahead of time (`future_requirements`), due by `deadline`.
 * Fields Stripe could not verify (`errors`) are listed with the others. Null when nothing is asked.
 */
export type ActionKind = 'onboarding' | 'overdue' | 'due' | 'upcoming';

export interface ActionRequired {
  kind: ActionKind;
  fields: string[];
  /** ISO time, or null when Stripe gave none. */
  deadline: string | null;
}

const isoOf = (epochSeconds: number | null) =>
  epochSeconds === null ? null : new Date(epochSeconds * 1000).toISOString();

export function actionRequired(
  partner: Pick<Partner, 'stripeAccountId' | 'disconnectedAt' | 'onboarding'>,
): ActionRequired | null {
  const state = partner.onboarding;
  if (!partner.stripeAccountId || partner.disconnectedAt || !state) return null;
  const withErrors = (fields: string[]) =>
    [...new Set([...fields, ...state.errors.map((error) => error.requirement)])].sort();
  if (!state.detailsSubmitted) {
    return { kind: 'onboarding', fields: withErrors(state.currentlyDue), deadline: null };
  }
  if (state.pastDue.length > 0) {
    return { kind: 'overdue', fields: withErrors(state.pastDue), deadline: isoOf(state.currentDeadline) };
  }
  if (state.currentlyDue.length > 0 || state.errors.length > 0) {
    return { kind: 'due', fields: withErrors(state.currentlyDue), deadline: isoOf(state.currentDeadline) };
  }
  if (state.future.currentlyDue.length > 0) {
    return {
      kind: 'upcoming',
      fields: [...state.future.currentlyDue].sort(),
      deadline: isoOf(state.future.currentDeadline),
    };
  }
  return null;
}

export interface StatusView {
  partnerId: string;
  status: Partner['status'];
  stripeAccountId: string | null;
  chargesEnabled: boolean;
  payoutsEnabled: boolean;
  detailsSubmitted: boolean;
  requirements: {
    currentlyDue: string[];
    eventuallyDue: string[];
    pastDue: string[];
    errors: RequirementError[];
    disabledReason: string | null;
    currentDeadline: string | null;
  };
  futureRequirements: {
    currentlyDue: string[];
    currentDeadline: string | null;
    disabledReason: string | null;
  };
  actionRequired: ActionRequired | null;
  stateAsOf: string | null;
}

export function statusView(partner: Partner): StatusView {
  const state: OnboardingState | null = partner.onboarding;
  return {
    partnerId: partner.id,
    status: partner.status,
    stripeAccountId: partner.stripeAccountId,
    chargesEnabled: state?.chargesEnabled ?? false,
    payoutsEnabled: state?.payoutsEnabled ?? false,
    detailsSubmitted: state?.detailsSubmitted ?? false,
    requirements: {
      currentlyDue: state?.currentlyDue ?? [],
      eventuallyDue: state?.eventuallyDue ?? [],
      pastDue: state?.pastDue ?? [],
      errors: state?.errors ?? [],
      disabledReason: state?.disabledReason ?? null,
      currentDeadline: isoOf(state?.currentDeadline ?? null),
    },
    futureRequirements: {
      currentlyDue: state?.future.currentlyDue ?? [],
      currentDeadline: isoOf(state?.future.currentDeadline ?? null),
      disabledReason: state?.future.disabledReason ?? null,
    },
    actionRequired: actionRequired(partner),
    stateAsOf: partner.stateAsOf,
  };
}

/** One Stripe re-read per partner and interval: the slot, or 429 `refresh_rate_limited` with when to retry. */
async function requireRefreshSlot(
  deps: PartnerDeps,
  partnerId: string,
  scope: 'onboarding-refresh' | 'status-refresh',
  what: string,
): Promise<void> {
  const interval =
    scope === 'onboarding-refresh'
      ? deps.settings.onboardingRefreshIntervalSeconds
      : deps.settings.statusRefreshIntervalSeconds;
  const slot = await deps.rateLimiter.tryAcquire(partnerId, scope, deps.clock.now(), interval);
  if (!slot.acquired) {
    fail('refresh_rate_limited', `${what}; retry in ${slot.retryAfterSeconds} s.`, {
      retryAfterSeconds: slot.retryAfterSeconds,
    });
  }
}

/** The stored status; with `refresh`, re-read from Stripe first (once per interval per partner). */
export async function getStatus(deps: PartnerDeps, { partner }: PartnerContext, refresh: boolean): Promise<StatusView> {
  if (!refresh || !partner.stripeAccountId || partner.disconnectedAt) return statusView(partner);
  await requireRefreshSlot(deps, partner.id, 'status-refresh', 'The status was refreshed from Stripe moments ago');
  return statusView(await syncAccount(deps, partner));
}

/** An Express Dashboard login link; Stripe only issues one once the partner submitted their details. */
export async function createDashboardLink(deps: PartnerDeps, { partner }: PartnerContext): Promise<{ url: string }> {
  if (partner.disconnectedAt) throw disconnectedError();
  const incomplete = () => domainError('onboarding_incomplete');
  if (!partner.stripeAccountId) throw incomplete();
  // The stored state may lag the webhook that says details were just submitted: ask Stripe before refusing.
  const current = partner.onboarding?.detailsSubmitted ? partner : await syncAccount(deps, partner);
  if (!current.onboarding?.detailsSubmitted || !current.stripeAccountId) throw incomplete();
  return deps.stripe.createLoginLink(current.stripeAccountId);
}

/** How the partner wants to be paid. Stripe payouts still wait until the partner is `active`. */
export async function setPayoutPreference(
  deps: PartnerDeps,
  { partner }: PartnerContext,
  preference: PayoutPreference,
): Promise<Partner> {
  return deps.partners.setPayoutPreference(partner.id, preference, deps.clock.now().toISOString());
}

/** The Connect embedded components a platform may offer; the stage configuration picks which ones. */
export const EMBEDDED_COMPONENTS = [
  'account_onboarding',
  'notification_banner',
  'account_management',
  'payouts',
  'documents',
] as const;
export type EmbeddedComponent = (typeof EMBEDDED_COMPONENTS)[number];

export interface AccountSessionView {
  clientSecret: string;
  expiresAt: string;
  publishableKey: string;
  /**
   * With `returnTo`: our signed `/connect/return` URL for the embedding page to open when the embedded onboarding
   * exits. It re-reads the account from Stripe and ends at the app's target with `?status=…`. Null otherwise.
   */
  returnUrl: string | null;
}

/**
 * Embedded onboarding: ensures the account, then a fresh Account Session for the requested components. The client
 * secret is handed to the caller's browser and nowhere else: it is never stored, logged or reused (Stripe sessions
 * are single-use and short-lived), so each call makes a new one.
 */
export async function createAccountSession(
  deps: PartnerDeps,
  context: PartnerContext,
  caller: Caller,
  components: readonly EmbeddedComponent[],
  request: Pick<ReturnTargetsRequest, 'returnTo'> = {},
): Promise<AccountSessionView> {
  const { publishableKey, accountSessionComponents: allowed } = deps.settings;
  const targets = checkReturnTargets(deps, { returnTo: request.returnTo });
  const refused = components.filter((component) => !allowed.includes(component));
  if (refused.length > 0) {
    fail('component_not_allowed', `This platform does not offer ${refused.join(', ')} as embedded components.`, {
      allowed: [...allowed],
    });
  }
  if (!publishableKey) {
    fail('embedded_components_unavailable');
  }
  const { partner } = await ensureAccount(deps, context, caller, {});
  if (!partner.stripeAccountId) throw new Error(`Partner ${partner.id} has no Stripe account`);
  const session = await deps.stripe.createAccountSession({
    accountId: partner.stripeAccountId,
    partnerId: partner.id,
    components: [...new Set(components)],
  });
  const returnUrl =
    targets.returnTo === undefined
      ? null
      : joinUrl(
          deps.settings.apiBaseUrl,
          `/connect/return?state=${encodeURIComponent(await onboardingState(deps, partner, caller.sub, targets))}`,
        );
  return { clientSecret: session.clientSecret, expiresAt: isoOf(session.expiresAt) ?? '', publishableKey, returnUrl };
}
