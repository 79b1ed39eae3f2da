import { type DomainEvent, domainEvent } from './domain-events.ts';
import type { Payment } from './payment.ts';

/** Statuses of a payment whose money was captured (a refund can follow in the same read). */
const SETTLED: ReadonlySet<Payment['status']> = new Set(['paid', 'partially_refunded', 'refunded']);

/**
 * The domain events of a payment's settlement: what changed between the stored payment and the one about to be
 * written. Written in the same transaction as the payment (the outbox), so they exist exactly when it changed.
 * Each occurrence is named by what it reached — a status (statuses only move forward) or a cumulative refunded
 * amount (it only grows) — so a re-planned settlement cannot produce a second event for the same change.
 */
export function paymentEvents(before: Payment, after: Payment, at: Date): DomainEvent[] {
  const events: DomainEvent[] = [];
  // The platform's reference travels in every event about the payment and its order.
  const money = { amount: after.amount, currency: after.currency, reference: after.reference };
  const partnerId = after.partnerId;
  const reached = (status: Payment['status']) => after.status === status && before.status !== status;

  if (!SETTLED.has(before.status) && SETTLED.has(after.status)) {
    events.push(
      domainEvent(
        'payment.paid',
        `${after.id}:paid`,
        { ...money, paymentId: after.id, orderId: after.orderId, fee: after.fee, net: after.net },
        at,
        partnerId,
      ),
    );
    if (after.orderId) {
      const data = { ...money, orderId: after.orderId, paymentId: after.id };
      events.push(domainEvent('order.paid', `${after.orderId}:paid`, data, at, partnerId));
    }
  }
  if (reached('failed')) {
    events.push(
      domainEvent(
        'payment.failed',
        `${after.id}:failed`,
        { ...money, paymentId: after.id, failureCode: after.failureCode },
        at,
        partnerId,
      ),
    );
  }
  if (reached('canceled') && after.orderId) {
    events.push(
      domainEvent(
        'order.canceled',
        `${after.orderId}:canceled`,
        { orderId: after.orderId, paymentId: after.id, reference: after.reference },
        at,
        partnerId,
      ),
    );
  }
  if (after.amountRefunded > before.amountRefunded) {
    const refund = { ...money, amountRefunded: after.amountRefunded };
    events.push(
      domainEvent(
        'payment.refunded',
        `${after.id}:refunded:${after.amountRefunded}`,
        { ...refund, paymentId: after.id },
        at,
        partnerId,
      ),
    );
    if (after.orderId) {
      events.push(
        domainEvent(
          'order.refunded',
          `${after.orderId}:refunded:${after.amountRefunded}`,
          { ...refund, orderId: after.orderId, paymentId: after.id },
          at,
          partnerId,
        ),
      );
    }
  }
  return events;
}
