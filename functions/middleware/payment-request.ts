import { z } from 'zod';
import { paymentDeps } from '#adapters/payment-deps';
import type { Log } from '#core/partner-access';
import type { PaymentDeps } from '#core/payment-ports';
import { logger } from './observability.ts';

/** Shared request pieces of the payment, earnings and admin payment routes. */

const log: Log = {
  info: (message, details) => logger.info(message, details ?? {}),
  warn: (message, details) => logger.warn(message, details ?? {}),
};

export const paymentDepsForRequest = (): PaymentDeps => paymentDeps(log);

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
