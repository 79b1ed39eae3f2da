import type { DomainEventType } from './domain-events.ts';

/*
 * The catalog of domain event types in a module of its own, with no imports at run time, so the web app's event
 * filters read the same list the API validates against.
 */

/** Every type and its current data version: a new type fails to compile until it is listed here. */
export const DOMAIN_EVENT_VERSIONS: Readonly<Record<DomainEventType, number>> = {
  'partner.status_changed': 1,
  'partner.action_required': 1,
  'order.paid': 1,
  'order.canceled': 1,
  'order.refunded': 1,
  'payment.paid': 1,
  'payment.failed': 1,
  'payment.refunded': 1,
  'payment.disputed': 1,
  'payment.dispute_closed': 1,
  'earning.recorded': 1,
  'earning.available': 1,
  'payout.paid': 1,
  'payout.failed': 1,
  'payout.reversed': 1,
  'payout.awaiting_funds': 1,
  'payout.carried_forward': 1,
  'payout_run.completed': 1,
  'reconciliation.discrepancy': 1,
};

export const DOMAIN_EVENT_TYPES = Object.keys(DOMAIN_EVENT_VERSIONS) as DomainEventType[];
