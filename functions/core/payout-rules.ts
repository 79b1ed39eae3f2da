import { type Currency, MAXIMUM_TRANSFER } from './money.ts';
import type { PartnerStatus, PayoutPreference } from './partner.ts';

/** Why a partner is not paid in a run. The amount carries forward to the next run in every case. */
export type SkipReason =
  | 'below_minimum'
  | 'not_onboarded'
  | 'restricted'
  | 'disconnected'
  | 'manual_preference'
  | 'awaiting_funds'
  /** An operator holds the partner's payouts (`PUT /admin/partners/{id}/payout-hold`). */
  | 'operator_hold'
  /** An operator took this payout out of its run before it was sent. */
  | 'operator_excluded'
  /** No single entry fits in one Transfer (Stripe's maximum per object), or the total is not a safe integer. */
  | 'amount_too_large'
  /** Planning this partner failed unexpectedly; the rest of the page was planned. */
  | 'planning_failed';

export const SKIP_REASONS: readonly SkipReason[] = [
  'below_minimum',
  'not_onboarded',
  'restricted',
  'disconnected',
  'manual_preference',
  'awaiting_funds',
  'operator_hold',
  'operator_excluded',
  'amount_too_large',
  'planning_failed',
];

/** An operator's hold on a partner's payouts: in force until lifted, or until `until` (epoch ms) when set. */
export interface OperatorHold {
  reason: string;
  until: number | null;
}

export const holdInForce = (hold: OperatorHold | null | undefined, now: number): boolean =>
  hold !== null && hold !== undefined && (hold.until === null || now < hold.until);

/** What decides whether a partner may be paid by Transfer at all (planner and worker read the same table). */
export interface PayoutEligibility {
  status: PartnerStatus;
  payoutPreference: PayoutPreference;
  hold: OperatorHold | null;
}

/** Each partner status, and what it means for a payout (null: payable). A new status must be decided here. */
const STATUS_BLOCKER: Readonly<Record<PartnerStatus, SkipReason | null>> = {
  active: null,
  not_set_up: 'not_onboarded',
  pending_verification: 'not_onboarded',
  restricted: 'restricted',
  disconnected: 'disconnected',
};

const PREFERENCE_BLOCKER: Readonly<Record<PayoutPreference, SkipReason | null>> = {
  stripe: null,
  manual: 'manual_preference',
};

/**
 * Why the partner cannot be paid by Transfer now, or null: the one eligibility rule of the planner, the dry run and
 * the sender. A partner we have no record of is not onboarded. An operator hold comes first (it is the operator's
 * word and the partner cannot lift it), then the partner's own preference, then the account's status.
 */
export function ineligibility(partner: PayoutEligibility | undefined, now: number): SkipReason | null {
  if (!partner) return 'not_onboarded';
  if (holdInForce(partner.hold, now)) return 'operator_hold';
  return PREFERENCE_BLOCKER[partner.payoutPreference] ?? STATUS_BLOCKER[partner.status];
}

/** A platform-held ledger entry that no payout covers yet (earnings positive, clawbacks negative). */
export interface HeldEntry {
  id: string;
  amount: number;
  availableAt: number;
  /** The platform's reference of what the entry is for, when it gave one (shown with the payout). */
  platformReference?: string;
}

export interface PayoutCandidate {
  partnerId: string;
  status: PartnerStatus;
  payoutPreference: PayoutPreference;
  hold: OperatorHold | null;
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

/**
 * Decides one partner's payout for one currency at the run's cutoff time. It moves only what is available (past
 * the holding period): every available held entry, negative ones included, so a clawback is netted against later
 * earnings. Entries still in their holding period stay where they are. Eligibility comes first: a partner who
 * cannot or does not want to be paid by Transfer is skipped with the reason, whatever the amount.
 *
 * Bounds: one Transfer carries at most `MAXIMUM_TRANSFER`. When the available sum is larger, the payout takes every
 * negative entry and then the oldest positive entries while the sum stays within the maximum; the rest stays held
 * and is paid by the next run (a large balance is paid over several runs, never refused). An entry too large for a
 * Transfer on its own, or a sum that is not a safe integer, skips the partner with `amount_too_large`. Never throws.
 */
export function decidePayout(
  candidate: PayoutCandidate,
  cutoff: number,
  rules: PayoutRules,
  /** When the decision is taken (an operator hold with an end is judged now, not at the cutoff). */
  now = cutoff,
): PayoutDecision {
  const available = candidate.held.filter((entry) => entry.availableAt <= cutoff);
  const amount = available.reduce((total, entry) => total + entry.amount, 0);
  if (!Number.isSafeInteger(amount)) return { kind: 'skip', reason: 'amount_too_large', amount: 0 };
  const blocked = ineligibility(candidate, now);
  if (blocked) return { kind: 'skip', reason: blocked, amount };
  const minimum = rules.minimumPayout[candidate.currency] ?? rules.defaultMinimum;
  if (amount < Math.max(1, minimum)) return { kind: 'skip', reason: 'below_minimum', amount };
  if (amount <= MAXIMUM_TRANSFER) return { kind: 'pay', amount, entryIds: available.map((entry) => entry.id) };
  return splitToMaximum(available, minimum);
}

/** The part of an oversized balance one Transfer can carry: negatives first, then the oldest positives. */
function splitToMaximum(available: readonly HeldEntry[], minimum: number): PayoutDecision {
  const negatives = available.filter((entry) => entry.amount < 0);
  const positives = available
    .filter((entry) => entry.amount > 0)
    .sort((a, b) => a.availableAt - b.availableAt || (a.id < b.id ? -1 : 1));
  let amount = negatives.reduce((total, entry) => total + entry.amount, 0);
  const entryIds = negatives.map((entry) => entry.id);
  for (const entry of positives) {
    if (entry.amount > MAXIMUM_TRANSFER) continue;
    if (amount + entry.amount > MAXIMUM_TRANSFER) continue;
    amount += entry.amount;
    entryIds.push(entry.id);
  }
  if (amount < Math.max(1, minimum)) return { kind: 'skip', reason: 'amount_too_large', amount };
  return { kind: 'pay', amount, entryIds };
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
