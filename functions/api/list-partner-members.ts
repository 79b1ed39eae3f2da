import { z } from 'zod';
import { memberView } from '#core/partner-views';
import { listMembers } from '#core/teams';
import { httpHandler, NoQuery } from '#middleware/http-handler';
import { callerOf, deps, PartnerId } from '#middleware/partner-request';

/** Members of a partner, for its owner and admins. */
export const handler = httpHandler(
  { auth: 'partner', query: NoQuery, path: z.strictObject({ partnerId: PartnerId }) },
  async ({ identity, path }) => {
    const members = await listMembers(deps(), callerOf(identity), path.partnerId);
    return { status: 200, body: { members: members.map(memberView) } };
  },
);
