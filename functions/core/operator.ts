import { createHash } from 'node:crypto';
import type { Clock } from './clock.ts';
import { requireLedgerAmount, requirePayableCurrency } from './earnings.ts';
import { domainError, fail } from './errors.ts';
import type { Currency } from './money.ts';
import type { Partner, PayoutHoldRecord } from './partner.ts';
import { parseCurrency } from './payment.ts';
import type { HeldEarning, LedgerRecord } from './payment-ports.ts';
import { periodOfPayoutId } from './payout-rules.ts';
import { finishRunsIfDone } from './payout-run.ts';
import type { KeepReversalPlan, OperatorAction, Payout, PayoutExpectation, PayoutStore } from './payouts.ts';

/**
 * Operator controls over a partner's money — the fraud response: hold the partner's payouts, take a payout out of
 * its run before it is sent, keep a reversed payout's money for the platform, and book corrections. Each decision is
 * a pure plan here (`planHold`, `planAdjustment`, `planExclusion`, `planKeepReversal`); the adapters apply it in one
 * conditional write together with the record of who did it and why (`OperatorAction`), which operators see in the
 * partner's admin view. Partners can read none of this back into their control: only admin routes change it.
 */

export interface Operator {
  sub: string;
  email: string | null;
}

export interface OperatorDeps {
  partners: { get(partnerId: string): Promise<Partner | undefined> };
  holds: {
    /** Sets (or, with null, removes) the partner's hold and records the action, in one write. */
    set(partnerId: string, hold: PayoutHoldRecord | null, action: OperatorAction): Promise<void>;
  };
  adjustments: {
    /** The guard and entry with the action, atomically; `existing` when the external id was recorded before. */
    record(
      guard: HeldEarning,
      entry: LedgerRecord,
      action: OperatorAction,
    ): Promise<{ recorded: true } | { recorded: false; existing: HeldEarning }>;
    get(guardId: string): Promise<HeldEarning | undefined>;
  };
  actions: { list(partnerId: string): Promise<OperatorAction[]> };
  payouts: Pick<PayoutStore, 'getPayout' | 'carryForward' | 'keepReversal' | 'getRun' | 'markRunFinished'>;
  clock: Clock;
  /** Currencies the platform can transfer besides each partner's own. */
  payoutCurrencies: readonly string[];
}

/** Short, stable ids for actions that must be recorded once however often the request is retried. */
const actionId = (...parts: string[]) =>
  `opa_${createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 24)}`;

async function requirePartner(deps: OperatorDeps, partnerId: string): Promise<Partner> {
  const partner = await deps.partners.get(partnerId);
  if (!partner) fail('partner_not_found');
  return partner;
}

// ---------------------------------------------------------------------------------------------------------------
// Payout hold

export interface HoldInput {
  reason: string;
  /** ISO time the hold ends by itself; omitted: until an operator lifts it. */
  until?: string | undefined;
}

/** A hold in force from now: `until`, when given, must be in the future. */
export function planHold(
  partnerId: string,
  input: HoldInput,
  operator: Operator,
  now: Date,
): { hold: PayoutHoldRecord; action: OperatorAction } {
  const at = now.toISOString();
  let until: string | null = null;
  if (input.until !== undefined) {
    const end = Date.parse(input.until);
    if (!Number.isFinite(end) || end <= now.getTime()) {
      fail('invalid_hold_end');
    }
    until = new Date(end).toISOString();
  }
  const hold: PayoutHoldRecord = { reason: input.reason, until, by: operator, at };
  return {
    hold,
    action: {
      id: actionId('hold', partnerId, at, operator.sub),
      partnerId,
      action: 'payout_hold_set',
      by: operator,
      reason: input.reason,
      at,
      details: { until },
    },
  };
}

/**
 * `PUT /admin/partners/{partnerId}/payout-hold`: the planner and the worker skip the partner (`operator_hold`) while
 * the hold is in force — payouts already planned are carried forward instead of sent. Setting it again replaces it.
 */
export async function holdPayouts(deps: OperatorDeps, partnerId: string, input: HoldInput, operator: Operator) {
  await requirePartner(deps, partnerId);
  const { hold, action } = planHold(partnerId, input, operator, deps.clock.now());
  await deps.holds.set(partnerId, hold, action);
  return { partnerId, payoutHold: hold };
}

/** `DELETE /admin/partners/{partnerId}/payout-hold`: lifts the hold (the next run pays what is available). */
export async function liftPayoutHold(deps: OperatorDeps, partnerId: string, reason: string, operator: Operator) {
  const partner = await requirePartner(deps, partnerId);
  if (!partner.payoutHold) return { partnerId, payoutHold: null, lifted: false };
  const at = deps.clock.now().toISOString();
  await deps.holds.set(partnerId, null, {
    id: actionId('lift', partnerId, at, operator.sub),
    partnerId,
    action: 'payout_hold_lifted',
    by: operator,
    reason,
    at,
    details: { heldSince: partner.payoutHold.at, heldFor: partner.payoutHold.reason },
  });
  return { partnerId, payoutHold: null, lifted: true };
}

