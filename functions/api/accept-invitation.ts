import * as z from 'zod';
import { acceptInvitation } from '#core/invitations';
import { memberView } from '#core/partner-views';
import { httpHandler, NoQuery } from '#middleware/http-handler';
import { callerOf, deps } from '#middleware/partner-request';
import { partnerSchemas } from './schemas/partners.ts';

/** Any token-shaped value: a wrong one is `404 invitation_not_found`, like one that never existed. */
const Path = z.strictObject({ token: z.string().min(1).max(128) });

/**
 * `POST /invitations/{token}/accept`: the invitee, signed in with their own account, joins the team — only when the
 * pool verified their email and it is the invited address.
 */
export const handler = httpHandler(
  {
    auth: 'partner',
    errors: [
      'invitation_not_found',
      'invitation_not_pending',
      'invitation_expired',
      'email_not_verified',
      'invitation_email_mismatch',
      'already_a_member',
      'partner_not_found',
    ],
    query: NoQuery,
    path: Path,
    summary: 'Accept an invitation (the invitee, with their verified email)',
    responses: () => {
      const { Member } = partnerSchemas();
      return { 201: Member.describe('The caller joined the team: their new membership.') };
    },
  },
  async ({ identity, path }) => {
    const member = await acceptInvitation(deps(), callerOf(identity), path.token);
    return { status: 201, body: memberView(member) };
  },
);
