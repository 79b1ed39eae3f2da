import type { DisputeWrite } from './disputes.ts';
import { type DomainEvent, domainEvent } from './domain-events.ts';

/**
 * The domain events of a dispute record's write, in the same transaction (the outbox):
 * - `payment.disputed` with the record's first write (a dispute seen for the first time);
 * - `payment.dispute_closed` with the write that reaches `won` or `lost` (both final: written once).
 * A dispute already closed when first seen gets both. The event names the payment's partner when one seller holds
 * the whole dispute (null when several sellers share it; `GET /admin/orders/{id}` lists them).
 */
export function disputeEvents(write: DisputeWrite): DomainEvent[] {
  const { record } = write;
  const at = new Date(record.updatedAt);
  const currency = record.shares[0]?.currency ?? '';
  const partnerId = record.shares.length === 1 ? (record.shares[0]?.partnerId ?? null) : null;
  const base = { paymentId: record.paymentId, disputeId: record.id, amount: record.amount, currency };
  const events: DomainEvent[] = [];
  if (write.expectedVersion === null) {
    events.push(
      domainEvent('payment.disputed', `${record.id}:disputed`, { ...base, status: record.status }, at, partnerId),
    );
  }
  if (record.phase === 'won' || record.phase === 'lost') {
    events.push(
      domainEvent(
        'payment.dispute_closed',
        `${record.id}:closed`,
        { ...base, status: record.status, outcome: record.phase },
        at,
        partnerId,
      ),
    );
  }
  return events;
}
