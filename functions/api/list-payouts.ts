import * as z from 'zod';
import { resolvePartner } from '#core/partner-access';
import { payoutView } from '#core/payment-views';
import { httpHandler, PARTNER_ACCESS_ERRORS } from '#middleware/http-handler';
import { Cursor, callerOf, deps, Limit, PartnerId } from '#middleware/partner-request';
import { paymentDepsForRequest } from '#middleware/payment-request';
import { commonSchemas } from './schemas/common.ts';
import { paymentSchemas } from './schemas/payments.ts';

const Query = z.strictObject({ partnerId: PartnerId.optional(), cursor: Cursor.optional(), limit: Limit });

/** `GET /payouts`: the platform's monthly payouts to the partner (by Transfer), newest period first. */
export const handler = httpHandler(
  {
    auth: 'partner',
    errors: [...PARTNER_ACCESS_ERRORS],
    query: Query,
    summary: "The platform's monthly payouts to the partner",
    responses: () => {
      const { NextCursor } = commonSchemas();
      const { PartnerPayout } = paymentSchemas();
      const Payouts = z
        .strictObject({ payouts: z.array(PartnerPayout), nextCursor: NextCursor })
        .describe('A page of the platform’s payouts to the partner, newest period first.');
      return { 200: Payouts };
    },
  },
  async ({ identity, query }) => {
    const { partner } = await resolvePartner(deps(), callerOf(identity), query.partnerId, 'view_earnings');
    const page = await paymentDepsForRequest().payouts.list(partner.id, {
      limit: query.limit,
      ...(query.cursor ? { cursor: query.cursor } : {}),
    });
    return { status: 200, body: { payouts: page.payouts.map(payoutView), nextCursor: page.nextCursor } };
  },
);
