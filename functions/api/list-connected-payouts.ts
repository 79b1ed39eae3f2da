import * as z from 'zod';
import { resolvePartner } from '#core/partner-access';
import { listConnectedPayouts } from '#core/partner-queries';
import { connectedPayoutView } from '#core/partner-views';
import { httpHandler, PARTNER_ACCESS_ERRORS } from '#middleware/http-handler';
import { Cursor, callerOf, deps, Limit, PartnerId } from '#middleware/partner-request';
import { partnerSchemas } from './schemas/partners.ts';

const Query = z.strictObject({ partnerId: PartnerId.optional(), cursor: Cursor.optional(), limit: Limit });

/** Stripe payouts from the partner's connected account to their bank (from the Connect `payout.*` events). */
export const handler = httpHandler(
  {
    auth: 'partner',
    errors: [...PARTNER_ACCESS_ERRORS],
    query: Query,
    summary: "Stripe payouts from the connected account to the partner's bank",
    responses: () => {
      const { ConnectedPayoutPage } = partnerSchemas();
      return { 200: ConnectedPayoutPage };
    },
  },
  async ({ identity, query }) => {
    const d = deps();
    const context = await resolvePartner(d, callerOf(identity), query.partnerId, 'view_earnings');
    const page = await listConnectedPayouts(d, context, query);
    return { status: 200, body: { payouts: page.payouts.map(connectedPayoutView), nextCursor: page.nextCursor } };
  },
);
