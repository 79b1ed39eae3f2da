import { ensureAccount } from '#core/onboarding';
import { resolvePartner } from '#core/partner-access';
import { httpHandler } from '#middleware/http-handler';
import { AccountBody, callerOf, deps, PartnerQuery } from '#middleware/partner-request';

/** Creates the partner's Express account if missing; calling again returns the existing one. */
export const handler = httpHandler(
  { auth: 'partner', body: AccountBody, query: PartnerQuery },
  async ({ identity, body, query }) => {
    const d = deps();
    const caller = callerOf(identity);
    const context = await resolvePartner(d, caller, query.partnerId, 'manage_onboarding');
    const { partner, created } = await ensureAccount(d, context, caller, body);
    return {
      status: created ? 201 : 200,
      body: { accountId: partner.stripeAccountId, status: partner.status, created },
    };
  },
);
