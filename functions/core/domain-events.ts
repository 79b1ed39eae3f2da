import { createHash } from 'node:crypto';
import { DOMAIN_EVENT_VERSIONS } from './domain-event-types.ts';

/**
 * Domain events: what the platform and partners are told. Each one is written as an outbox item in the same
 * DynamoDB transaction as the change it describes, so an event exists exactly when its change committed. A stream
 * publisher carries committed events to the event bus; deliveries (platform webhooks, partner emails) hang off
 * the bus. Delivery is at least once: consumers de-duplicate by `id`.
 *
 * Event ids are derived from what happened (type + the subject's own id and version), never random, so a retried
 * transaction or a re-processed webhook writes the same event id and the outbox's conditional put keeps one.
 */

/** The `source` of every event we put on the event bus (the stack's rules match on it). */
export const EVENT_SOURCE = 'connect-payouts';

/** The envelope every consumer sees (also the body of a platform webhook delivery). */
export interface DomainEvent<T extends DomainEventType = DomainEventType> {
  id: string;
  type: T;
  /** The version of `data`'s shape for this type; a breaking change to a type's data gets a new version. */
  version: number;
  /** ISO-8601 time the change committed (our clock). */
  occurredAt: string;
  /** The partner the event is about, when there is one (partners only ever see their own). */
  partnerId: string | null;
  data: DomainEventData[T];
}

interface MoneyData {
  amount: number;
  currency: string;
}

/**
 * The platform's own reference of the payment or order (its payment request's or order's), null when none: added
 * to the data of version 1 (an additive field; consumers ignore fields they do not know).
 */
interface ReferenceData {
  reference?: string | null;
}

/** The platform's references of the earnings a payout covers (additive, like `reference`). */
interface PayoutReferences {
  references?: string[];
}

/** What each event type carries. Amounts are minor units; ids are ours unless the field names Stripe. */
export interface DomainEventData {
  'partner.status_changed': { partnerId: string; from: string | null; to: string };
  'partner.action_required': {
    partnerId: string;
    /** `due` now, `overdue` (Stripe's deadline passed), or `upcoming` (announced ahead of time). */
    kind: 'due' | 'overdue' | 'upcoming';
    fields: string[];
    deadline: string | null;
  };
  'order.paid': MoneyData & ReferenceData & { orderId: string; paymentId: string };
  'order.canceled': ReferenceData & { orderId: string; paymentId: string };
  'order.refunded': MoneyData & ReferenceData & { orderId: string; paymentId: string; amountRefunded: number };
  'payment.paid': MoneyData & ReferenceData & { paymentId: string; orderId: string | null; fee: number; net: number };
  'payment.failed': MoneyData & ReferenceData & { paymentId: string; failureCode: string | null };
  'payment.refunded': MoneyData & ReferenceData & { paymentId: string; amountRefunded: number };
  'payment.disputed': MoneyData & ReferenceData & { paymentId: string; disputeId: string; status: string };
  'payment.dispute_closed': MoneyData &
    ReferenceData & {
      paymentId: string;
      disputeId: string;
      status: string;
      outcome: 'won' | 'lost';
    };
  'earning.recorded': MoneyData &
    ReferenceData & {
      entryId: string;
      externalId: string;
      source: 'recorded' | 'commission';
      availableAt: string;
    };
  'earning.available': MoneyData &
    ReferenceData & {
      entryId: string;
      externalId: string;
      source: 'recorded' | 'commission';
      /** When the holding period ended (the event's `occurredAt` is when the transition was stored). */
      availableAt: string;
    };
  'payout.paid': MoneyData & PayoutReferences & { payoutId: string; period: string; transferId: string };
  /**
   * `stage: transfer`: Stripe refused our monthly payout's transfer (`payoutId` is ours, with its `period`);
   * `stage: bank_payout`: Stripe's payout from the connected account to the partner's bank failed (`payoutId` is
   * Stripe's `po_…`, `period` null). `reason` is Stripe's failure code when it gave one.
   */
  'payout.failed': MoneyData &
    PayoutReferences & {
      payoutId: string;
      period: string | null;
      stage: 'transfer' | 'bank_payout';
      reason: string;
      message: string | null;
    };
  'payout.reversed': MoneyData & PayoutReferences & { payoutId: string; period: string; amountReversed: number };
  'payout.awaiting_funds': MoneyData & PayoutReferences & { payoutId: string; period: string };
  'payout.carried_forward': MoneyData & PayoutReferences & { payoutId: string; period: string; reason: string };
  'payout_run.completed': {
    runId: string;
    period: string;
    paid: number;
    failed: number;
    carriedForward: number;
    /** What was paid, per currency (minor units); empty when nothing was. */
    paidAmounts: MoneyData[];
  };
  'reconciliation.discrepancy': { date: string; kind: string; stripeId: string | null; detail: string };
}

export type DomainEventType = keyof DomainEventData;

export { DOMAIN_EVENT_TYPES, DOMAIN_EVENT_VERSIONS } from './domain-event-types.ts';

export const isDomainEventType = (value: string): value is DomainEventType =>
  Object.hasOwn(DOMAIN_EVENT_VERSIONS, value);

/**
 * The event for a change. `occurrence` names this change of this subject uniquely and stably (e.g. the payment id
 * and the status it reached, or a payout id and its reversed total): the same occurrence always gets the same id.
 */
export function domainEvent<T extends DomainEventType>(
  type: T,
  occurrence: string,
  data: DomainEventData[T],
  at: Date,
  partnerId: string | null,
): DomainEvent<T> {
  const digest = createHash('sha256').update(`${type}\n${occurrence}`).digest('hex').slice(0, 24);
  return {
    id: `ev_${digest}`,
    type,
    version: DOMAIN_EVENT_VERSIONS[type],
    occurredAt: at.toISOString(),
    partnerId,
    data,
  };
}
