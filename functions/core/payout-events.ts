import type { ConnectedPayout } from './connected-payout.ts';
import { type DomainEvent, domainEvent } from './domain-events.ts';
import type { Payout, PayoutRun } from './payout-model.ts';

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

/** Stripe refused the monthly payout's transfer for good: once per payout. */
export const payoutFailedEvent = (payout: Payout, message: string, at: string): DomainEvent =>
  domainEvent(
    'payout.failed',
    `${payout.id}:failed`,
    { ...money(payout), stage: 'transfer', reason: 'transfer_refused', message: message.slice(0, 300) },
    new Date(at),
    payout.partnerId,
  );

/**
 * A payout from a connected account to the partner's bank that failed (Stripe's `payout.failed`): once per Stripe
 * payout, when the record we replace (if any) was not failed already.
 */
export function connectedPayoutEvents(
  stored: ConnectedPayout | undefined,
  incoming: ConnectedPayout,
  at: Date,
): DomainEvent[] {
  if (incoming.status !== 'failed' || stored?.status === 'failed') return [];
  return [
    domainEvent(
      'payout.failed',
      `${incoming.id}:failed`,
      {
        payoutId: incoming.id,
        period: null,
        amount: incoming.amount,
        currency: incoming.currency,
        stage: 'bank_payout',
        reason: incoming.failureCode ?? 'unknown',
        message: incoming.failureMessage,
      },
      at,
      incoming.partnerId,
    ),
  ];
}

/** Every payout of the run settled (paid, carried forward or failed): once per run. */
export const payoutRunCompletedEvent = (run: PayoutRun, at: string): DomainEvent =>
  domainEvent(
    'payout_run.completed',
    `${run.id}:completed`,
    {
      runId: run.id,
      period: run.period,
      paid: run.counters.paid,
      failed: run.counters.failed,
      carriedForward: run.counters.carriedForward,
      paidAmounts: Object.entries(run.counters.paidAmount)
        .filter((entry): entry is [string, number] => typeof entry[1] === 'number' && entry[1] > 0)
        .map(([currency, amount]) => ({ currency, amount }))
        .sort((a, b) => a.currency.localeCompare(b.currency)),
    },
    new Date(at),
    null,
  );
