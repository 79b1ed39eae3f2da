import type { ConnectedPayout } from '#core/connected-payout';
import { fail } from '#core/errors';
import type { Invitation } from '#core/invitations';
import { earliestDeadline, type Membership, type OnboardingState, type Partner } from '#core/partner';
import type { PartnerDeps, PartnerSettings } from '#core/partner-access';
import type {
  ConnectedPayoutStore,
  CreateAccountRequest,
  InvitationStore,
  PartnerRepository,
  RateLimiter,
  StripeAccountSnapshot,
  StripeConnect,
} from '#core/partner-ports';

/** In-memory stand-ins for the partner ports: the same contracts as the DynamoDB/Stripe/Cognito adapters. */

export const onboardingState = (overrides: Partial<OnboardingState> = {}): OnboardingState => ({
  detailsSubmitted: false,
  chargesEnabled: false,
  payoutsEnabled: false,
  transfersCapability: 'inactive',
  currentlyDue: [],
  pastDue: [],
  disabledReason: null,
  currentDeadline: null,
  eventuallyDue: [],
  errors: [],
  future: { currentlyDue: [], currentDeadline: null, disabledReason: null },
  requirementCollection: 'stripe',
  defaultCurrency: 'usd',
  ...overrides,
});

const clone = <T>(value: T): T => structuredClone(value);

export class MemoryPartners implements PartnerRepository {
  partners = new Map<string, Partner>();
  members = new Map<string, Membership>(); // `${partnerId}|${sub}`
  personal = new Map<string, string>();

