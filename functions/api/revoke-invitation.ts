import * as z from 'zod';
import { revokeInvitation } from '#core/invitations';
import { httpHandler, NoQuery, PARTNER_ACCESS_ERRORS } from '#middleware/http-handler';
import { callerOf, deps, PartnerId } from '#middleware/partner-request';

const Path = z.strictObject({
  partnerId: PartnerId,
  invitationId: z.string().regex(/^inv_[a-f0-9]{24}$/, 'expected an invitation id (inv_…)'),
});

/** `DELETE /partners/{partnerId}/invitations/{invitationId}`: revoked at once; its token is refused from now on. */
export const handler = httpHandler(
  {
    auth: 'partner',
    errors: [...PARTNER_ACCESS_ERRORS, 'invitation_not_found', 'invitation_not_pending'],
    query: NoQuery,
    path: Path,
    summary: 'Revoke a pending invitation (owner or admin)',
    responses: () => ({ 204: { empty: true, description: 'The invitation was revoked (no body).' } }),
  },
  async ({ identity, path }) => {
    await revokeInvitation(deps(), callerOf(identity), path.partnerId, path.invitationId);
    return { status: 204 };
  },
);
