import { z } from 'zod';
import { memberView } from '#core/partner-views';
import { addMember } from '#core/teams';
import { httpHandler, NoQuery } from '#middleware/http-handler';
import { callerOf, deps, PartnerId } from '#middleware/partner-request';
import { Member } from './schemas/partners.ts';

const Body = z.strictObject({
  email: z.email().max(254),
  role: z.enum(['admin', 'member']).default('member'),
});

/** The owner adds an existing user, by email, to a team partner. */
export const handler = httpHandler(
  {
    auth: 'partner',
    body: Body,
    query: NoQuery,
    path: z.strictObject({ partnerId: PartnerId }),
    summary: 'Add a member by email (owner)',
    responses: { 201: Member },
  },
  async ({ identity, body, path }) => {
    const member = await addMember(deps(), callerOf(identity), path.partnerId, body);
    return { status: 201, body: memberView(member) };
  },
);