  async get(id: string) {
    const p = this.partners.get(id);
    return p ? clone(p) : undefined;
  }
  async findByStripeAccount(accountId: string) {
    const p = [...this.partners.values()].find((candidate) => candidate.stripeAccountId === accountId);
    return p ? clone(p) : undefined;
  }
  async personalPartnerId(sub: string) {
    return this.personal.get(sub);
  }
  async createPersonalPartner(partner: Partner, owner: { sub: string; email: string | null }) {
    const existing = this.personal.get(owner.sub);
    if (existing) return existing;
    this.personal.set(owner.sub, partner.id);
    await this.createTeamPartner(partner, owner);
    return partner.id;
  }
  async createTeamPartner(partner: Partner, owner: { sub: string; email: string | null }) {
    this.partners.set(partner.id, clone(partner));
    this.members.set(`${partner.id}|${owner.sub}`, {
      partnerId: partner.id,
      userSub: owner.sub,
      email: owner.email,
      role: 'owner',
      partnerKind: partner.kind,
      partnerName: partner.name,
      createdAt: partner.createdAt,
    });
  }
  async membership(partnerId: string, sub: string) {
    return this.members.get(`${partnerId}|${sub}`);
  }
  async membershipsOf(sub: string) {
    return [...this.members.values()].filter((m) => m.userSub === sub);
  }
  async membersOf(partnerId: string) {
    return [...this.members.values()].filter((m) => m.partnerId === partnerId);
  }
  async addMember(
    partner: Partner,
    member: { sub: string; email: string | null; role: Membership['role'] },
    at: string,
  ) {
    const key = `${partner.id}|${member.sub}`;
    // As the adapter's condition check: the partner exists *now* and is a team (never a personal partner).
    if (this.partners.get(partner.id)?.kind !== 'team') {
      fail('partner_not_found');
    }
    if (this.members.has(key)) fail('already_a_member', 'already');
    const membership: Membership = {
      partnerId: partner.id,
      userSub: member.sub,
      email: member.email,
      role: member.role,
      partnerKind: partner.kind,
      partnerName: partner.name,
      createdAt: at,
    };
    this.members.set(key, membership);
    return membership;
  }
  async removeMember(partnerId: string, sub: string, role: Membership['role']) {
    const key = `${partnerId}|${sub}`;
    if (this.members.get(key)?.role !== role) fail('member_not_found', 'gone');
    this.members.delete(key);
    const p = this.partners.get(partnerId);
    if (p) Object.assign(p, { stateVersion: p.stateVersion + 1, version: p.version + 1 });
  }
  async setContactEmail(partnerId: string, email: string, at: string) {
    const p = this.partners.get(partnerId);
    if (!p) fail('partner_not_found');
    Object.assign(p, { contactEmail: email, updatedAt: at, version: p.version + 1 });
    return clone(p);
  }
  async attachStripeAccount(partnerId: string, write: Parameters<PartnerRepository['attachStripeAccount']>[1]) {
    const p = this.partners.get(partnerId);
    if (!p || p.stripeAccountId || p.disconnectedAt || p.version !== write.expectedVersion) {
      return { attached: false as const };
    }
    Object.assign(p, {
      stripeAccountId: write.accountId,
      country: write.country,
      onboarding: clone(write.state),
      stateAsOf: write.stateAsOf,
      status: write.status,
      updatedAt: write.at,
      version: p.version + 1,
    });
    return { attached: true as const, partner: clone(p) };
  }
  async saveOnboardingState(partnerId: string, write: Parameters<PartnerRepository['saveOnboardingState']>[1]) {
    const p = this.partners.get(partnerId);
    if (!p || p.stripeAccountId !== write.accountId || p.disconnectedAt) return { written: false as const };
    if (p.stateAsOf !== null && p.stateAsOf > write.stateAsOf) return { written: false as const };
    if (p.version !== write.expectedVersion) return { written: false as const };
    Object.assign(p, {
      onboarding: clone(write.state),
      stateAsOf: write.stateAsOf,
      status: write.status,
      updatedAt: write.at,
      version: p.version + 1,
      lastEventCreated: write.eventCreated ?? p.lastEventCreated,
    });
    return { written: true as const, partner: clone(p) };
  }
  async markDisconnected(partnerId: string, accountId: string, at: string, eventCreated: number) {
    const p = this.partners.get(partnerId);
    if (!p || p.stripeAccountId !== accountId) return undefined;
    Object.assign(p, {
      disconnectedAt: p.disconnectedAt ?? at,
      status: 'disconnected',
      lastEventCreated: eventCreated,
    });
    return clone(p);
  }
  async setPayoutPreference(partnerId: string, preference: Partner['payoutPreference'], at: string) {
    const p = this.partners.get(partnerId);
    if (!p) fail('partner_not_found');
    Object.assign(p, { payoutPreference: preference, updatedAt: at, version: p.version + 1 });
    return clone(p);
  }
  async list() {
    return { partners: [...this.partners.values()].map(clone), nextCursor: null };
  }
  async listByDeadline({ until, limit }: { until: string; limit: number }) {
    const untilSeconds = Date.parse(until) / 1000;
    const due = [...this.partners.values()]
      .filter((p) => !p.disconnectedAt)
      .map((p) => ({ p, deadline: earliestDeadline(p.onboarding) }))
      .filter((x): x is { p: Partner; deadline: number } => x.deadline !== null && x.deadline <= untilSeconds)
      .sort((a, b) => a.deadline - b.deadline);
    return { partners: due.slice(0, limit).map((x) => clone(x.p)), nextCursor: null };
  }
}

/** A Stripe stand-in with Stripe's idempotency rule: one account per key, replayed for the same parameters. */
export class FakeStripe implements StripeConnect {
  accounts = new Map<string, StripeAccountSnapshot>();
  byKey = new Map<string, { params: string; accountId: string }>();
  calls: string[] = [];
  links: Array<{
    accountId: string;
    type: string;
    refreshUrl: string;
    returnUrl: string;
    collectionOptions?: unknown;
  }> = [];
  sessions: Array<{ accountId: string; partnerId: string; components: readonly string[] }> = [];
  inaccessible = new Set<string>();
  private next = 1;
  /** Called between "Stripe created the account" and the response: lets a test interleave a concurrent request. */
  onCreate: (() => Promise<void>) | undefined;

