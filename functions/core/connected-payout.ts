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
 * Whether an incoming event should replace the stored record. Newer events win. At the same second, `failed` wins:
 * a paid payout can still fail (the bank returns it), a failed payout never becomes paid.
 */
export function supersedes(incoming: ConnectedPayout, stored: ConnectedPayout | undefined): boolean {
  if (!stored) return true;
  if (incoming.eventId === stored.eventId) return false;
  if (incoming.eventCreated !== stored.eventCreated) return incoming.eventCreated > stored.eventCreated;
  return incoming.status === 'failed' && stored.status !== 'failed';
}
