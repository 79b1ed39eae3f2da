import * as z from 'zod';
import { MAX_CAPACITY } from '#core/listings';
import { PAYMENT_REQUEST_KINDS } from '#core/payment-requests';
import { PartnerId } from './partner-request.ts';
import { CurrencyCode, Metadata, MinorUnits } from './payment-request.ts';

/** Bodies of the seller routes (listings, payment requests). */

const Title = z.string().trim().min(1).max(200);
const Description = z.string().trim().max(2000);
const Capacity = z.number().int().min(0).max(MAX_CAPACITY);
const MaxPerOrder = z.number().int().min(1).max(999);
const Instant = z.iso.datetime({ offset: true });

/**
 * The platform's own id of a record (a job, an event, a store order), up to 200 characters; the use case refuses
 * control characters. Carried with the money and searchable by operators.
 */
export const Reference = z
  .string()
  .min(1)
  .max(200)
  .describe("The platform's own id of this record (a job, an event, a store order), up to 200 characters.");

/** The platform's own metadata (Stripe's bounds; our reserved keys are refused). */
export const PlatformMetadataBody = Metadata.describe(
  "The platform's own metadata (at most 40 keys of up to 40 characters, values up to 500); keys we set on Stripe objects are refused.",
);

export const NewListingBody = z.strictObject({
  partnerId: PartnerId.optional(),
  title: Title,
  description: Description.optional(),
  unitAmount: MinorUnits,
  currency: CurrencyCode,
  capacity: Capacity.nullable().optional(),
  maxPerOrder: MaxPerOrder.nullable().optional(),
  salesEndAt: Instant.nullable().optional(),
  reference: Reference.optional(),
  metadata: PlatformMetadataBody,
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
    reference: Reference.nullable().optional(),
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
  reference: Reference.optional(),
  metadata: PlatformMetadataBody,
});
