import { type DomainEvent, domainEvent } from './domain-events.ts';
import type { Payout } from './payouts.ts';

/**
 * The domain events of a monthly payout's transitions, written in the same transaction as the transition (the
 * outbox). Occurrences: paid and carried forward happen once per payout; a payout may wait for funds once per send
 * attempt; a reversal is named by the cumulative amount reversed (it only grows).
 */
const money = (payout: Payout) => ({
  payoutId: payout.id,
  period: payout.period,
  amount: payout.amount,
  currency: payout.currency,
  // The platform's references of the earnings the payout covers (each once, in entry order).
  references: [
    ...new Set(payout.entries.flatMap((entry) => (entry.platformReference ? [entry.platformReference] : []))),
  ],
});

export const payoutPaidEvent = (payout: Payout, transferId: string, at: string): DomainEvent =>
  domainEvent('payout.paid', `${payout.id}:paid`, { ...money(payout), transferId }, new Date(at), payout.partnerId);

export const payoutCarriedForwardEvent = (payout: Payout, reason: string, at: string): DomainEvent =>
  domainEvent(
    'payout.carried_forward',
    `${payout.id}:carried_forward`,
    { ...money(payout), reason },
    new Date(at),
    payout.partnerId,
  );

export const payoutAwaitingFundsEvent = (payout: Payout, attempt: number, at: string): DomainEvent =>
  domainEvent(
    'payout.awaiting_funds',
    `${payout.id}:awaiting_funds:${attempt}`,
    money(payout),
    new Date(at),
    payout.partnerId,
  );

export const payoutReversedEvent = (payout: Payout, amountReversed: number, at: string): DomainEvent =>
  domainEvent(
    'payout.reversed',
    `${payout.id}:reversed:${amountReversed}`,
    { ...money(payout), amountReversed },
    new Date(at),
    payout.partnerId,
  );
