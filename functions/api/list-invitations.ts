import * as z from 'zod';
import { invitationView, listInvitations } from '#core/invitations';
import { httpHandler, NoQuery, PARTNER_ACCESS_ERRORS } from '#middleware/http-handler';
import { callerOf, deps, PartnerId } from '#middleware/partner-request';
import { partnerSchemas } from './schemas/partners.ts';

/** `GET /partners/{partnerId}/invitations`: the team's invitations, newest first (never their tokens). */
export const handler = httpHandler(
  {
    auth: 'partner',
    errors: [...PARTNER_ACCESS_ERRORS],
    query: NoQuery,
    path: z.strictObject({ partnerId: PartnerId }),
    summary: "The team's invitations (owner or admin)",
    responses: () => {
      const { Invitation } = partnerSchemas();
      const Invitations = z
        .strictObject({ invitations: z.array(Invitation) })
        .describe("The team's invitations, newest first.");
      return { 200: Invitations };
    },
  },
  async ({ identity, path }) => {
    const d = deps();
    const invitations = await listInvitations(d, callerOf(identity), path.partnerId);
    const now = d.clock.now();
    return { status: 200, body: { invitations: invitations.map((i) => invitationView(i, now)) } };
  },
);
