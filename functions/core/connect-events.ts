import { type ConnectedPayout, type ConnectedPayoutStatus, supersedes } from './connected-payout.ts';
import { hasCode } from './errors.ts';
import { syncAccountState } from './onboarding.ts';
import type { PartnerDeps } from './partner-access.ts';
import { partnerDisconnectedEvent } from './partner-events.ts';
import type { StripeAccountSnapshot } from './partner-ports.ts';
import { connectedPayoutEvents } from './payout-events.ts';

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
      const now = deps.clock.now();
      const events = partner.disconnectedAt ? [] : [partnerDisconnectedEvent(partner, event.accountId, now)];
      await deps.partners.markDisconnected(partner.id, event.accountId, now.toISOString(), event.created, events);
      return 'disconnected';
    }
    case 'payout':
      return payoutChanged(deps, event);
    case 'ignored':
      return 'ignored';
  }
}

/**
 * An account-shaped event: re-read the account of the partner that holds it. Only the account our own idempotent
 * create stored on the partner is ever attached to it (by the creating request, or its retry with the same key);
 * an event for an account no partner holds is acknowledged and logged — whatever its metadata says. Metadata is
 * written by whoever created the account, so `partner_id` on a foreign account proves nothing.
 */
async function accountChanged(
  deps: PartnerDeps,
  event: Extract<ConnectEvent, { kind: 'account_changed' }>,
): Promise<ConnectEventOutcome> {
  const known = await deps.partners.findByStripeAccount(event.accountId);
  if (known?.disconnectedAt) return 'ignored_disconnected';
  if (known) return (await syncAccountState(deps, known, event.created)).outcome;

  // The index lags a write by moments: a brand-new account's first events can arrive before it shows the partner
  // our create stored it on. Its metadata says which partner to read (consistently) — and that partner's stored
  // account id, not the metadata, decides.
  let snapshot: StripeAccountSnapshot;
  try {
    snapshot = await deps.stripe.retrieveAccount(event.accountId);
  } catch (error) {
    if (hasCode(error, 'account_inaccessible')) return 'account_inaccessible';
    throw error;
  }
  const named = snapshot.partnerId ? await deps.partners.get(snapshot.partnerId) : undefined;
  if (named?.stripeAccountId === event.accountId) {
    if (named.disconnectedAt) return 'ignored_disconnected';
    return (await syncAccountState(deps, named, event.created)).outcome;
  }
  deps.log.warn('Connect event for an account no partner holds; not attached', {
    accountId: event.accountId,
    eventId: event.id,
    metadataPartnerId: snapshot.partnerId,
  });
  return 'unknown_account';
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
    const events = connectedPayoutEvents(stored, incoming, deps.clock.now());
    if (await deps.connectedPayouts.putIfUnchanged(incoming, stored?.eventId ?? null, events)) return 'recorded';
  }
  return 'stale';
}
