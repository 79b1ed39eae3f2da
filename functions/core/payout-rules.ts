import type { Currency } from './money.ts';
import type { PartnerStatus, PayoutPreference } from './partner.ts';

/** Why a partner is not paid in a run. The amount carries forward to the next run in every case. */
export type SkipReason =
  | 'below_minimum'
  | 'not_onboarded'
  | 'restricted'
  | 'disconnected'
  | 'manual_preference'
  | 'awaiting_funds';

export const SKIP_REASONS: readonly SkipReason[] = [
  'below_minimum',
  'not_onboarded',
  'restricted',
  'disconnected',
  'manual_preference',
  'awaiting_funds',
];

/** A platform-held ledger entry that no payout covers yet (earnings positive, clawbacks negative). */
export interface HeldEntry {
  id: string;
  amount: number;
  availableAt: number;
}

export interface PayoutCandidate {
  partnerId: string;
  status: PartnerStatus;
  payoutPreference: PayoutPreference;
  currency: Currency;
  held: readonly HeldEntry[];
}

export interface PayoutRules {
  /** Minimum payout per currency in minor units; currencies not listed use `defaultMinimum`. */
  minimumPayout: Partial<Record<Currency, number>>;
  defaultMinimum: number;
}

export type PayoutDecision =
  | { kind: 'pay'; amount: number; entryIds: string[] }
  | { kind: 'skip'; reason: SkipReason; amount: number };

const STATUS_REASON: Partial<Record<PartnerStatus, SkipReason>> = {
  not_set_up: 'not_onboarded',
  pending_verification: 'not_onboarded',
  restricted: 'restricted',
  disconnected: 'disconnected',
};

/**
 * Decides one partner's payout for one currency at the run's cutoff time. It moves only what is available (past
 * the holding period): every available held entry, negative ones included, so a clawback is netted against later
 * earnings. Entries still in their holding period stay where they are. Eligibility comes first: a partner who
 * cannot or does not want to be paid by Transfer is skipped with the reason, whatever the amount.
 */
export function decidePayout(candidate: PayoutCandidate, cutoff: number, rules: PayoutRules): PayoutDecision {
  const available = candidate.held.filter((entry) => entry.availableAt <= cutoff);
  const amount = available.reduce((total, entry) => total + entry.amount, 0);
  if (candidate.payoutPreference === 'manual') return { kind: 'skip', reason: 'manual_preference', amount };
  const statusReason = STATUS_REASON[candidate.status];
  if (statusReason) return { kind: 'skip', reason: statusReason, amount };
  const minimum = rules.minimumPayout[candidate.currency] ?? rules.defaultMinimum;
  if (amount < Math.max(1, minimum)) return { kind: 'skip', reason: 'below_minimum', amount };
  return { kind: 'pay', amount, entryIds: available.map((entry) => entry.id) };
}

/** Payout ids are derived from what they pay, so every planner — and every retry — names the same payout. */
export function payoutIdFor(partnerId: string, period: string, currency: Currency): string {
  return `po_${period}_${currency}_${partnerId}`;
}

/** The period a payout id names (`po_2026-11_usd_…` → `2026-11`), or undefined for anything else. */
export function periodOfPayoutId(payoutId: string): string | undefined {
  return /^po_(\d{4}-\d{2})_/.exec(payoutId)?.[1];
}

/** Runs are per period: the scheduled run and an operator's run for the same month are the same run. */
export function runIdFor(period: string): string {
  return `run_${period}`;
}
