import * as z from 'zod';
import { partnerView } from '#core/partner-views';
import { listMyPartners } from '#core/teams';
import { httpHandler, NoQuery } from '#middleware/http-handler';
import { callerOf, deps } from '#middleware/partner-request';
import { partnerSchemas } from './schemas/partners.ts';

/** Every partner the caller belongs to, with the caller's role in each. */
export const handler = httpHandler(
  {
    auth: 'partner',
    query: NoQuery,
    summary: 'Partners the caller belongs to',
    responses: () => {
      const { Partner } = partnerSchemas();
      const Partners = z
        .strictObject({ partners: z.array(Partner) })
        .describe('Every partner the caller belongs to, with the caller’s role in each.');
      return { 200: Partners };
    },
  },
  async ({ identity }) => {
    const partners = await listMyPartners(deps(), callerOf(identity));
    return { status: 200, body: { partners: partners.map(({ partner, role }) => partnerView(partner, role)) } };
  },
);
