import * as z from 'zod';
import { publicListing } from '#core/sales';
import { httpHandler, NoQuery } from '#middleware/http-handler';
import { ListingId, paymentDepsForRequest } from '#middleware/payment-request';
import { salesSchemas } from './schemas/sales.ts';

const Path = z.strictObject({ listingId: ListingId });

/** `GET /listings/{listingId}` (public): title, price, seller name, what remains and whether it is on sale. */
export const handler = httpHandler(
  {
    auth: 'public',
    errors: ['listing_not_found'],
    path: Path,
    query: NoQuery,
    summary: 'A listing (public)',
    responses: () => {
      const { PublicListing } = salesSchemas();
      return { 200: PublicListing };
    },
  },
  async ({ path }) => ({
    status: 200,
    body: await publicListing(paymentDepsForRequest(), path.listingId),
  }),
);
