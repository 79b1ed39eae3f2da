/**
 * A partner is whoever gets paid: a person (a `personal` partner, created on first use for each user) or a team
 * (a store with several members). The partner id is ours; the Cognito sub only identifies members.
 *
 * Stripe keeps bank and identity data. We keep the onboarding facts we need to decide what a partner may do.
 */
export type PartnerKind = 'personal' | 'team';
export type Role = 'owner' | 'admin' | 'member';
export type PayoutPreference = 'stripe' | 'manual';
export type PartnerStatus = 'not_set_up' | 'pending_verification' | 'restricted' | 'active' | 'disconnected';

export const PARTNER_STATUSES: readonly PartnerStatus[] = [
  'not_set_up',
  'pending_verification',
  'restricted',
  'active',
  'disconnected',
];
export const ROLES: readonly Role[] = ['owner', 'admin', 'member'];
export const PAYOUT_PREFERENCES: readonly PayoutPreference[] = ['stripe', 'manual'];

/** The part of a Stripe account we store (no bank or identity data). */
export interface OnboardingState {
  detailsSubmitted: boolean;
  chargesEnabled: boolean;
  payoutsEnabled: boolean;
  /** Status of the `transfers` capability (`active`, `pending`, `inactive`, `unrequested`, `disabled`), if any. */
  transfersCapability: string | null;
  currentlyDue: string[];
  pastDue: string[];
  disabledReason: string | null;
  /** Epoch seconds (Stripe's `requirements.current_deadline`). */
  currentDeadline: number | null;
  /** Everything Stripe will need eventually (`requirements.eventually_due`), collected up front when links ask. */
  eventuallyDue: string[];
  /** Fields Stripe could not verify and needs again (`requirements.errors`): the field and Stripe's reason. */
  errors: RequirementError[];
  /**
   * Requirements Stripe announced ahead of time (`future_requirements`): at `currentDeadline` they move into the
   * account's requirements, and unless collected before, may restrict the account.
   */
  future: FutureRequirements;
  /**
   * Who collects requirements: `stripe` for Express accounts, `application` when the platform does. Stripe only
   * accepts `account_update` links for the latter.
   */
  requirementCollection: 'stripe' | 'application';
  /** The account's default currency as Stripe reports it. */
  defaultCurrency: string | null;
}

export interface RequirementError {
  requirement: string;
  code: string;
  reason: string;
}

export interface FutureRequirements {
  currentlyDue: string[];
  /** Epoch seconds: when `currentlyDue` becomes the account's requirements. */
  currentDeadline: number | null;
  disabledReason: string | null;
}

export const NO_FUTURE_REQUIREMENTS: FutureRequirements = {
  currentlyDue: [],
  currentDeadline: null,
  disabledReason: null,
};

/** The earliest deadline the partner has to meet, today's or an announced one (epoch seconds), or null. */
export function earliestDeadline(state: OnboardingState | null): number | null {
  if (!state) return null;
  const deadlines = [
    state.currentlyDue.length > 0 ? state.currentDeadline : null,
    state.future.currentlyDue.length > 0 ? state.future.currentDeadline : null,
  ].filter((d): d is number => d !== null);
  return deadlines.length > 0 ? Math.min(...deadlines) : null;
}

export interface Partner {
  id: string;
  kind: PartnerKind;
  name: string;
  country: string;
  defaultCurrency: string;
  payoutPreference: PayoutPreference;
  stripeAccountId: string | null;
  onboarding: OnboardingState | null;
  /**
   * When the stored onboarding state was read from Stripe (ISO, our clock, taken *before* the read began). A
   * write only lands if no later read has been stored, so a slow or late sync never overwrites a fresher one.
   */
  stateAsOf: string | null;
  /** Stripe `created` (epoch seconds) of the latest Connect event that changed this partner. */
  lastEventCreated: number | null;
  disconnectedAt: string | null;
  /**
   * The address Stripe gets for the partner's Express account: the owner's when the partner was created, changed
   * only by the owner. Never the address of whichever member happens to start onboarding.
   */
  contactEmail: string | null;
  /**
   * Bumped whenever a member leaves or is removed: signed onboarding states carry the version they were issued at,
   * so every state issued before the change stops working at once.
   */
  stateVersion: number;
  status: PartnerStatus;
  /**
   * An operator's hold on the partner's payouts (`PUT /admin/partners/{id}/payout-hold`): the planner and the worker
   * skip the partner with `operator_hold` while it is in force. Only operators set or lift it. Absent: none.
   */
  payoutHold?: PayoutHoldRecord | null;
  createdAt: string;
  updatedAt: string;
  /** Incremented by every write; optimistic concurrency for read-modify-write updates. */
  version: number;
}

