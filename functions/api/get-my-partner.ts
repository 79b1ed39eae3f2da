import { resolvePartner } from '#core/partner-access';
import { partnerView } from '#core/partner-views';
import { httpHandler, PARTNER_ACCESS_ERRORS } from '#middleware/http-handler';
import { callerOf, deps, PartnerQuery } from '#middleware/partner-request';
import { partnerSchemas } from './schemas/partners.ts';

/** The caller's partner profile (personal by default, created on first use; or `?partnerId=` of a team). */
export const handler = httpHandler(
  {
    auth: 'partner',
    errors: [...PARTNER_ACCESS_ERRORS],
    query: PartnerQuery,
    summary: "The caller's partner (personal one created on first use; `?partnerId=` for a team)",
    responses: () => {
      const { Partner } = partnerSchemas();
      return { 200: Partner };
    },
  },
  async ({ identity, query }) => {
    const { partner, role } = await resolvePartner(deps(), callerOf(identity), query.partnerId, 'view');
    return { status: 200, body: partnerView(partner, role) };
  },
);
