import { z } from 'zod';
import { publicListings } from '#core/sales';
import { httpHandler } from '#middleware/http-handler';
import { Cursor, Limit, PartnerId } from '#middleware/partner-request';
import { paymentDepsForRequest } from '#middleware/payment-request';

const Path = z.strictObject({ partnerId: PartnerId });
const Query = z.strictObject({ cursor: Cursor.optional(), limit: Limit });

/** `GET /partners/{partnerId}/listings` (public): a seller's listings, newest first. */
export const handler = httpHandler({ auth: 'public', path: Path, query: Query }, async ({ path, query }) => ({
  status: 200,
  body: await publicListings(paymentDepsForRequest(), path.partnerId, query),
}));
