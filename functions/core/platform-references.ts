import { fail } from './errors.ts';
import { requireCallerMetadata } from './payment.ts';

/**
 * The platform's own references: the id the platform knows a thing by (a job, an event, a store order), given on a
 * listing, a payment request or an order, with bounded metadata of its own. The reference travels with the money:
 * onto the payment, its Stripe objects' metadata (`platform_reference`), the ledger entries the payment creates,
 * the order, the payout that covers them, and the domain events about them. Operators find payments and orders by
 * it (an index query); a partner sees the references of its own records only.
 */
export const MAX_REFERENCE_LENGTH = 200;

/** The Stripe metadata key that carries the reference (reserved: a caller's metadata may not set it). */
export const REFERENCE_METADATA_KEY = 'platform_reference';

export interface PlatformFields {
  /** The platform's id, or null when it gave none. */
  reference: string | null;
  /** The platform's metadata (our reserved keys refused). */
  metadata: Record<string, string>;
}

export interface PlatformFieldsInput {
  reference?: string | null | undefined;
  metadata?: Record<string, string> | undefined;
}

/** A reference is 1–200 characters with no control characters (it is shown, indexed and sent to Stripe). */
export function requireReference(reference: string): string {
  const invalid =
    reference.length === 0 ||
    reference.length > MAX_REFERENCE_LENGTH ||
    [...reference].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
  if (invalid) {
    fail('invalid_reference', `reference must be 1 to ${MAX_REFERENCE_LENGTH} characters without control characters.`);
  }
  return reference;
}

/** The checked reference and metadata of a create request (400 `invalid_reference`, `reserved_metadata_key`). */
export function platformFields(input: PlatformFieldsInput): PlatformFields {
  return {
    reference: input.reference === undefined || input.reference === null ? null : requireReference(input.reference),
    metadata: requireCallerMetadata(input.metadata ?? {}),
  };
}

/** The Stripe metadata that carries a reference (none when there is none). */
export const referenceMetadata = (reference: string | null): Record<string, string> =>
  reference === null ? {} : { [REFERENCE_METADATA_KEY]: reference };

/** The ledger annotation of an entry caused by something with this reference (absent when none). */
export const platformReferenceOf = (reference: string | null | undefined): { platformReference?: string } =>
  reference ? { platformReference: reference } : {};
