import * as z from 'zod';
import { removeMember } from '#core/teams';
import { httpHandler, NoQuery, PARTNER_ACCESS_ERRORS } from '#middleware/http-handler';
import { callerOf, deps, PartnerId } from '#middleware/partner-request';

const Path = z.strictObject({ partnerId: PartnerId, userSub: z.string().min(1).max(128) });

/** The owner removes a member; any member but the owner may remove themselves (leave). */
export const handler = httpHandler(
  {
    auth: 'partner',
    errors: [...PARTNER_ACCESS_ERRORS, 'member_not_found', 'cannot_remove_owner'],
    query: NoQuery,
    path: Path,
    summary: 'Remove a member (owner), or leave a team',
    responses: () => ({ 204: { empty: true, description: 'The member was removed (no body).' } }),
  },
  async ({ identity, path }) => {
    await removeMember(deps(), callerOf(identity), path.partnerId, path.userSub);
    return { status: 204 };
  },
);
