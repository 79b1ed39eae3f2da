import { type ConnectedPayout, type ConnectedPayoutStatus, supersedes } from './connected-payout.ts';
import { isDomainError } from './errors.ts';
import { syncAccountState } from './onboarding.ts';
import { deriveStatus, type Partner } from './partner.ts';
import type { PartnerDeps } from './partner-access.ts';
import type { StripeAccountSnapshot } from './partner-ports.ts';

/**
 * Connect webhook events, as the webhook adapter normalizes them. Account-shaped events only say "this account
 * changed": their payload may be older than what we already stored (Stripe delivers late, twice and out of order),
 * so the account is re-read from Stripe and stored with a compare-and-set on the read time.
 */
export type ConnectEvent =
  | { kind: 'account_changed'; id: string; type: string; created: number; accountId: string }
  | { kind: 'deauthorized'; id: string; type: string; created: number; accountId: string }
  | {
      kind: 'payout';
      id: string;
      type: string;
      created: number;
      accountId: string;
      payout: {
        id: string;
        amount: number;
        currency: string;
        status: ConnectedPayoutStatus;
        arrivalDate: number | null;
        failureCode: string | null;
        failureMessage: string | null;
      };
    }
  | { kind: 'ignored'; id: string; type: string; created: number; accountId: string | null };

export type ConnectEventOutcome =
  | 'synced'
  | 'attached'
  | 'stale'
  | 'disconnected'
  | 'recorded'
  | 'ignored'
  | 'ignored_disconnected'
  | 'unknown_account'
  | 'account_inaccessible';

export async function handleConnectEvent(deps: PartnerDeps, event: ConnectEvent): Promise<ConnectEventOutcome> {
  switch (event.kind) {
    case 'account_changed':
      return accountChanged(deps, event);
    case 'deauthorized': {
      const partner = await deps.partners.findByStripeAccount(event.accountId);
      if (!partner) return 'unknown_account';
      await deps.partners.markDisconnected(partner.id, event.accountId, deps.clock.now().toISOString(), event.created);
      return 'disconnected';
    }
    case 'payout':
      return payoutChanged(deps, event);
    case 'ignored':
      return 'ignored';
  }
}

async function accountChanged(
  deps: PartnerDeps,
  event: Extract<ConnectEvent, { kind: 'account_changed' }>,
): Promise<ConnectEventOutcome> {
  const known = await deps.partners.findByStripeAccount(event.accountId);
  if (known?.disconnectedAt) return 'ignored_disconnected';
  if (known) return (await syncAccountState(deps, known, event.created)).outcome;

  // Not (yet) visible through the index: the account may be seconds old. Our metadata names its partner.
  const stateAsOf = deps.clock.now().toISOString();
  let snapshot: StripeAccountSnapshot;
  try {
    snapshot = await deps.stripe.retrieveAccount(event.accountId);
  } catch (error) {
    if (isDomainError(error) && error.code === 'account_inaccessible') return 'account_inaccessible';
    throw error;
  }
  const partner: Partner | undefined = snapshot.partnerId ? await deps.partners.get(snapshot.partnerId) : undefined;
  if (!partner) return 'unknown_account';
  if (partner.disconnectedAt) return 'ignored_disconnected';
  const write = {
    accountId: snapshot.accountId,
    country: snapshot.country,
    state: snapshot.state,
    status: deriveStatus({ stripeAccountId: snapshot.accountId, onboarding: snapshot.state, disconnected: false }),
    stateAsOf,
    at: deps.clock.now().toISOString(),
    eventCreated: event.created,
  };
  if (!partner.stripeAccountId) {
    // The creating request has not stored the id yet; storing it here is the same conditional write.
    const attached = await deps.partners.attachStripeAccount(partner.id, write);
    return attached.attached ? 'attached' : 'stale';
  }
  if (partner.stripeAccountId !== snapshot.accountId) return 'unknown_account';
  const saved = await deps.partners.saveOnboardingState(partner.id, write);
  return saved.written ? 'synced' : 'stale';
}

async function payoutChanged(
  deps: PartnerDeps,
  event: Extract<ConnectEvent, { kind: 'payout' }>,
): Promise<ConnectEventOutcome> {
  const partner = await deps.partners.findByStripeAccount(event.accountId);
  if (!partner) return 'unknown_account';
  const incoming: ConnectedPayout = {
    ...event.payout,
    partnerId: partner.id,
    accountId: event.accountId,
    eventCreated: event.created,
    eventId: event.id,
    updatedAt: deps.clock.now().toISOString(),
  };
  // A concurrent delivery of another event for the same payout can win the write; decide again against it.
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const stored = await deps.connectedPayouts.get(partner.id, incoming.id);
    if (!supersedes(incoming, stored)) return 'stale';
    if (await deps.connectedPayouts.putIfUnchanged(incoming, stored?.eventId ?? null)) return 'recorded';
  }
  return 'stale';
}
