import * as z from 'zod';
import { stripeConnect } from '#adapters/stripe/connect';
import { ensureAccount } from '#core/onboarding';
import { resolvePartner } from '#core/partner-access';
import { httpHandler, PARTNER_ACCESS_ERRORS } from '#middleware/http-handler';
import { AccountBody, callerOf, deps, PartnerQuery } from '#middleware/partner-request';
import { partnerSchemas } from './schemas/partners.ts';

/** Creates the partner's Express account if missing; calling again returns the existing one. */
export const handler = httpHandler(
  {
    auth: 'partner',
    errors: [...PARTNER_ACCESS_ERRORS, 'unsupported_country', 'account_disconnected', 'account_creation_in_progress'],
    body: AccountBody,
    query: PartnerQuery,
    summary: 'Create the Express connected account (idempotent)',
    responses: () => {
      const { PartnerStatus } = partnerSchemas();
      const Account = z.strictObject({
        accountId: z.string().describe('The Express connected account id (`acct_…`).'),
        status: PartnerStatus,
        created: z.boolean().describe('True when this call created the account.'),
      });
      return {
        200: Account.describe('The partner already had an account: the existing one.'),
        201: Account.describe('The account was created.'),
      };
    },
  },
  async ({ identity, body, query }) => {
    const d = deps({ stripe: stripeConnect });
    const caller = callerOf(identity);
    const context = await resolvePartner(d, caller, query.partnerId, 'manage_onboarding');
    const { partner, created } = await ensureAccount(d, context, caller, body);
    return {
      status: created ? 201 : 200,
      body: { accountId: partner.stripeAccountId, status: partner.status, created },
    };
  },
);
