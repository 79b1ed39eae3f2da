import { domainError, fail } from './errors.ts';
import { type EarningsSummary, type EntryPayoutState, isTimeZone, summarizeEarnings, windowStarts } from './ledger.ts';
import { type Currency, isCurrency, ledgerAmountProblem, platformFee } from './money.ts';
import type { Partner } from './partner.ts';
import { parseCurrency } from './payment.ts';
import type { HeldEarning, LedgerRecord, LedgerTotals, PaymentDeps, StripePaymentView } from './payment-ports.ts';
import { platformReferenceOf, requireReference } from './platform-references.ts';
import { factTime } from './settlement.ts';

/**
 * Platform-held earnings (commissions, operator-recorded earnings) and the partner's earnings history.
 *
 * A held earning is an `earning` entry the platform keeps until a monthly payout moves it: `pending` until its
 * `availableAt` (end of the holding period), then `available` (derived at read time, nothing rewrites it), then
 * `in_payout` and `paid` as the payout run attaches and settles it. Amounts never change after they are written;
 * only the payout annotations (`payoutStatus`, `payoutId`) progress.
 */

const DAY_MS = 86_400_000;

export interface HeldEarningInput {
  partnerId: string;
  amount: number;
  currency: string;
  externalId: string;
  description: string;
  /** ISO time; default: now + the holding period. */
  availableAt?: string | undefined;
  /** The platform's own reference of what the earning is for (a job); shown with it and with its payout. */
  reference?: string | undefined;
}

export const heldEntryId = (externalId: string) => `held:${externalId}`;

/** The request as recorded: the same external id with another body is a conflict, never a second earning. */
export function fingerprintOf(input: HeldEarningInput, currency: Currency): string {
  const fields = [input.partnerId, input.amount, currency, input.description, input.availableAt ?? null];
  // Earnings recorded without a reference keep the fingerprint they always had.
  return JSON.stringify(input.reference === undefined ? fields : [...fields, input.reference]);
}

export function heldEarningView(earning: HeldEarning) {
  return {
    externalId: earning.externalId,
    entryId: earning.entryId,
    partnerId: earning.partnerId,
    amount: earning.amount,
    currency: earning.currency,
    description: earning.description,
    availableAt: new Date(earning.availableAt).toISOString(),
    recordedAt: earning.recordedAt,
  };
}

function heldRecords(
  input: HeldEarningInput,
  currency: Currency,
  now: number,
  holdingPeriodDays: number,
  occurredAt = now,
) {
  const availableAt = input.availableAt ? Date.parse(input.availableAt) : now + holdingPeriodDays * DAY_MS;
  const recordedAt = new Date(now).toISOString();
  const entryId = heldEntryId(input.externalId);
  const earning: HeldEarning = {
    externalId: input.externalId,
    partnerId: input.partnerId,
    amount: input.amount,
    currency,
    description: input.description,
    availableAt,
    entryId,
    fingerprint: fingerprintOf(input, currency),
    clawedBack: 0,
    recordedAt,
    version: 1,
  };
  const entry: LedgerRecord = {
    id: entryId,
    partnerId: input.partnerId,
    currency,
    type: 'earning',
    amount: input.amount,
    occurredAt,
    description: input.description,
    reference: input.externalId,
    ...platformReferenceOf(input.reference),
    payoutStatus: 'pending',
    availableAt,
    recordedAt,
  };
  return { earning, entry };
}

/** The currencies a partner can be paid in: their own, and those the platform holds balances in and transfers. */
export function payableCurrencies(
  partner: Pick<Partner, 'defaultCurrency'>,
  platformCurrencies: readonly string[],
): string[] {
  return [...new Set([partner.defaultCurrency.toLowerCase(), ...platformCurrencies.map((c) => c.toLowerCase())])];
}

/**
 * Money recorded for a partner must be payable to them: a Transfer goes to their connected account in a currency the
 * platform can send (the partner's own, or one of the platform's settlement currencies, `PAYOUT_CURRENCIES`).
 * Anything else would wait in their balance forever (the run could never fund its transfer).
 */
export function requirePayableCurrency(
  partner: Pick<Partner, 'id' | 'defaultCurrency'>,
  currency: Currency,
  platformCurrencies: readonly string[],
): void {
  const payable = payableCurrencies(partner, platformCurrencies);
  if (!payable.includes(currency)) {
    fail('currency_not_payable', `Partner ${partner.id} cannot be paid in ${currency}.`, {
      partnerId: partner.id,
      payableCurrencies: payable,
    });
  }
}

/** An amount the ledger can record and one Transfer can carry (400 `invalid_amount` otherwise). */
export function requireLedgerAmount(amount: number, allowNegative: boolean, field = 'amount'): void {
  const problem = ledgerAmountProblem(amount, allowNegative);
  if (problem) fail('invalid_amount', `${field} ${problem}.`);
}

