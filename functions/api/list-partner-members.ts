import * as z from 'zod';
import { memberView } from '#core/partner-views';
import { listMembers } from '#core/teams';
import { httpHandler, NoQuery, PARTNER_ACCESS_ERRORS } from '#middleware/http-handler';
import { callerOf, deps, PartnerId } from '#middleware/partner-request';
import { partnerSchemas } from './schemas/partners.ts';

/** Members of a partner, for its owner and admins. */
export const handler = httpHandler(
  {
    auth: 'partner',
    errors: [...PARTNER_ACCESS_ERRORS],
    query: NoQuery,
    path: z.strictObject({ partnerId: PartnerId }),
    summary: 'Team members',
    responses: () => {
      const { Member } = partnerSchemas();
      const Members = z.strictObject({ members: z.array(Member) }).describe('The members of the partner.');
      return { 200: Members };
    },
  },
  async ({ identity, path }) => {
    const members = await listMembers(deps(), callerOf(identity), path.partnerId);
    return { status: 200, body: { members: members.map(memberView) } };
  },
);
