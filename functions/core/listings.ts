import { fail } from './errors.ts';
import { type Currency, chargeAmountProblem } from './money.ts';
import type { Partner } from './partner.ts';
import { type PlatformFieldsInput, platformFields, requireReference } from './platform-references.ts';

/**
 * A listing is what a partner sells at a price the partner sets: a product, a service, the tickets of an event.
 * Buyers name listings and quantities; the price, currency and payee always come from here.
 *
 * Capacity (`null` = unlimited) is guarded by one counter on the listing, `taken` = sold + reserved: an order
 * reserves its quantity in the same DynamoDB transaction that writes it, under the condition
 * `taken <= capacity - quantity` (DynamoDB conditions cannot add attributes, so `taken` is kept as one number and
 * `sold` / `reserved` beside it for reading). Settlement moves a reservation to sold, or releases it (see
 * `reservations.ts`).
 */
export interface Listing {
  id: string;
  partnerId: string;
  title: string;
  description: string | null;
  unitAmount: number;
  currency: Currency;
  capacity: number | null;
  maxPerOrder: number | null;
  /** ISO; no sales at or after it. */
  salesEndAt: string | null;
  active: boolean;
  /** Archived listings (DELETE) are never on sale again; orders keep their snapshot. */
  archived: boolean;
  sold: number;
  reserved: number;
  /** sold + reserved: the counter the capacity condition reads. */
  taken: number;
  /** The platform's own id of what is sold (an event, a product), and its metadata: the seller's view only. */
  reference: string | null;
  metadata: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface NewListingInput {
  title: string;
  description?: string | undefined;
  unitAmount: number;
  currency: Currency;
  capacity?: number | null | undefined;
  maxPerOrder?: number | null | undefined;
  salesEndAt?: string | null | undefined;
  reference?: string | undefined;
  metadata?: Record<string, string> | undefined;
}

export interface ListingChanges {
  title?: string | undefined;
  description?: string | null | undefined;
  unitAmount?: number | undefined;
  capacity?: number | null | undefined;
  maxPerOrder?: number | null | undefined;
  salesEndAt?: string | null | undefined;
  active?: boolean | undefined;
  reference?: string | null | undefined;
}

/** The largest capacity a listing may declare (a stadium, not a counter overflow). */
export const MAX_CAPACITY = 1_000_000;

function requirePrice(unitAmount: number, currency: Currency): void {
  const problem = chargeAmountProblem(unitAmount, currency);
  if (problem) fail('invalid_amount', `unitAmount ${problem}.`);
}

/** A seller may only price in a currency it can be paid in (its account's default currency). */
export function requireSellerCurrency(partner: Partner, currency: Currency): void {
  if (partner.defaultCurrency.toLowerCase() !== currency) {
    fail('currency_mismatch', `This partner is paid in ${partner.defaultCurrency}, not ${currency}.`, {
      partnerCurrency: partner.defaultCurrency,
    });
  }
}

export function newListing(id: string, partner: Partner, input: NewListingInput, at: string): Listing {
  requirePrice(input.unitAmount, input.currency);
  requireSellerCurrency(partner, input.currency);
  const platform = platformFields(input satisfies PlatformFieldsInput);
  return {
    id,
    partnerId: partner.id,
    title: input.title,
    description: input.description ?? null,
    unitAmount: input.unitAmount,
    currency: input.currency,
    capacity: input.capacity ?? null,
    maxPerOrder: input.maxPerOrder ?? null,
    salesEndAt: input.salesEndAt ?? null,
    active: true,
    archived: false,
    sold: 0,
    reserved: 0,
    taken: 0,
    reference: platform.reference,
    metadata: platform.metadata,
    createdAt: at,
    updatedAt: at,
    version: 1,
  };
}

/**
 * A listing after a seller's change. A new price applies to orders placed afterwards (orders keep their snapshot);
 * the capacity cannot go below what is sold plus reserved (checked again by the write's condition); the currency
 * never changes.
 */
export function applyListingChanges(listing: Listing, changes: ListingChanges, at: string): Listing {
  if (listing.archived) fail('listing_archived');
  if (changes.unitAmount !== undefined) requirePrice(changes.unitAmount, listing.currency);
  const next: Listing = { ...listing, updatedAt: at, version: listing.version + 1 };
  if (changes.title !== undefined) next.title = changes.title;
  if (changes.description !== undefined) next.description = changes.description;
  if (changes.unitAmount !== undefined) next.unitAmount = changes.unitAmount;
  if (changes.capacity !== undefined) next.capacity = changes.capacity;
  if (changes.maxPerOrder !== undefined) next.maxPerOrder = changes.maxPerOrder;
  if (changes.salesEndAt !== undefined) next.salesEndAt = changes.salesEndAt;
  if (changes.active !== undefined) next.active = changes.active;
  if (changes.reference !== undefined) {
    next.reference = changes.reference === null ? null : requireReference(changes.reference);
  }
  requireCapacityCovers(next);
  return next;
}

export function requireCapacityCovers(listing: Pick<Listing, 'capacity' | 'taken' | 'sold' | 'reserved'>): void {
  if (listing.capacity !== null && listing.capacity < listing.taken) {
    fail('capacity_below_taken', `The capacity cannot go below what is sold or reserved (${listing.taken}).`, {
      sold: listing.sold,
      reserved: listing.reserved,
    });
  }
}

/** What is left to sell; null when the capacity is unlimited (never negative, even after a forced late sale). */
export function remainingOf(listing: { capacity: number; taken: number }): number;
export function remainingOf(listing: Pick<Listing, 'capacity' | 'taken'>): number | null;
export function remainingOf(listing: Pick<Listing, 'capacity' | 'taken'>): number | null {
  return listing.capacity === null ? null : Math.max(0, listing.capacity - listing.taken);
}

/** On sale: active, not archived, before `salesEndAt`, and the seller can receive money. */
export function isOnSale(listing: Listing, seller: Partner | undefined, now: Date): boolean {
  return (
    listing.active &&
    !listing.archived &&
    (listing.salesEndAt === null || now.getTime() < Date.parse(listing.salesEndAt)) &&
    seller?.status === 'active' &&
    seller.stripeAccountId !== null
  );
}

/** The public view of a listing (no token needed): nothing about the seller but its name. */
export function publicListingView(listing: Listing, seller: Partner | undefined, now: Date) {
  return {
    id: listing.id,
    partnerId: listing.partnerId,
    sellerName: seller?.name ?? null,
    title: listing.title,
    description: listing.description,
    unitAmount: listing.unitAmount,
    currency: listing.currency,
    ...(listing.capacity !== null
      ? { capacity: listing.capacity, remaining: remainingOf({ capacity: listing.capacity, taken: listing.taken }) }
      : {}),
    maxPerOrder: listing.maxPerOrder,
    salesEndAt: listing.salesEndAt,
    onSale: isOnSale(listing, seller, now),
  };
}

/** The seller's view adds the counters and the management fields. */
export function sellerListingView(listing: Listing, seller: Partner | undefined, now: Date) {
  return {
    ...publicListingView(listing, seller, now),
    active: listing.active,
    archived: listing.archived,
    sold: listing.sold,
    reserved: listing.reserved,
    reference: listing.reference,
    metadata: listing.metadata,
    createdAt: listing.createdAt,
    updatedAt: listing.updatedAt,
  };
}