const conflict = (externalIds: string[]) =>
  domainError('external_id_conflict', 'An earning with this externalId was already recorded with a different body.', {
    externalIds,
  });

/**
 * `POST /admin/earnings`: idempotent on `externalId`. Everything is checked before anything is written: unknown
 * partners (404), and external ids already recorded with another body (409). A replay returns the stored earning.
 */
export async function recordHeldEarnings(
  deps: PaymentDeps,
  inputs: readonly HeldEarningInput[],
): Promise<{ created: number; earnings: ReturnType<typeof heldEarningView>[] }> {
  const ids = inputs.map((input) => input.externalId);
  const duplicates = ids.filter((id, index) => ids.indexOf(id) !== index);
  if (duplicates.length > 0) {
    fail('duplicate_external_id', 'Each externalId may appear once per request.', {
      externalIds: [...new Set(duplicates)],
    });
  }
  const currencies = inputs.map((input) => parseCurrency(input.currency));
  for (const [index, input] of inputs.entries()) {
    requireLedgerAmount(input.amount, false, inputs.length > 1 ? `earnings.${index}.amount` : 'amount');
    if (input.reference !== undefined) requireReference(input.reference);
  }
  const partnerIds = [...new Set(inputs.map((input) => input.partnerId))];
  const partners = await Promise.all(partnerIds.map((id) => deps.partners.get(id)));
  const unknown = partnerIds.filter((_, index) => !partners[index]);
  if (unknown.length > 0) {
    fail('partner_not_found', 'No partner with this id.', { partnerIds: unknown });
  }
  const byId = new Map(partners.filter((p): p is Partner => p !== undefined).map((p) => [p.id, p]));
  for (const [index, input] of inputs.entries()) {
    requirePayableCurrency(
      byId.get(input.partnerId) as Partner,
      currencies[index] as Currency,
      deps.settings.payoutCurrencies,
    );
  }
  const existing = await deps.ledger.getHeld(ids);
  const conflicting = inputs.filter(
    (input, index) =>
      existing.has(input.externalId) &&
      existing.get(input.externalId)?.fingerprint !== fingerprintOf(input, currencies[index] as Currency),
  );
  if (conflicting.length > 0) throw conflict(conflicting.map((input) => input.externalId));

  let created = 0;
  const results: HeldEarning[] = [];
  for (const [index, input] of inputs.entries()) {
    const stored = existing.get(input.externalId);
    if (stored) {
      results.push(stored);
      continue;
    }
    const { earning, entry } = heldRecords(
      input,
      currencies[index] as Currency,
      deps.clock.now().getTime(),
      deps.settings.holdingPeriodDays,
    );
    const outcome = await deps.ledger.recordHeld(earning, entry);
    if (outcome.recorded) {
      created += 1;
      results.push(earning);
    } else if (outcome.existing.fingerprint === earning.fingerprint) {
      results.push(outcome.existing); // a concurrent request with the same body won
    } else {
      throw conflict([input.externalId]);
    }
  }
  return { created, earnings: results.map(heldEarningView) };
}

/** Metadata key naming the partner who referred a platform charge. */
export const REFERRER_METADATA_KEY = 'referring_partner_id';

export const commissionExternalId = (paymentIntentId: string) => `commission:${paymentIntentId}`;

/**
 * A platform charge (no destination) whose metadata names a referring partner earns that partner a commission of
 * `commissionBps` of the charge, held by the platform. Refunds claw back the commission on the refunded part:
 * the commission due is always `platformFee(captured − refunded)`, so partial refunds add up exactly.
 */
