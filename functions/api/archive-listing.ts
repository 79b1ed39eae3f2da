import * as z from 'zod';
import { resolvePartner } from '#core/partner-access';
import { archiveListing, sellerOfListing } from '#core/sales';
import { httpHandler, NoQuery, PARTNER_ACCESS_ERRORS } from '#middleware/http-handler';
import { callerOf, deps } from '#middleware/partner-request';
import { ListingId, paymentDepsForRequest } from '#middleware/payment-request';

const Path = z.strictObject({ listingId: ListingId });

/** `DELETE /listings/{listingId}`: archived (no longer on sale; orders keep their snapshot). */
export const handler = httpHandler(
  {
    auth: 'partner',
    errors: [...PARTNER_ACCESS_ERRORS, 'listing_not_found', 'listing_changed'],
    path: Path,
    query: NoQuery,
    summary: 'Archive a listing (never on sale again; orders keep their snapshot)',
    responses: () => ({ 204: { empty: true, description: 'The listing is archived.' } }),
  },
  async ({ identity, path }) => {
    const payments = paymentDepsForRequest();
    const partnerId = await sellerOfListing(payments, path.listingId);
    const { partner } = await resolvePartner(deps(), callerOf(identity), partnerId, 'manage_sales');
    await archiveListing(payments, partner, path.listingId);
    return { status: 204 };
  },
);
