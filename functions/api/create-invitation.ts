import * as z from 'zod';
import { createInvitation, invitationView } from '#core/invitations';
import { httpHandler, NoQuery, PARTNER_ACCESS_ERRORS } from '#middleware/http-handler';
import { callerOf, deps, PartnerId } from '#middleware/partner-request';
import { partnerSchemas } from './schemas/partners.ts';

const Body = z.strictObject({
  email: z.email().max(254),
  role: z.enum(['admin', 'member']).default('member'),
});

/**
 * `POST /partners/{partnerId}/invitations`: an owner or admin invites an email address to the team. The answer
 * carries the single-use token once (the app sends it to the invitee); only its hash is stored.
 */
export const handler = httpHandler(
  {
    auth: 'partner',
    errors: [...PARTNER_ACCESS_ERRORS, 'not_a_team'],
    body: Body,
    query: NoQuery,
    path: z.strictObject({ partnerId: PartnerId }),
    summary: 'Invite an email address to the team (owner or admin)',
    responses: () => {
      const { Invitation } = partnerSchemas();
      const Created = z
        .strictObject({
          invitation: Invitation,
          token: z
            .string()
            .describe('The single-use token, answered this once (only its hash is stored): send it to the invitee.'),
          acceptPath: z.string().describe('Where the invitee accepts: `POST /invitations/{token}/accept`.'),
        })
        .describe('The invitation was created; its token is never shown again.');
      return { 201: Created };
    },
  },
  async ({ identity, body, path }) => {
    const d = deps();
    const { invitation, token } = await createInvitation(d, callerOf(identity), path.partnerId, body);
    return {
      status: 201,
      body: {
        invitation: invitationView(invitation, d.clock.now()),
        token,
        acceptPath: `/invitations/${token}/accept`,
      },
    };
  },
);
