import { type DomainEvent, domainEvent } from './domain-events.ts';
import type { HeldEarning } from './payment-ports.ts';

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