  async createExpressAccount(request: CreateAccountRequest) {
    this.calls.push('createExpressAccount');
    const key = `create-express-account:${request.partnerId}`;
    const params = JSON.stringify(request);
    const previous = this.byKey.get(key);
    if (previous && previous.params !== params) {
      fail('idempotency_conflict', 'Keys for idempotent requests can only be used with the same parameters');
    }
    if (!previous) {
      const accountId = `acct_${String(this.next++).padStart(16, '0')}`;
      this.byKey.set(key, { params, accountId });
      this.accounts.set(accountId, {
        accountId,
        country: request.country,
        partnerId: request.partnerId,
        state: onboardingState({
          pastDue: ['external_account'],
          currentlyDue: ['external_account'],
          disabledReason: 'requirements.past_due',
        }),
      });
    }
    await this.onCreate?.();
    const accountId = this.byKey.get(key)?.accountId ?? '';
    return clone(this.accounts.get(accountId) as StripeAccountSnapshot);
  }
  async retrieveAccount(accountId: string) {
    this.calls.push('retrieveAccount');
    const account = this.accounts.get(accountId);
    if (!account || this.inaccessible.has(accountId)) {
      fail('account_inaccessible', 'no access');
    }
    return clone(account);
  }
  async createAccountSession(request: { accountId: string; partnerId: string; components: readonly string[] }) {
    this.calls.push('createAccountSession');
    this.sessions.push(request);
    return { clientSecret: `accs_secret__${this.sessions.length}`, expiresAt: 1_700_001_800 };
  }
  async createAccountLink(request: {
    accountId: string;
    type: string;
    refreshUrl: string;
    returnUrl: string;
    collectionOptions?: unknown;
  }) {
    this.calls.push('createAccountLink');
    this.links.push(request);
    return { url: `https://connect.stripe.test/setup/${this.links.length}`, expiresAt: 1_700_000_300 };
  }
  async createLoginLink(accountId: string) {
    this.calls.push('createLoginLink');
    if (!this.accounts.get(accountId)?.state.detailsSubmitted) {
      fail('onboarding_incomplete', 'not yet');
    }
    return { url: `https://connect.stripe.test/express/${accountId}` };
  }
  setState(accountId: string, state: Partial<OnboardingState>) {
    const account = this.accounts.get(accountId);
    if (!account) throw new Error(`no ${accountId}`);
    account.state = { ...account.state, ...state };
  }
}

export class MemoryPayouts implements ConnectedPayoutStore {
  items = new Map<string, ConnectedPayout>();
  async get(partnerId: string, id: string) {
    return this.items.get(`${partnerId}|${id}`);
  }
  async putIfUnchanged(payout: ConnectedPayout, expectedEventId: string | null) {
    const key = `${payout.partnerId}|${payout.id}`;
    if ((this.items.get(key)?.eventId ?? null) !== expectedEventId) return false;
    this.items.set(key, clone(payout));
    return true;
  }
  async list(partnerId: string) {
    return { payouts: [...this.items.values()].filter((p) => p.partnerId === partnerId), nextCursor: null };
  }
}

export class MemoryRateLimiter implements RateLimiter {
  slots = new Map<string, number>();
  async tryAcquire(partnerId: string, scope: string, now: Date, intervalSeconds: number) {
    const key = `${partnerId}|${scope}`;
    const next = this.slots.get(key) ?? 0;
    if (now.getTime() < next)
      return { acquired: false as const, retryAfterSeconds: Math.ceil((next - now.getTime()) / 1000) };
    this.slots.set(key, now.getTime() + intervalSeconds * 1000);
    return { acquired: true as const };
  }
}

