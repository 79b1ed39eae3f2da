/**
 * Money is an integer number of minor units (cents, pence; yen have none) plus an ISO currency in lower case,
 * as Stripe represents it. No floating point is used anywhere an amount is computed or stored.
 */
export interface Money {
  readonly amount: number;
  readonly currency: Currency;
}

/**
 * Currencies the platform accepts, with Stripe's minimum charge amount (in minor units) for each. Stripe's
 * maximum is 8 digits of minor units (99,999,999) for every one of them.
 */
export const CURRENCIES = {
  usd: { minorUnits: 2, minimumCharge: 50 },
  eur: { minorUnits: 2, minimumCharge: 50 },
  gbp: { minorUnits: 2, minimumCharge: 30 },
  cad: { minorUnits: 2, minimumCharge: 50 },
  aud: { minorUnits: 2, minimumCharge: 50 },
  jpy: { minorUnits: 0, minimumCharge: 50 },
} as const;

export type Currency = keyof typeof CURRENCIES;

export const MAXIMUM_CHARGE = 99_999_999;

/**
 * The largest amount one Stripe object carries (a Transfer, a reversal), and so the bound of every amount we record
 * (an earning, an adjustment): 8 digits of minor units, as for charges.
 */
export const MAXIMUM_TRANSFER = 99_999_999;

/** Why an amount cannot be recorded in the ledger (an earning, an adjustment), or undefined when it can. */
export function ledgerAmountProblem(amount: number, allowNegative: boolean): string | undefined {
  if (!Number.isSafeInteger(amount) || amount === 0) return 'must be a non-zero integer number of minor units';
  if (!allowNegative && amount < 0) return 'must be positive';
  if (Math.abs(amount) > MAXIMUM_TRANSFER) return `must be at most ${MAXIMUM_TRANSFER} in absolute value`;
  return undefined;
}

export const BASIS_POINTS = 10_000;

export function isCurrency(value: string): value is Currency {
  return Object.hasOwn(CURRENCIES, value);
}

export function isMinorUnitAmount(value: number): boolean {
  return Number.isSafeInteger(value);
}

/** Why an amount cannot be charged, or undefined when it can. */
export function chargeAmountProblem(amount: number, currency: Currency): string | undefined {
  if (!Number.isSafeInteger(amount) || amount <= 0) return 'must be a positive integer number of minor units';
  if (amount < CURRENCIES[currency].minimumCharge) {
    return `must be at least ${CURRENCIES[currency].minimumCharge} (Stripe's minimum for ${currency})`;
  }
  if (amount > MAXIMUM_CHARGE) return `must be at most ${MAXIMUM_CHARGE} (Stripe's maximum)`;
  return undefined;
}

export interface FeePolicy {
  /** Platform fee in basis points: 300 = 3 %, 500 = 5 %, 2000 = 20 % (the partner keeps 80 %). */
  readonly bps: number;
  /** Optional floor, in minor units of the charge currency. */
  readonly minimumFee?: number;
}

/**
 * THE rounding rule for platform fees, used everywhere a fee is computed:
 * fee = amount × bps / 10 000, rounded half up to a whole minor unit (0.5 cent → 1 cent), then raised to the
 * minimum fee if one is set, and never more than the amount itself. Pure integer arithmetic: amount × bps stays
 * below 2^53 for every amount Stripe accepts, so the result is exact.
 */
export function platformFee(amount: number, policy: FeePolicy): number {
  if (!Number.isSafeInteger(amount) || amount < 0)
    throw new RangeError(`amount must be a non-negative integer: ${amount}`);
  if (!Number.isInteger(policy.bps) || policy.bps < 0 || policy.bps > BASIS_POINTS) {
    throw new RangeError(`bps must be an integer between 0 and ${BASIS_POINTS}: ${policy.bps}`);
  }
  const product = amount * policy.bps;
  let fee = Math.floor(product / BASIS_POINTS);
  if ((product % BASIS_POINTS) * 2 >= BASIS_POINTS) fee += 1;
  if (policy.minimumFee !== undefined) fee = Math.max(fee, policy.minimumFee);
  return Math.min(fee, amount);
}

/** What the partner receives from a charge: the gross minus the platform fee. */
export function splitCharge(amount: number, policy: FeePolicy): { gross: number; fee: number; net: number } {
  const fee = platformFee(amount, policy);
  return { gross: amount, fee, net: amount - fee };
}

/** Sums amounts of one currency; refuses to mix currencies. */
export function sum(items: readonly Money[], currency: Currency): Money {
  let total = 0;
  for (const item of items) {
    if (item.currency !== currency) throw new RangeError(`cannot add ${item.currency} to ${currency}`);
    total += item.amount;
  }
  if (!Number.isSafeInteger(total)) throw new RangeError('sum overflows the safe integer range');
  return { amount: total, currency };
}
