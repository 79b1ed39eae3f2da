import { resolvePartner } from '#core/partner-access';
import { createListing } from '#core/sales';
import { httpHandler, NoQuery, PARTNER_ACCESS_ERRORS } from '#middleware/http-handler';
import { callerOf, deps } from '#middleware/partner-request';
import { paymentDepsForRequest } from '#middleware/payment-request';
import { NewListingBody } from '#middleware/sales-request';
import { salesSchemas } from './schemas/sales.ts';

/** `POST /listings`: a partner's fixed-price listing (owner/admin of a team; the caller's personal partner by default). */
export const handler = httpHandler(
  {
    auth: 'partner',
    errors: [
      ...PARTNER_ACCESS_ERRORS,
      'currency_mismatch',
      'invalid_amount',
      'unsupported_currency',
      'invalid_reference',
      'reserved_metadata_key',
    ],
    body: NewListingBody,
    query: NoQuery,
    summary: 'Create a fixed-price listing',
    responses: () => {
      const { SellerListing } = salesSchemas();
      return { 201: SellerListing.describe('The listing was created.') };
    },
  },
  async ({ identity, body }) => {
    const { partnerId, ...input } = body;
    const { partner } = await resolvePartner(deps(), callerOf(identity), partnerId, 'manage_sales');
    return { status: 201, body: await createListing(paymentDepsForRequest(), partner, input) };
  },
);
