import { domainError, fail } from './errors.ts';
import {
  applyListingChanges,
  type Listing,
  type ListingChanges,
  type NewListingInput,
  newListing,
  publicListingView,
  sellerListingView,
} from './listings.ts';
import type { Partner } from './partner.ts';
import { parseCurrency } from './payment.ts';
import type { PaymentDeps } from './payment-ports.ts';
import {
  type NewPaymentRequestInput,
  newPaymentRequest,
  type PaymentRequest,
  payerRequestView,
  readPaymentRequest,
  sellerRequestView,
} from './payment-requests.ts';

/**
 * What sellers manage (listings, payment requests) and what anyone may read of them. The seller partner is resolved
 * by the caller's membership before these run (owner/admin roles: `manage_sales`).
 */

const listingNotFound = () => domainError('listing_not_found');

export async function createListing(
  deps: PaymentDeps,
  seller: Partner,
  input: Omit<NewListingInput, 'currency'> & { currency: string },
) {
  const at = deps.clock.now();
  const listing = newListing(
    deps.ids.listing(),
    seller,
    { ...input, currency: parseCurrency(input.currency) },
    at.toISOString(),
  );
  await deps.listings.create(listing);
  deps.log.info('Listing created', { listingId: listing.id, partnerId: seller.id });
  return sellerListingView(listing, seller, at);
}

/** A listing that is not archived (archived ones are gone for everyone but their past orders). */
export async function readListing(deps: PaymentDeps, listingId: string): Promise<Listing> {
  const listing = await deps.listings.get(listingId);
  if (!listing || listing.archived) throw listingNotFound();
  return listing;
}

export async function publicListing(deps: PaymentDeps, listingId: string) {
  const listing = await readListing(deps, listingId);
  return publicListingView(listing, await deps.partners.get(listing.partnerId), deps.clock.now());
}

export async function publicListings(
  deps: PaymentDeps,
  partnerId: string,
  page: { cursor?: string | undefined; limit: number },
) {
  const seller = await deps.partners.get(partnerId);
  const { listings, nextCursor } = await deps.listings.listByPartner(partnerId, {
    limit: page.limit,
    ...(page.cursor ? { cursor: page.cursor } : {}),
  });
  const now = deps.clock.now();
  return {
    listings: listings.filter((l) => !l.archived).map((l) => publicListingView(l, seller, now)),
    nextCursor,
  };
}

/** A seller's change, compare-and-set on the listing's version (re-read and re-applied when a sale got there first). */
export async function updateListing(deps: PaymentDeps, seller: Partner, listingId: string, changes: ListingChanges) {
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const listing = await readListing(deps, listingId);
    if (listing.partnerId !== seller.id) throw listingNotFound();
    const now = deps.clock.now();
    const next = applyListingChanges(listing, changes, now.toISOString());
    if (await deps.listings.update(next, listing.version)) return sellerListingView(next, seller, now);
  }
  fail('listing_changed');
}

/** `DELETE`: archived, never on sale again; existing orders keep their snapshot. */
export async function archiveListing(deps: PaymentDeps, seller: Partner, listingId: string) {
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const listing = await readListing(deps, listingId);
    if (listing.partnerId !== seller.id) throw listingNotFound();
    const now = deps.clock.now();
    const next: Listing = {
      ...listing,
      active: false,
      archived: true,
      updatedAt: now.toISOString(),
      version: listing.version + 1,
    };
    if (await deps.listings.update(next, listing.version)) return;
  }
  fail('listing_changed');
}

/** The listing's seller, for the handler to check the caller's role on (404 for a missing or archived listing). */
export async function sellerOfListing(deps: PaymentDeps, listingId: string): Promise<string> {
  return (await readListing(deps, listingId)).partnerId;
}

export async function createPaymentRequest(
  deps: PaymentDeps,
  seller: Partner,
  createdBy: string,
  input: Omit<NewPaymentRequestInput, 'currency'> & { currency: string },
) {
  const now = deps.clock.now();
  const request = newPaymentRequest(
    deps.ids.paymentRequest(),
    seller,
    createdBy,
    { ...input, currency: parseCurrency(input.currency) },
    now,
  );
  await deps.paymentRequests.create(request);
  deps.log.info('Payment request created', { paymentRequestId: request.id, partnerId: seller.id });
  return sellerRequestView(request, now);
}

export async function payerRequest(deps: PaymentDeps, requestId: string) {
  const request = await readPaymentRequest(deps, requestId);
  return payerRequestView(request, await deps.partners.get(request.partnerId), deps.clock.now());
}

export async function sellerRequests(
  deps: PaymentDeps,
  seller: Partner,
  page: { cursor?: string | undefined; limit: number },
) {
  const { requests, nextCursor } = await deps.paymentRequests.listByPartner(seller.id, {
    limit: page.limit,
    ...(page.cursor ? { cursor: page.cursor } : {}),
  });
  const now = deps.clock.now();
  return { paymentRequests: requests.map((r: PaymentRequest) => sellerRequestView(r, now)), nextCursor };
}
