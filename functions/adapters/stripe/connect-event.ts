import type Stripe from 'stripe';
import type { ConnectEvent } from '#core/connect-events';
import type { ConnectedPayoutStatus } from '#core/connected-payout';

const idOf = (value: string | { id: string } | null | undefined): string | null =>
  value === null || value === undefined ? null : typeof value === 'string' ? value : value.id;

const PAYOUT_STATUSES = new Set<string>(['paid', 'failed', 'pending', 'in_transit', 'canceled']);

/** The event types the Connect endpoint subscribes to (Stripe's `enabled_events`): exactly those mapped below. */
export const CONNECT_EVENT_TYPES = [
  'account.updated',
  'capability.updated',
  'account.external_account.created',
  'account.external_account.updated',
  'account.external_account.deleted',
  'account.application.deauthorized',
  'payout.created',
  'payout.updated',
  'payout.paid',
  'payout.failed',
  'payout.canceled',
] as const satisfies readonly Stripe.Event.Type[];

/** Maps a verified Connect event to what the domain handles; everything else is `ignored` (answered 200, logged). */
export function toConnectEvent(event: Stripe.Event): ConnectEvent {
  const base = { id: event.id, type: event.type, created: event.created };
  const ignored = (): ConnectEvent => ({ kind: 'ignored', ...base, accountId: event.account ?? null });
  switch (event.type) {
    case 'account.updated':
      return { kind: 'account_changed', ...base, accountId: event.account ?? event.data.object.id };
    case 'capability.updated': {
      const accountId = event.account ?? idOf(event.data.object.account);
      return accountId ? { kind: 'account_changed', ...base, accountId } : ignored();
    }
    case 'account.external_account.created':
    case 'account.external_account.updated':
    case 'account.external_account.deleted': {
      // A bank account change can switch payouts on or off: re-read the account (no bank data is stored).
      const accountId = event.account ?? null;
      return accountId ? { kind: 'account_changed', ...base, accountId } : ignored();
    }
    case 'account.application.deauthorized':
      return event.account ? { kind: 'deauthorized', ...base, accountId: event.account } : ignored();
    case 'payout.created':
    case 'payout.updated':
    case 'payout.paid':
    case 'payout.failed':
    case 'payout.canceled': {
      // Only payouts of connected accounts (the event names the account); platform payouts are not ours to show.
      if (!event.account) return ignored();
      const payout = event.data.object;
      const status = PAYOUT_STATUSES.has(payout.status) ? (payout.status as ConnectedPayoutStatus) : 'pending';
      return {
        kind: 'payout',
        ...base,
        accountId: event.account,
        payout: {
          id: payout.id,
          amount: payout.amount,
          currency: payout.currency,
          status: event.type === 'payout.failed' ? 'failed' : event.type === 'payout.canceled' ? 'canceled' : status,
          arrivalDate: payout.arrival_date ?? null,
          failureCode: payout.failure_code ?? null,
          failureMessage: payout.failure_message ?? null,
        },
      };
    }
    default:
      return ignored();
  }
}
