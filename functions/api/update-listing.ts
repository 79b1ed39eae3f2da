import * as z from 'zod';
import { resolvePartner } from '#core/partner-access';
import { sellerOfListing, updateListing } from '#core/sales';
import { httpHandler, NoQuery, PARTNER_ACCESS_ERRORS } from '#middleware/http-handler';
import { callerOf, deps } from '#middleware/partner-request';
import { ListingId, paymentDepsForRequest } from '#middleware/payment-request';
import { ListingChangesBody } from '#middleware/sales-request';
import { salesSchemas } from './schemas/sales.ts';

const Path = z.strictObject({ listingId: ListingId });

/** `PATCH /listings/{listingId}`: the seller's changes; a new price applies to new orders only. */
export const handler = httpHandler(
  {
    auth: 'partner',
    errors: [
      ...PARTNER_ACCESS_ERRORS,
      'listing_not_found',
      'listing_archived',
      'listing_changed',
      'capacity_below_taken',
      'invalid_amount',
      'invalid_reference',
    ],
    path: Path,
    body: ListingChangesBody,
    query: NoQuery,
    summary: 'Change a listing (a new price applies to new orders only)',
    responses: () => {
      const { SellerListing } = salesSchemas();
      return { 200: SellerListing.describe('The listing after the change.') };
    },
  },
  async ({ identity, path, body }) => {
    const payments = paymentDepsForRequest();
    const partnerId = await sellerOfListing(payments, path.listingId);
    const { partner } = await resolvePartner(deps(), callerOf(identity), partnerId, 'manage_sales');
    return { status: 200, body: await updateListing(payments, partner, path.listingId, body) };
  },
);