export async function syncCommission(
  deps: PaymentDeps,
  view: StripePaymentView,
  eventCreated: number,
  /** The amount of a lost dispute on the charge: taken back from the commission like a refund. */
  lostToDispute = 0,
): Promise<string> {
  const referrer = view.metadata[REFERRER_METADATA_KEY];
  if (!referrer || view.destination !== null || view.outcome !== 'succeeded') return 'ignored';
  if (!isCurrency(view.currency)) return 'ignored_currency';
  const partner = await deps.partners.get(referrer);
  if (!partner) {
    deps.log.warn('Commission for an unknown referring partner; not recorded', { referrer });
    return 'unknown_referrer';
  }
  const policy = { bps: deps.settings.commissionBps };
  const commission = platformFee(view.amountCaptured, policy);
  if (commission <= 0) return 'no_commission';
  const externalId = commissionExternalId(view.paymentIntentId);
  const now = deps.clock.now().getTime();
  const input: HeldEarningInput = {
    partnerId: partner.id,
    amount: commission,
    currency: view.currency,
    externalId,
    description: `Commission: ${view.description ?? view.paymentIntentId}`,
  };
  let outcome = 'unchanged';
  let held = (await deps.ledger.getHeld([externalId])).get(externalId);
  if (!held) {
    const paidAt = factTime(view.chargeCreated, now);
    const { earning, entry } = heldRecords(input, view.currency, now, deps.settings.holdingPeriodDays, paidAt);
    const recorded = await deps.ledger.recordHeld(earning, entry);
    held = recorded.recorded ? earning : recorded.existing;
    outcome = 'commission_recorded';
  }
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const due = platformFee(Math.max(0, view.amountCaptured - view.amountRefunded - lostToDispute), policy);
    const delta = held.amount - held.clawedBack - due;
    if (delta <= 0) return outcome;
    const at = factTime(eventCreated, now);
    const entry: LedgerRecord = {
      id: `${held.entryId}:clawback:${held.clawedBack + delta}`,
      partnerId: held.partnerId,
      currency: held.currency,
      type: 'clawback',
      amount: -delta,
      occurredAt: at,
      description: `Commission ${lostToDispute > 0 ? 'disputed' : 'refunded'}: ${view.description ?? view.paymentIntentId}`,
      reference: externalId,
      payoutStatus: 'pending',
      // Nets against the earning it corrects: never available before it.
      availableAt: Math.max(held.availableAt, at),
      recordedAt: new Date(now).toISOString(),
    };
    if (await deps.ledger.clawBack(held, entry)) return outcome === 'unchanged' ? 'commission_clawed_back' : outcome;
    const reread = (await deps.ledger.getHeld([externalId])).get(externalId);
    if (!reread) throw new Error(`Commission ${externalId} disappeared`);
    held = reread;
  }
  throw new Error(`Commission clawback of ${externalId} kept conflicting`);
}

/** `available` is not stored: a pending held earning is available once its holding period is over. */
export function payoutStatusOf(
  entry: Pick<LedgerRecord, 'payoutStatus' | 'availableAt'>,
  now: number,
): EntryPayoutState {
  const status = entry.payoutStatus ?? 'transferred';
  if (status === 'pending' && entry.availableAt !== undefined && entry.availableAt <= now) return 'available';
  return status;
}

/** The partner's view of an entry: their share only (never the gross or the platform fee). */
export function earningEntryView(entry: LedgerRecord, now: number) {
  return {
    id: entry.id,
    type: entry.type,
    date: new Date(entry.occurredAt).toISOString(),
    description: entry.description,
    reference: entry.reference,
    platformReference: entry.platformReference ?? null,
    amount: entry.amount,
    currency: entry.currency,
    payoutStatus: payoutStatusOf(entry, now),
    payoutId: entry.payoutId ?? null,
    availableAt: entry.availableAt === undefined ? null : new Date(entry.availableAt).toISOString(),
  };
}

/**
 * Totals per currency: today / last 7 days / last 30 days from the entries of the last 30 days (calendar days in
 * UTC or the given time zone, see `windowStarts`), all time from the running totals kept with every entry.
 */
export function earningsSummary(
  recent: readonly LedgerRecord[],
  totals: readonly LedgerTotals[],
  now: number,
  currency?: Currency,
  timeZone = 'UTC',
): Partial<Record<Currency, EarningsSummary>> {
  const windows = summarizeEarnings(recent, now, timeZone);
  const summary: Partial<Record<Currency, EarningsSummary>> = {};
  for (const total of totals) {
    if (currency && total.currency !== currency) continue;
    const recentTotals = windows[total.currency];
    summary[total.currency] = {
      today: recentTotals?.today ?? 0,
      last7Days: recentTotals?.last7Days ?? 0,
      last30Days: recentTotals?.last30Days ?? 0,
      allTime: total.earned,
    };
  }
  return summary;
}

export async function earningsHistory(
  deps: PaymentDeps,
  partnerId: string,
  query: { currency?: string | undefined; cursor?: string | undefined; limit: number; timeZone?: string | undefined },
) {
  const currency = query.currency ? parseCurrency(query.currency) : undefined;
  const timeZone = query.timeZone ?? 'UTC';
  if (!isTimeZone(timeZone)) {
    fail('invalid_time_zone', `${timeZone} is not an IANA time zone.`);
  }
  const now = deps.clock.now().getTime();
  const [page, recent, totals] = await Promise.all([
    deps.ledger.listVisible(partnerId, {
      limit: query.limit,
      ...(currency ? { currency } : {}),
      ...(query.cursor ? { cursor: query.cursor } : {}),
    }),
    deps.ledger.visibleSince(partnerId, windowStarts(now, timeZone).last30Days),
    deps.ledger.totals(partnerId),
  ]);
  return {
    entries: page.entries.map((entry) => earningEntryView(entry, now)),
    summary: earningsSummary(recent, totals, now, currency, timeZone),
    timeZone,
    nextCursor: page.nextCursor,
  };
}
