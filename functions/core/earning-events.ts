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
    heldEarningData(earning.entryId, earning.externalId, earning),
    new Date(earning.recordedAt),
    earning.partnerId,
  );
}

/** What both earning events say of the held earning (its external id is the ledger entry's `reference`). */
function heldEarningData(
  entryId: string,
  externalId: string,
  money: { amount: number; currency: string; availableAt: number },
) {
  return {
    entryId,
    externalId,
    source: externalId.startsWith('commission:') ? ('commission' as const) : ('recorded' as const),
    amount: money.amount,
    currency: money.currency,
    availableAt: new Date(money.availableAt).toISOString(),
  };
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
      ...heldEarningData(entry.id, entry.reference, { ...entry, availableAt: entry.availableAt ?? at.getTime() }),
      reference: entry.platformReference ?? null,
    },
    at,
    entry.partnerId,
  );
}
