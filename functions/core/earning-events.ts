import { type DomainEvent, domainEvent } from './domain-events.ts';
import type { HeldEarning, LedgerRecord } from './payment-ports.ts';

/**
 * `earning.recorded`: a held earning (an operator's `POST /admin/earnings`, or a referral commission) was written,
 * in the same transaction as the earning and its ledger entry. Once per external id (the earning's own key).
 */
export function earningRecordedEvent(earning: HeldEarning): DomainEvent {
  return domainEvent(
    'earning.recorded',
    `${earning.externalId}:recorded`,
    {
      entryId: earning.entryId,
      externalId: earning.externalId,
      source: earning.externalId.startsWith('commission:') ? 'commission' : 'recorded',
      amount: earning.amount,
      currency: earning.currency,
      availableAt: new Date(earning.availableAt).toISOString(),
    },
    new Date(earning.recordedAt),
    earning.partnerId,
  );
}

/**
 * `earning.available`: a held earning's holding period ended and the transition was stored (the availability
 * sweep, functions/core/earning-availability.ts), in the same transaction as the transition. Once per earning
 * entry; `occurredAt` is when the sweep stored it, `availableAt` when the holding period ended.
 */
export function earningAvailableEvent(entry: LedgerRecord, at: Date): DomainEvent<'earning.available'> {
  return domainEvent(
    'earning.available',
    `${entry.id}:available`,
    {
      entryId: entry.id,
      externalId: entry.reference,
      source: entry.reference.startsWith('commission:') ? 'commission' : 'recorded',
      amount: entry.amount,
      currency: entry.currency,
      availableAt: new Date(entry.availableAt ?? at.getTime()).toISOString(),
      reference: entry.platformReference ?? null,
    },
    at,
    entry.partnerId,
  );
}
