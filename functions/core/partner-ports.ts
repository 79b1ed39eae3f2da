import type { ConnectedPayout } from './connected-payout.ts';
import type { DomainEvent } from './domain-events.ts';
import type { Invitation } from './invitations.ts';
import type { EmbeddedComponent } from './onboarding.ts';
import type {
  AccountLinkType,
  Membership,
  OnboardingState,
  Partner,
  PartnerStatus,
  PayoutPreference,
  Role,
} from './partner.ts';

/**
 * What the partner use cases need from the outside world. Adapters implement these (DynamoDB, Stripe, Cognito);
 * unit tests pass in-memory fakes.
 */
export type { Clock } from './clock.ts';

export interface NewMember {
  sub: string;
  email: string | null;
  role: Role;
}

export interface PartnerPage {
  partners: Partner[];
  nextCursor: string | null;
}

export interface StateWrite {
  accountId: string;
  country: string;
  state: OnboardingState;
  status: PartnerStatus;
  /** ISO time the Stripe read began; the write is refused when a read that began later is already stored. */
  stateAsOf: string;
  at: string;
  /** Stripe `created` of the Connect event that triggered this read, if one did. */
  eventCreated?: number;
  /** Domain events of this change, written in the same transaction (the outbox). */
  events?: DomainEvent[];
  /**
   * The partner version this write replaces: the write is refused if another write came first. Every state write
   * carries one, the first (attaching the account) included, so two writes decided against the same partner never
   * both land and each event names the version it was decided against.
   */
  expectedVersion: number;
}

export type StateWriteResult = { written: true; partner: Partner } | { written: false };

export interface PartnerRepository {
  get(partnerId: string): Promise<Partner | undefined>;
  /** The partner holding this Stripe account (GSI1, eventually consistent). */
  findByStripeAccount(accountId: string): Promise<Partner | undefined>;
  personalPartnerId(userSub: string): Promise<string | undefined>;
  /**
   * Creates the user's personal partner and owner membership, guarded so concurrent first requests create exactly
   * one. Returns the id of the personal partner that exists afterwards (the caller's or a concurrent winner's).
   */
  createPersonalPartner(partner: Partner, owner: NewMember): Promise<string>;
  createTeamPartner(partner: Partner, owner: NewMember): Promise<void>;
  membership(partnerId: string, userSub: string): Promise<Membership | undefined>;
  membershipsOf(userSub: string): Promise<Membership[]>;
  membersOf(partnerId: string): Promise<Membership[]>;
  /** Throws `already_a_member` when the user is a member; `partner_not_found` when the team is gone. */
  addMember(partner: Partner, member: NewMember, at: string): Promise<Membership>;
  /** Throws `member_not_found` when the user is not (or no longer) a member with that role. */
  removeMember(partnerId: string, userSub: string, expectedRole: Role): Promise<void>;
  /**
   * Stores the account id once, on the partner version the write was decided against: `{ attached: false }` when
   * another request attached one first or changed the partner since (the caller re-reads and decides again).
   */
  attachStripeAccount(
    partnerId: string,
    write: StateWrite,
  ): Promise<{ attached: true; partner: Partner } | { attached: false }>;
  saveOnboardingState(partnerId: string, write: StateWrite): Promise<StateWriteResult>;
  markDisconnected(
    partnerId: string,
    accountId: string,
    at: string,
    eventCreated: number,
    /** Written with the change (the outbox); with events, a partner already disconnected is left as it is. */
    events?: DomainEvent[],
  ): Promise<Partner | undefined>;
  setPayoutPreference(partnerId: string, preference: PayoutPreference, at: string): Promise<Partner>;
  setContactEmail(partnerId: string, email: string, at: string): Promise<Partner>;
  /** Newest first; `status` undefined means every status. */
  list(options: { status?: PartnerStatus; cursor?: string; limit: number }): Promise<PartnerPage>;
  /** Partners with a requirements deadline at or before `until` (ISO), soonest first (sparse deadline index). */
  listByDeadline(options: { until: string; cursor?: string; limit: number }): Promise<PartnerPage>;
}

