/**
 * Payouts Stripe makes from a connected account's balance to the partner's bank (`payout.*` events on the Connect
 * endpoint). We record them so the partner sees them next to their earnings; Stripe remains the source of truth.
 */
export type ConnectedPayoutStatus = 'paid' | 'failed' | 'pending' | 'in_transit' | 'canceled';

export interface ConnectedPayout {
  id: string;
  partnerId: string;
  accountId: string;
  /** Minor units. */
  amount: number;
  currency: string;
  status: ConnectedPayoutStatus;
  /** Epoch seconds. */
  arrivalDate: number | null;
  failureCode: string | null;
  failureMessage: string | null;
  /** Stripe `created` of the event that produced this record. */
  eventCreated: number;
  eventId: string;
  updatedAt: string;
}

/**
 * Whether a payout is still on its way (Stripe can still pay, fail or cancel it): only open payouts are in
 * reconciliation's work index, and a record leaves it with the event that makes it final.
 */
export const CONNECTED_PAYOUT_OPEN: Readonly<Record<ConnectedPayoutStatus, boolean>> = {
  pending: true,
  in_transit: true,
  paid: false,
  failed: false,
  canceled: false,
};

/**
 * How far along a payout is, for events of the same second: a later stage wins. `failed` is last: a paid payout can
 * still fail (the bank returns it), a failed payout never becomes paid.
 */
const STAGE: Readonly<Record<ConnectedPayoutStatus, number>> = {
  pending: 0,
  in_transit: 1,
  paid: 2,
  canceled: 2,
  failed: 3,
};

/**
 * Whether an incoming event should replace the stored record. Newer events win. At the same second (Stripe's
 * `created` is in seconds: `payout.created` and `payout.paid` can share one), the later stage wins (STAGE).
 */
export function supersedes(incoming: ConnectedPayout, stored: ConnectedPayout | undefined): boolean {
  if (!stored) return true;
  if (incoming.eventId === stored.eventId) return false;
  if (incoming.eventCreated !== stored.eventCreated) return incoming.eventCreated > stored.eventCreated;
  return STAGE[incoming.status] > STAGE[stored.status];
}
