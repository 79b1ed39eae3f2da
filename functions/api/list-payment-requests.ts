import * as z from 'zod';
import { resolvePartner } from '#core/partner-access';
import { sellerRequests } from '#core/sales';
import { httpHandler, PARTNER_ACCESS_ERRORS } from '#middleware/http-handler';
import { Cursor, callerOf, deps, Limit, PartnerId } from '#middleware/partner-request';
import { paymentDepsForRequest } from '#middleware/payment-request';
import { commonSchemas } from './schemas/common.ts';
import { salesSchemas } from './schemas/sales.ts';

const Query = z.strictObject({ partnerId: PartnerId.optional(), cursor: Cursor.optional(), limit: Limit });

/** `GET /payment-requests?partnerId=`: the seller's requests, newest first (owner/admin roles). */
export const handler = httpHandler(
  {
    auth: 'partner',
    errors: [...PARTNER_ACCESS_ERRORS],
    query: Query,
    summary: "The seller's payment requests",
    responses: () => {
      const { NextCursor } = commonSchemas();
      const { SellerRequest } = salesSchemas();
      const Requests = z
        .strictObject({ paymentRequests: z.array(SellerRequest), nextCursor: NextCursor })
        .describe("A page of the seller's payment requests, newest first.");
      return { 200: Requests };
    },
  },
  async ({ identity, query }) => {
    const { partner } = await resolvePartner(deps(), callerOf(identity), query.partnerId, 'manage_sales');
    return { status: 200, body: await sellerRequests(paymentDepsForRequest(), partner, query) };
  },
);