export interface RateLimiter {
  /** Takes the slot for `key` unless it was taken less than `intervalSeconds` ago. */
  tryAcquire(
    partnerId: string,
    scope: string,
    now: Date,
    intervalSeconds: number,
  ): Promise<{ acquired: true } | { acquired: false; retryAfterSeconds: number }>;
}

export interface StripeAccountSnapshot {
  accountId: string;
  country: string;
  state: OnboardingState;
  /** Our `partner_id` metadata on the account, when present. */
  partnerId: string | null;
}

/**
 * Controller properties of the accounts we create (Stripe's replacement for `type: express`): the Express
 * Dashboard and Stripe-collected requirements always; who pays Stripe's fees and who bears losses from config.
 */
export interface AccountController {
  feesPayer: 'account' | 'application';
  lossesPayments: 'application' | 'stripe';
}

/** Account Link `collection_options`. */
export interface CollectionOptions {
  fields: 'currently_due' | 'eventually_due';
  futureRequirements: 'include' | 'omit';
}

export interface CreateAccountRequest {
  partnerId: string;
  country: string;
  email: string | null;
  businessType: BusinessType | null;
  controller: AccountController;
  capabilities: readonly ('card_payments' | 'transfers')[];
  serviceAgreement: 'full' | 'recipient';
}

export type BusinessType = 'individual' | 'company' | 'non_profit' | 'government_entity';

export interface StripeConnect {
  createExpressAccount(request: CreateAccountRequest): Promise<StripeAccountSnapshot>;
  /** Throws `account_inaccessible` when Stripe no longer lets the platform read the account (deauthorized). */
  retrieveAccount(accountId: string): Promise<StripeAccountSnapshot>;
  createAccountLink(request: {
    accountId: string;
    type: AccountLinkType;
    refreshUrl: string;
    returnUrl: string;
    collectionOptions: CollectionOptions;
  }): Promise<{ url: string; expiresAt: number }>;
  /** A fresh Account Session for embedded components; `expiresAt` in epoch seconds. Never stored. */
  createAccountSession(request: {
    accountId: string;
    partnerId: string;
    components: readonly EmbeddedComponent[];
  }): Promise<{ clientSecret: string; expiresAt: number }>;
  /** Throws `onboarding_incomplete` when Stripe refuses because details are not submitted. */
  createLoginLink(accountId: string): Promise<{ url: string }>;
}

export interface InvitationStore {
  /** Stores a new pending invitation (and the lookup by its token's hash). */
  create(invitation: Invitation): Promise<void>;
  get(partnerId: string, invitationId: string): Promise<Invitation | undefined>;
  findByTokenHash(tokenHash: string): Promise<Invitation | undefined>;
  /** Every invitation of the partner, newest first. */
  list(partnerId: string): Promise<Invitation[]>;
  /** pending → revoked; false when it was no longer pending. */
  revoke(invitation: Invitation, by: string, at: string): Promise<boolean>;
  /**
   * In one transaction: pending (and unexpired at `at`) → accepted, and the member added to the team. Throws
   * `already_a_member`, `partner_not_found`, or `invitation_not_pending` when the invitation changed meanwhile.
   */
  accept(invitation: Invitation, partner: Partner, member: NewMember, at: string): Promise<Membership>;
}

export interface ConnectedPayoutStore {
  get(partnerId: string, payoutId: string): Promise<ConnectedPayout | undefined>;
  /**
   * Writes unless the stored record changed since it was read (`expectedEventId`: its eventId, null if absent), with
   * the change's domain events in the same transaction (the outbox).
   */
  putIfUnchanged(payout: ConnectedPayout, expectedEventId: string | null, events?: DomainEvent[]): Promise<boolean>;
  list(
    partnerId: string,
    options: { cursor?: string; limit: number },
  ): Promise<{
    payouts: ConnectedPayout[];
    nextCursor: string | null;
  }>;
}
