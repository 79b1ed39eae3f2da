import * as z from 'zod';
import { type PaymentGrants, paymentDeps } from '#adapters/payment-deps';
import { codes } from '#core/error-catalog';
import { fail } from '#core/errors';
import type { Log } from '#core/partner-access';
import type { PaymentDeps } from '#core/payment-ports';
import { logger } from './observability.ts';

/** Shared request pieces of the payment, earnings and admin payment routes. */

const log: Log = {
  info: (message, details) => logger.info(message, details ?? {}),
  warn: (message, details) => logger.warn(message, details ?? {}),
};

/** The table's dependencies, plus Stripe when the route's `access` grants it (`{ stripe: stripePayments }`). */
export const paymentDepsForRequest = (grants: PaymentGrants = {}): PaymentDeps => paymentDeps(log, grants);

export const PaymentId = z.string().regex(/^pay_[a-f0-9]{24}$/, 'expected a payment id (pay_…)');
export const OrderId = z.string().regex(/^ord_[a-f0-9]{24}$/, 'expected an order id (ord_…)');

/** Amounts are integers of minor units; the use case checks Stripe's per-currency bounds. */
export const MinorUnits = z.number().int('expected an integer number of minor units').safe();

/** ISO 4217 code, any case; the use case checks it is one we support. */
export const CurrencyCode = z.string().regex(/^[A-Za-z]{3}$/, 'expected a 3-letter currency code');

/** Stripe's metadata limits: 50 keys, keys up to 40 characters, values up to 500. */
export const Metadata = z
  .record(z.string().min(1).max(40), z.string().max(500))
  .refine((value) => Object.keys(value).length <= 40, 'at most 40 metadata keys')
  .default({});

export const ListingId = z.string().regex(/^lst_[a-f0-9]{24}$/, 'expected a listing id (lst_…)');
export const PaymentRequestId = z.string().regex(/^prq_[a-f0-9]{24}$/, 'expected a payment request id (prq_…)');

/** What paying a payment request can answer, either way (Checkout adds its redirect URLs' codes). */
export const PAY_REQUEST_ERRORS = codes(
  'client_price_refused',
  'payment_request_not_found',
  'payment_request_not_payable',
  'payment_request_in_progress',
  'self_payment',
  'payee_not_found',
  'partner_not_onboarded',
  'currency_mismatch',
);

/** Fields by which a client could try to set a price, a payee or what is bought: never taken from a buyer. */
const CLIENT_PRICE_FIELDS = new Set([
  'amount',
  'unitAmount',
  'unit_amount',
  'price',
  'name',
  'currency',
  'fee',
  'payeeId',
  'partnerId',
  'destination',
]);

function priceFieldsOf(value: unknown, path: string[] = []): string[] {
  if (Array.isArray(value)) return value.flatMap((item, index) => priceFieldsOf(item, [...path, String(index)]));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([key, child]) => [
    ...(CLIENT_PRICE_FIELDS.has(key) ? [[...path, key].join('.')] : []),
    ...priceFieldsOf(child, [...path, key]),
  ]);
}

/**
 * A buyer's request naming a price, payee or item name is refused (400 `client_price_refused`), not ignored: prices
 * come from the seller's listing or payment request. `use` names what to send instead.
 */
export function refuseClientPrices(body: unknown, use: string): void {
  const fields = priceFieldsOf(body);
  if (fields.length > 0) {
    fail(
      'client_price_refused',
      `Prices and payees come from the seller, not the request (${fields.join(', ')}): ${use}`,
      { fields },
    );
  }
}

/** Any JSON object: the route refuses price fields first, then validates with its own schema. */
export const AnyObject = z.record(z.string(), z.unknown());
