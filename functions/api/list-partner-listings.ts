import * as z from 'zod';
import { publicListings } from '#core/sales';
import { httpHandler } from '#middleware/http-handler';
import { Cursor, Limit, PartnerId } from '#middleware/partner-request';
import { paymentDepsForRequest } from '#middleware/payment-request';
import { commonSchemas } from './schemas/common.ts';
import { salesSchemas } from './schemas/sales.ts';

const Path = z.strictObject({ partnerId: PartnerId });
const Query = z.strictObject({ cursor: Cursor.optional(), limit: Limit });

/** `GET /partners/{partnerId}/listings` (public): a seller's listings, newest first. */
export const handler = httpHandler(
  {
    auth: 'public',
    path: Path,
    query: Query,
    summary: "A seller's listings (public)",
    responses: () => {
      const { NextCursor } = commonSchemas();
      const { PublicListing } = salesSchemas();
      const Listings = z
        .strictObject({ listings: z.array(PublicListing), nextCursor: NextCursor })
        .describe("A page of the seller's listings, newest first (archived ones left out, so a page may hold fewer).");
      return { 200: Listings };
    },
  },
  async ({ path, query }) => ({
    status: 200,
    body: await publicListings(paymentDepsForRequest(), path.partnerId, query),
  }),
);