export interface PayoutHoldRecord {
  reason: string;
  /** ISO time the hold ends by itself, or null (until an operator lifts it). */
  until: string | null;
  by: { sub: string; email: string | null };
  at: string;
}

export interface Membership {
  partnerId: string;
  userSub: string;
  email: string | null;
  role: Role;
  partnerKind: PartnerKind;
  partnerName: string;
  createdAt: string;
}

/**
 * Disabled reasons that only mean "Stripe is still collecting or checking what onboarding asks for"; they do not
 * make an account restricted before the partner has had a chance to submit, nor while Stripe verifies.
 */
const ONBOARDING_IN_PROGRESS_REASONS = new Set([
  'requirements.pending_verification',
  'requirements.past_due',
  'action_required.requested_capabilities',
]);

/**
 * The one status rule:
 * - `disconnected`: the partner deauthorized the platform;
 * - `not_set_up`: no Stripe account yet;
 * - `restricted`: Stripe needs something overdue (past_due after details were submitted) or disabled the account
 *   for a reason other than ongoing verification (rejected, listed, under review, platform paused, …);
 * - `active`: the transfers capability is active and payouts are enabled;
 * - `pending_verification`: everything else (onboarding started or submitted, Stripe still verifying).
 *
 * Stripe lists a brand-new account's onboarding requirements as past due with `requirements.past_due`; before
 * details are submitted those are onboarding work, not a restriction.
 */
export function deriveStatus(input: {
  stripeAccountId: string | null;
  onboarding: OnboardingState | null;
  disconnected: boolean;
}): PartnerStatus {
  if (input.disconnected) return 'disconnected';
  if (!input.stripeAccountId) return 'not_set_up';
  const state = input.onboarding;
  if (!state) return 'pending_verification';
  const reason = state.disabledReason;
  if (!state.detailsSubmitted) {
    return reason && !ONBOARDING_IN_PROGRESS_REASONS.has(reason) ? 'restricted' : 'pending_verification';
  }
  if (state.pastDue.length > 0) return 'restricted';
  if (reason && reason !== 'requirements.pending_verification') return 'restricted';
  if (state.transfersCapability === 'active' && state.payoutsEnabled) return 'active';
  return 'pending_verification';
}

export type AccountLinkType = 'account_onboarding' | 'account_update';

/**
 * `account_update` when details were submitted and Stripe asks for more — but Stripe only accepts it for accounts
 * whose requirements the platform collects. Express accounts (requirement collection by Stripe) get a fresh
 * `account_onboarding` link, which Stripe documents as the way to collect updated requirements for them.
 */
export function chooseLinkType(state: OnboardingState | null): AccountLinkType {
  if (!state?.detailsSubmitted) return 'account_onboarding';
  const due = state.currentlyDue.length > 0 || state.pastDue.length > 0;
  return due && state.requirementCollection === 'application' ? 'account_update' : 'account_onboarding';
}

/** What each role may do. Owners and admins manage; members see earnings only. */
export type Permission =
  | 'view'
  | 'view_earnings'
  | 'view_members'
  | 'manage_onboarding'
  | 'manage_preferences'
  | 'manage_members'
  | 'invite_members'
  /** Listings and payment requests: what the partner sells and at what price. */
  | 'manage_sales';

const PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  owner: [
    'view',
    'view_earnings',
    'view_members',
    'manage_onboarding',
    'manage_preferences',
    'manage_members',
    'invite_members',
    'manage_sales',
  ],
  admin: [
    'view',
    'view_earnings',
    'view_members',
    'manage_onboarding',
    'manage_preferences',
    'invite_members',
    'manage_sales',
  ],
  member: ['view', 'view_earnings'],
};

export function roleAllows(role: Role, permission: Permission): boolean {
  return PERMISSIONS[role].includes(permission);
}
