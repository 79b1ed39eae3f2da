import type { Currency } from './money.ts';

/**
 * The ledger: immutable facts about money owed to a partner, one entry per fact, per partner and currency.
 * A correction is a new entry, never an update of an amount. Signed amounts in minor units:
 *
 * | type       | sign | meaning                                                                        |
 * | ---------- | ---- | ------------------------------------------------------------------------------ |
 * | earning    |  +   | the partner's share of a payment (net of the platform fee), or a commission    |
 * | refund     |  -   | the partner's share given back to a customer (destination charge refunds)       |
 * | clawback   |  -   | a platform-held earning taken back after it was recorded (may go negative)     |
 * | transfer   |  -   | money Stripe moved to the partner with the charge (destination charges)        |
 * | payout     |  -   | money we moved to the partner with a Transfer (monthly run)                    |
 * | reversal   |  +   | a transfer or payout that came back (transfer.reversed, payout failure)        |
 * | adjustment |  ±   | an operator correction                                                         |
 * | hold       |  -   | money held back while a dispute is open (the partner's share of the disputed amount) |
 * | release    |  +   | a dispute hold given back when the dispute closes                               |
 *
 * The partner's **balance** is the sum of all entries: what the platform still holds for them. Destination
 * charges net to zero (earning + transfer) because Stripe pays the partner directly; platform-held earnings stay in
 * the balance until a payout moves them.
 */
export type EntryType =
  | 'earning'
  | 'refund'
  | 'clawback'
  | 'transfer'
  | 'payout'
  | 'reversal'
  | 'adjustment'
  | 'hold'
  | 'release';

/**
 * Where a partner-visible entry stands on its way to the partner's bank: its payout state (stored and shown as
 * `payoutStatus`), not the status of a payout (`PayoutStatus`) nor of Stripe's bank payout (`ConnectedPayoutStatus`).
 */
export type EntryPayoutState = 'transferred' | 'pending' | 'available' | 'in_payout' | 'paid';

export interface LedgerEntry {
  readonly id: string;
  readonly partnerId: string;
  readonly currency: Currency;
  readonly type: EntryType;
  /** Signed minor units, see the table above. */
  readonly amount: number;
  /** When the fact happened (epoch ms): the payment's time, not the time we heard of it. */
  readonly occurredAt: number;
  readonly description: string;
  /** Our id of what caused it (payment, order, external id, payout). */
  readonly reference: string;
  /** The platform's own reference of what caused it (its payment request's, order's or earning's), when it gave one. */
  readonly platformReference?: string;
  readonly payoutStatus?: EntryPayoutState;
  /** Platform-held earnings: when they may be paid out (end of the holding period). */
  readonly availableAt?: number;
  readonly payoutId?: string;
}

/** Entry types a partner sees as earnings (their share), as opposed to money movements. */
export const EARNING_TYPES: ReadonlySet<EntryType> = new Set<EntryType>([
  'earning',
  'refund',
  'clawback',
  'adjustment',
  'hold',
  'release',
]);

/** Sign rules, checked before anything is written: a wrong sign is a bug, never data. */
const SIGN: Readonly<Record<EntryType, 1 | -1 | 0>> = {
  earning: 1,
  refund: -1,
  clawback: -1,
  transfer: -1,
  payout: -1,
  reversal: 1,
  adjustment: 0,
  hold: -1,
  release: 1,
};

export function assertValidEntry(entry: Pick<LedgerEntry, 'type' | 'amount'>): void {
  if (!Number.isSafeInteger(entry.amount) || entry.amount === 0) {
    throw new RangeError(`ledger amount must be a non-zero integer: ${entry.amount}`);
  }
  const sign = SIGN[entry.type];
  if (sign !== 0 && Math.sign(entry.amount) !== sign) {
    throw new RangeError(`a ${entry.type} entry must be ${sign > 0 ? 'positive' : 'negative'}: ${entry.amount}`);
  }
}

/** The balance per currency: the sum of every entry. */
export function balances(
  entries: readonly Pick<LedgerEntry, 'currency' | 'amount'>[],
): Partial<Record<Currency, number>> {
  const totals: Partial<Record<Currency, number>> = {};
  for (const entry of entries) totals[entry.currency] = (totals[entry.currency] ?? 0) + entry.amount;
  return totals;
}

export interface EarningsSummary {
  today: number;
  last7Days: number;
  last30Days: number;
  allTime: number;
}

const DAY_MS = 86_400_000;

/**
 * Time-zone rule: windows are whole calendar days, in UTC unless a partner asks for an IANA time zone. `today`
 * starts at 00:00 of the current day, `last7Days` at 00:00 six days earlier (today and the six days before),
 * `last30Days` at 00:00 29 days earlier. An entry belongs to a window when `start <= occurredAt <= now`.
 * In a time zone with daylight saving time a day is 23 or 25 hours long; each window still starts at local midnight
 * (or the first local time after it, where midnight does not exist).
 */
export function windowStarts(now: number, timeZone = 'UTC'): { today: number; last7Days: number; last30Days: number } {
  if (timeZone === 'UTC') {
    const today = Math.floor(now / DAY_MS) * DAY_MS;
    return { today, last7Days: today - 6 * DAY_MS, last30Days: today - 29 * DAY_MS };
  }
  return {
    today: localMidnight(now, timeZone, 0),
    last7Days: localMidnight(now, timeZone, 6),
    last30Days: localMidnight(now, timeZone, 29),
  };
}

/** Whether the runtime knows this IANA time zone. */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock fields of an instant in a time zone. */
function wallClock(at: number, timeZone: string) {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  const fields: Record<string, number> = {};
  for (const part of format.formatToParts(at)) if (part.type !== 'literal') fields[part.type] = Number(part.value);
  return fields as Record<'year' | 'month' | 'day' | 'hour' | 'minute' | 'second', number>;
}

/** How far the zone's wall clock is ahead of UTC at an instant (ms). */
function offsetAt(at: number, timeZone: string): number {
  const w = wallClock(at, timeZone);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(at / 1000) * 1000;
}

/** The instant of 00:00 local time, `daysBack` calendar days before the local day that contains `now`. */
function localMidnight(now: number, timeZone: string, daysBack: number): number {
  const w = wallClock(now, timeZone);
  const wall = Date.UTC(w.year, w.month - 1, w.day - daysBack); // that midnight, read as if it were UTC
  // The offset at the target instant may differ from the offset now (DST): correct twice.
  let instant = wall - offsetAt(wall, timeZone);
  instant = wall - offsetAt(instant, timeZone);
  return instant;
}

/** Earnings totals per currency over the partner-visible entries (their share only, never the gross). */
export function summarizeEarnings(
  entries: readonly Pick<LedgerEntry, 'currency' | 'amount' | 'type' | 'occurredAt'>[],
  now: number,
  timeZone = 'UTC',
): Partial<Record<Currency, EarningsSummary>> {
  const starts = windowStarts(now, timeZone);
  const summary: Partial<Record<Currency, EarningsSummary>> = {};
  for (const entry of entries) {
    if (!EARNING_TYPES.has(entry.type) || entry.occurredAt > now) continue;
    const totals = summary[entry.currency] ?? { today: 0, last7Days: 0, last30Days: 0, allTime: 0 };
    summary[entry.currency] = totals;
    totals.allTime += entry.amount;
    if (entry.occurredAt >= starts.last30Days) totals.last30Days += entry.amount;
    if (entry.occurredAt >= starts.last7Days) totals.last7Days += entry.amount;
    if (entry.occurredAt >= starts.today) totals.today += entry.amount;
  }
  return summary;
}
