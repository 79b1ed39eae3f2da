import * as z from 'zod';
import { MAX_CAPACITY } from '#core/listings';
import { PAYMENT_REQUEST_KINDS } from '#core/payment-requests';
import { PartnerId } from './partner-request.ts';
import { CurrencyCode, MinorUnits } from './payment-request.ts';

/** Bodies of the seller routes (listings, payment requests). */

const Title = z.string().trim().min(1).max(200);
const Description = z.string().trim().max(2000);
const Capacity = z.number().int().min(0).max(MAX_CAPACITY);
const MaxPerOrder = z.number().int().min(1).max(999);
const Instant = z.iso.datetime({ offset: true });

export const NewListingBody = z.strictObject({
  partnerId: PartnerId.optional(),
  title: Title,
  description: Description.optional(),
  unitAmount: MinorUnits,
  currency: CurrencyCode,
  capacity: Capacity.nullable().optional(),
  maxPerOrder: MaxPerOrder.nullable().optional(),
  salesEndAt: Instant.nullable().optional(),
});

export const ListingChangesBody = z
  .strictObject({
    title: Title.optional(),
    description: Description.nullable().optional(),
    unitAmount: MinorUnits.optional(),
    capacity: Capacity.nullable().optional(),
    maxPerOrder: MaxPerOrder.nullable().optional(),
    salesEndAt: Instant.nullable().optional(),
    active: z.boolean().optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'name at least one field to change');

export const NewPaymentRequestBody = z.strictObject({
  partnerId: PartnerId.optional(),
  amount: MinorUnits,
  currency: CurrencyCode,
  kind: z.enum(PAYMENT_REQUEST_KINDS),
  description: z.string().trim().min(1).max(500),
  customerEmail: z.email().optional(),
  expiresAt: Instant.optional(),
});
