import { z } from 'zod';
import { resolvePartner } from '#core/partner-access';
import { sellerRequests } from '#core/sales';
import { httpHandler } from '#middleware/http-handler';
import { Cursor, callerOf, deps, Limit, PartnerId } from '#middleware/partner-request';
import { paymentDepsForRequest } from '#middleware/payment-request';

const Query = z.strictObject({ partnerId: PartnerId.optional(), cursor: Cursor.optional(), limit: Limit });

/** `GET /payment-requests?partnerId=`: the seller's requests, newest first (owner/admin roles). */
export const handler = httpHandler({ auth: 'partner', query: Query }, async ({ identity, query }) => {
  const { partner } = await resolvePartner(deps(), callerOf(identity), query.partnerId, 'manage_sales');
  return { status: 200, body: await sellerRequests(paymentDepsForRequest(), partner, query) };
});