// ---------------------------------------------------------------------------------------------------------------
// Adjustments

export interface AdjustmentInput {
  partnerId: string;
  /** Signed minor units: negative takes money back (netted against later earnings like a clawback). */
  amount: number;
  currency: string;
  reason: string;
  externalId: string;
  /** ISO time from which the next run nets it (default: now), as for recorded earnings. */
  availableAt?: string | undefined;
}

export const adjustmentGuardId = (externalId: string) => `adjustment:${externalId}`;

/**
 * An operator correction: one `adjustment` entry, held by the platform and available at once, so the next payout
 * nets it (a negative one larger than the balance leaves a negative balance that later earnings pay off first).
 * Idempotent on `externalId` through a guard item (the same id with another body is a conflict).
 */
export function planAdjustment(
  input: AdjustmentInput,
  currency: Currency,
  operator: Operator,
  now: Date,
): { guard: HeldEarning; entry: LedgerRecord; action: OperatorAction } {
  const at = now.toISOString();
  const availableAt = input.availableAt === undefined ? now.getTime() : Date.parse(input.availableAt);
  const guardId = adjustmentGuardId(input.externalId);
  const entryId = `adj:${input.externalId}`;
  const guard: HeldEarning = {
    externalId: guardId,
    partnerId: input.partnerId,
    amount: input.amount,
    currency,
    description: input.reason,
    availableAt,
    entryId,
    fingerprint: JSON.stringify([
      'adjustment',
      input.partnerId,
      input.amount,
      currency,
      input.reason,
      input.availableAt ?? null,
    ]),
    clawedBack: 0,
    recordedAt: at,
    version: 1,
  };
  const entry: LedgerRecord = {
    id: entryId,
    partnerId: input.partnerId,
    currency,
    type: 'adjustment',
    amount: input.amount,
    occurredAt: now.getTime(),
    description: input.reason,
    reference: input.externalId,
    payoutStatus: 'pending',
    availableAt,
    recordedAt: at,
  };
  const action: OperatorAction = {
    id: actionId('adjustment', input.externalId),
    partnerId: input.partnerId,
    action: 'adjustment',
    by: operator,
    reason: input.reason,
    at,
    details: { amount: input.amount, currency, externalId: input.externalId },
  };
  return { guard, entry, action };
}

const adjustmentView = (guard: HeldEarning, by?: Operator) => ({
  externalId: guard.externalId.slice('adjustment:'.length),
  entryId: guard.entryId,
  partnerId: guard.partnerId,
  amount: guard.amount,
  currency: guard.currency,
  reason: guard.description,
  availableAt: new Date(guard.availableAt).toISOString(),
  recordedAt: guard.recordedAt,
  ...(by ? { recordedBy: by } : {}),
});

/** `POST /admin/adjustments`: checked in full before anything is written; a replay returns the stored one (200). */
export async function recordAdjustment(deps: OperatorDeps, input: AdjustmentInput, operator: Operator) {
  const currency = parseCurrency(input.currency);
  requireLedgerAmount(input.amount, true);
  const partner = await requirePartner(deps, input.partnerId);
  requirePayableCurrency(partner, currency, deps.payoutCurrencies);
  const planned = planAdjustment(input, currency, operator, deps.clock.now());
  const existing = await deps.adjustments.get(planned.guard.externalId);
  const sameBody = (stored: HeldEarning) => stored.fingerprint === planned.guard.fingerprint;
  const conflict = () =>
    domainError(
      'external_id_conflict',
      'An adjustment with this externalId was already recorded with a different body.',
      { externalIds: [input.externalId] },
    );
  if (existing) {
    if (!sameBody(existing)) throw conflict();
    return { created: false, adjustment: adjustmentView(existing) };
  }
  const outcome = await deps.adjustments.record(planned.guard, planned.entry, planned.action);
  if (outcome.recorded) return { created: true, adjustment: adjustmentView(planned.guard, operator) };
  if (!sameBody(outcome.existing)) throw conflict();
  return { created: false, adjustment: adjustmentView(outcome.existing) };
}

// ---------------------------------------------------------------------------------------------------------------
// Payouts: exclude before sending, keep a reversal

/** `po_<period>_<currency>_<partnerId>` → the partner, or a 404 for anything else. */
export function partnerOfPayoutId(payoutId: string): string {
  const match = /^po_\d{4}-\d{2}_[a-z]{3}_(ptn_[a-f0-9]{24})$/.exec(payoutId);
  if (!match?.[1] || !periodOfPayoutId(payoutId)) {
    fail('payout_not_found');
  }
  return match[1];
}

async function requirePayout(deps: OperatorDeps, payoutId: string): Promise<Payout> {
  const payout = await deps.payouts.getPayout(partnerOfPayoutId(payoutId), payoutId);
  if (!payout) fail('payout_not_found');
  return payout;
}