export class MemoryInvitations implements InvitationStore {
  items = new Map<string, Invitation>(); // id
  constructor(private readonly partners: MemoryPartners) {}
  async create(invitation: Invitation) {
    this.items.set(invitation.id, clone(invitation));
  }
  async get(partnerId: string, id: string) {
    const found = this.items.get(id);
    return found?.partnerId === partnerId ? clone(found) : undefined;
  }
  async findByTokenHash(tokenHash: string) {
    const found = [...this.items.values()].find((i) => i.tokenHash === tokenHash);
    return found ? clone(found) : undefined;
  }
  async list(partnerId: string) {
    return [...this.items.values()].filter((i) => i.partnerId === partnerId).map(clone);
  }
  async revoke(invitation: Invitation, by: string, at: string) {
    const stored = this.items.get(invitation.id);
    if (stored?.status !== 'pending') return false;
    Object.assign(stored, { status: 'revoked', revokedBy: by, revokedAt: at });
    return true;
  }
  async accept(
    invitation: Invitation,
    partner: Partner,
    member: { sub: string; email: string | null; role: Membership['role'] },
    at: string,
  ) {
    const stored = this.items.get(invitation.id);
    if (stored?.status !== 'pending' || stored.expiresAt <= at) {
      fail('invitation_not_pending', 'not pending');
    }
    const membership = await this.partners.addMember(partner, member, at);
    Object.assign(stored, { status: 'accepted', acceptedBy: member.sub, acceptedAt: at });
    return membership;
  }
}

export const TEST_SETTINGS: PartnerSettings = {
  allowedCountries: ['US', 'GB'],
  platformCountry: 'US',
  defaultCountry: 'US',
  defaultCurrency: 'usd',
  apiBaseUrl: 'https://api.example.test/prod/',
  appUrl: '',
  allowedReturnTargets: ['https://partners.example.test', 'umuvepro://'],
  onboardingStateTtlSeconds: 900,
  onboardingRefreshIntervalSeconds: 5,
  statusRefreshIntervalSeconds: 10,
  accountController: { feesPayer: 'application', lossesPayments: 'application' },
  onboardingCollection: { fields: 'eventually_due', futureRequirements: 'include' },
  accountSessionComponents: ['account_onboarding', 'notification_banner'],
  publishableKey: 'pk_test_unit',
  dueSoonDays: 14,
};

export interface TestWorld {
  deps: PartnerDeps;
  partners: MemoryPartners;
  stripe: FakeStripe;
  invitations: MemoryInvitations;
  payouts: MemoryPayouts;
  clock: { t: number; advance(ms: number): void };
  warnings: string[];
}

export function testWorld(settings: Partial<PartnerSettings> = {}): TestWorld {
  const partners = new MemoryPartners();
  const stripe = new FakeStripe();
  const invitations = new MemoryInvitations(partners);
  const payouts = new MemoryPayouts();
  const clock = {
    t: Date.parse('2026-03-01T12:00:00.000Z'),
    advance(ms: number) {
      this.t += ms;
    },
  };
  let ids = 0;
  let tokens = 0;
  const warnings: string[] = [];
  const deps: PartnerDeps = {
    partners,
    stripe,
    invitations,
    newInvitationToken: () => `${'t'.repeat(38)}${String(++tokens).padStart(5, '0')}`,
    newInvitationId: () => `inv_${(++ids).toString(16).padStart(24, '0')}`,
    connectedPayouts: payouts,
    rateLimiter: new MemoryRateLimiter(),
    // Every read of the clock moves it 1 ms, so "began later" is always strictly later.
    clock: { now: () => new Date(clock.t++) },
    newPartnerId: () => `ptn_${(++ids).toString(16).padStart(24, '0')}`,
    stateSigningKey: async () => 'unit-test-signing-key',
    settings: { ...TEST_SETTINGS, ...settings },
    log: { info: () => undefined, warn: (message) => warnings.push(message) },
  };
  return { deps, partners, stripe, invitations, payouts, clock, warnings };
}
