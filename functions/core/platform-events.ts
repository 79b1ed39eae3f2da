import { handleDispute } from './disputes.ts';
import { syncCommission } from './earnings.ts';
import type { Dispute } from './payment.ts';
import type { PaymentDeps } from './payment-ports.ts';
import { handlePayoutReversal, type PayoutDeps, requeueAwaitingFunds } from './payouts.ts';
import { cancelPayment, settlePayment } from './settlement.ts';

/** What every platform event carries from Stripe's envelope. */
interface EventBase {
  id: string;
  type: string;
  created: number;
}

/**
 * Platform webhook events as the Stripe adapter maps them (`toPlatformEvent`): one typed domain event per thing the
 * platform acts on. Payment-shaped events name the PaymentIntent they concern (or the charge, when only that is
 * known); the handler re-reads the PaymentIntent from Stripe and converges on it, so the event's own payload —
 * possibly old — never decides a state.
 */
export type PlatformEvent =
  | (EventBase & { kind: 'payment'; paymentIntentId: string })
  | (EventBase & { kind: 'charge'; chargeId: string })
  | (EventBase & {
      kind: 'dispute';
      paymentIntentId: string | null;
      chargeId: string | null;
      dispute: Omit<Dispute, 'eventCreated'>;
    })
  /** A Checkout Session expired (it may never have created a PaymentIntent). */
  | (EventBase & { kind: 'checkout_expired'; sessionId: string })
  /** `balance.available`: funds arrived on the platform balance; transfer payouts waiting for funds can go again. */
  | (EventBase & { kind: 'funds_available' })
  /**
   * A reversal of a transfer payout (a Transfer the monthly run sent: no source charge, our payout's ids in its
   * metadata). `amountReversed` is the transfer's total reversed so far, not this reversal's part.
   */
  | (EventBase & {
      kind: 'transfer_payout_reversed';
      partnerId: string;
      payoutId: string;
      transferId: string;
      amountReversed: number;
    })
  | (EventBase & { kind: 'ignored' });

export type PlatformEventKind = PlatformEvent['kind'];

/**
 * What the platform events' handlers need, built only when an event of their kind arrives: payments (the table and
 * Stripe's payment reads) and the transfer payout run (the table, plus the Transfers and payout-queue ports).
 */
export interface PlatformEventDeps {
  payments(): PaymentDeps;
  payouts(): Promise<PayoutDeps>;
}

/** Our metadata on every PaymentIntent we create (for Checkout, through `payment_intent_data.metadata`). */
export const PAYMENT_ID_METADATA_KEY = 'paymentId';

type Handler<K extends PlatformEventKind> = (
  deps: PlatformEventDeps,
  event: Extract<PlatformEvent, { kind: K }>,
) => Promise<string>;

/** Re-reads the PaymentIntent and settles our payment on it, or syncs the commission of a payment we did not create. */
async function paymentChanged(deps: PaymentDeps, paymentIntentId: string, created: number): Promise<string> {
  const view = await deps.stripe.retrievePayment(paymentIntentId);
  const paymentId = view.metadata[PAYMENT_ID_METADATA_KEY];
  if (paymentId) return settlePayment(deps, paymentId, view, created);
  return syncCommission(deps, view, created);
}

/**
 * An expired Checkout Session can no longer be paid: its payment (and order) become canceled — unless Stripe says
 * its PaymentIntent succeeded after all, which settles as usual. The session is re-read: the event never decides.
 */
const checkoutExpired: Handler<'checkout_expired'> = async ({ payments }, event) => {
  const deps = payments();
  const session = await deps.stripe.retrieveCheckoutSession(event.sessionId);
  const paymentId = session.metadata[PAYMENT_ID_METADATA_KEY];
  if (!paymentId) return 'ignored_session';
  if (session.status !== 'expired') return 'session_not_expired';
  if (session.paymentIntentId) {
    const view = await deps.stripe.retrievePayment(session.paymentIntentId);
    if (view.outcome === 'succeeded') return settlePayment(deps, paymentId, view, event.created);
  }
  return cancelPayment(deps, paymentId);
};

/** Transfer payouts that waited for funds are queued again, one page per event (the queue carries the rest). */
const fundsAvailable: Handler<'funds_available'> = async ({ payouts }) => {
  const { queued, done } = await requeueAwaitingFunds(await payouts());
  if (queued === 0) return 'no payout awaiting funds';
  return done ? `requeued ${queued} payouts awaiting funds` : `requeued ${queued} payouts awaiting funds, more queued`;
};

/**
 * The one dispatch of platform events, whichever channel brought them (webhook or EventBridge): one handler per
 * kind, so a new kind fails to compile until it is handled.
 */
const HANDLERS: { readonly [K in PlatformEventKind]: Handler<K> } = {
  payment: async ({ payments }, event) => paymentChanged(payments(), event.paymentIntentId, event.created),
  charge: async ({ payments }, event) => {
    const deps = payments();
    const paymentIntentId = await deps.stripe.paymentIntentOfCharge(event.chargeId);
    if (!paymentIntentId) return 'no_payment_intent';
    return paymentChanged(deps, paymentIntentId, event.created);
  },
  // A dispute is re-read from Stripe with its payment: holds, releases and clawbacks follow its current state.
  dispute: async ({ payments }, event) => handleDispute(payments(), event.dispute.id, event.created),
  checkout_expired: checkoutExpired,
  funds_available: fundsAvailable,
  transfer_payout_reversed: async ({ payouts }, event) =>
    handlePayoutReversal(await payouts(), {
      partnerId: event.partnerId,
      payoutId: event.payoutId,
      transferId: event.transferId,
      amountReversed: event.amountReversed,
      // One reversal per reversed total: a redelivery of the same total is the same reversal.
      reversalId: `${event.transferId}_${event.amountReversed}`,
    }),
  ignored: async () => 'ignored',
};

/** Handles one platform event and names the outcome (for logs). Idempotent: every handler re-reads and converges. */
export function handlePlatformEvent(deps: PlatformEventDeps, event: PlatformEvent): Promise<string> {
  const handle = HANDLERS[event.kind] as (deps: PlatformEventDeps, event: PlatformEvent) => Promise<string>;
  return handle(deps, event);
}