/**
 * Only a payout no transfer can exist for can be excluded: `planned` (never sent) or `awaiting_funds` (Stripe
 * refused every key for lack of funds). A `sending` payout may already have its transfer; `paid` has one.
 */
export function planExclusion(
  payout: Payout,
  reason: string,
  operator: Operator,
  now: Date,
): { expected: PayoutExpectation; action: OperatorAction } {
  if (payout.status !== 'planned' && payout.status !== 'awaiting_funds') {
    fail(
      'payout_not_excludable',
      `A ${payout.status} payout cannot be excluded; only planned or awaiting_funds payouts can.`,
      { status: payout.status },
    );
  }
  const at = now.toISOString();
  return {
    expected: { status: payout.status, attempt: payout.attempt },
    action: {
      id: actionId('exclude', payout.id),
      partnerId: payout.partnerId,
      action: 'payout_excluded',
      by: operator,
      reason,
      at,
      details: { payoutId: payout.id, amount: payout.amount, currency: payout.currency },
    },
  };
}

/**
 * `POST /admin/payouts/{payoutId}/exclude`: the payout leaves its run as `carried_forward` (reason
 * `operator_excluded`) and its entries return to the partner's held balance — so the next run would pay them
 * unless the partner is held or an adjustment takes them back.
 */
export async function excludePayout(deps: OperatorDeps, payoutId: string, reason: string, operator: Operator) {
  const payout = await requirePayout(deps, payoutId);
  // A retry after an exclusion that closed the payout but crashed before the run's check below: check it, then
  // refuse as for any closed payout.
  if (payout.status !== 'planned' && payout.status !== 'awaiting_funds')
    await finishRunsIfDone({ store: deps.payouts, clock: deps.clock }, [payout.runId]);
  const { expected, action } = planExclusion(payout, reason, operator, deps.clock.now());
  const excluded = await deps.payouts.carryForward(payout, 'operator_excluded', action.at, expected, action);
  if (!excluded) {
    const now = await requirePayout(deps, payoutId);
    fail('payout_not_excludable', `The payout moved on meanwhile (now ${now.status}).`, {
      status: now.status,
    });
  }
  // It may have been the run's last open payout (one awaiting funds): then the run is complete now.
  await finishRunsIfDone({ store: deps.payouts, clock: deps.clock }, [payout.runId]);
  return { payoutId, status: 'carried_forward' as const, reason: 'operator_excluded' };
}

/**
 * What of a reversed payout's returned money is kept now: everything reversed and not kept before. The entry is a
 * held negative `adjustment`, available at once, so it cancels the returned money in the partner's payable balance.
 */
export function planKeepReversal(
  payout: Payout,
  reason: string,
  operator: Operator,
  now: Date,
): { plan: KeepReversalPlan; action: OperatorAction } {
  const kept = payout.keptAmount ?? 0;
  const toKeep = payout.reversedAmount - kept;
  if (payout.status !== 'reversed' || toKeep <= 0) {
    fail(
      'nothing_to_keep',
      payout.status === 'reversed'
        ? 'Everything reversed on this payout is already kept.'
        : `The payout is ${payout.status}: only a reversed payout's returned money can be kept.`,
      { status: payout.status, reversedAmount: payout.reversedAmount, keptAmount: kept },
    );
  }
  const keptTotal = kept + toKeep;
  const at = now.toISOString();
  return {
    plan: {
      kept: toKeep,
      keptTotal,
      entry: {
        id: `kept:${payout.id}:${keptTotal}`,
        amount: -toKeep,
        description: `Reversed payout ${payout.period} kept by the platform: ${reason}`,
      },
    },
    action: {
      id: actionId('keep', payout.id, String(keptTotal)),
      partnerId: payout.partnerId,
      action: 'reversal_kept',
      by: operator,
      reason,
      at,
      details: { payoutId: payout.id, kept: toKeep, keptTotal, currency: payout.currency },
    },
  };
}

/**
 * `POST /admin/payouts/{payoutId}/reversal-final`: the money a reversal returned stays with the platform for good.
 * A reversal hands the payout's earnings back to the partner's held balance (so a mistaken reversal is simply paid
 * again); marking it final books the same amount back out. Calling it again after a further partial reversal keeps
 * the new part; with nothing new it is 409 `nothing_to_keep`.
 */
export async function keepReversal(deps: OperatorDeps, payoutId: string, reason: string, operator: Operator) {
  const payout = await requirePayout(deps, payoutId);
  const { plan, action } = planKeepReversal(payout, reason, operator, deps.clock.now());
  if (!(await deps.payouts.keepReversal(payout, plan, action))) {
    fail('payout_changed');
  }
  return {
    payoutId,
    status: payout.status,
    reversedAmount: payout.reversedAmount,
    keptAmount: plan.keptTotal,
    kept: plan.kept,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The partner's admin view

export async function partnerMoneyControls(deps: OperatorDeps, partnerId: string) {
  const partner = await requirePartner(deps, partnerId);
  const actions = await deps.actions.list(partnerId);
  return { partner, payoutHold: partner.payoutHold ?? null, operatorActions: actions };
}
