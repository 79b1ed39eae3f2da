import { resolvePartner } from '#core/partner-access';
import { partnerView } from '#core/partner-views';
import { httpHandler } from '#middleware/http-handler';
import { callerOf, deps, PartnerQuery } from '#middleware/partner-request';

/** The caller's partner profile (personal by default, created on first use; or `?partnerId=` of a team). */
export const handler = httpHandler({ auth: 'partner', query: PartnerQuery }, async ({ identity, query }) => {
  const { partner, role } = await resolvePartner(deps(), callerOf(identity), query.partnerId, 'view');
  return { status: 200, body: partnerView(partner, role) };
});
