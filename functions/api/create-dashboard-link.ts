import * as z from 'zod';
import { stripeConnect } from '#adapters/stripe/connect';
import { createDashboardLink } from '#core/onboarding';
import { resolvePartner } from '#core/partner-access';
import { httpHandler, PARTNER_ACCESS_ERRORS } from '#middleware/http-handler';
import { callerOf, deps, PartnerQuery } from '#middleware/partner-request';

/** A single-use Express Dashboard login link; 409 `onboarding_incomplete` before details are submitted. */
export const handler = httpHandler(
  {
    auth: 'partner',
    errors: [...PARTNER_ACCESS_ERRORS, 'account_disconnected', 'onboarding_incomplete'],
    query: PartnerQuery,
    summary: 'Express Dashboard login link',
    responses: () => {
      const DashboardLink = z
        .strictObject({ url: z.string().describe('Single-use login link to the Express Dashboard.') })
        .describe('An Express Dashboard login link.');
      return { 200: DashboardLink };
    },
  },
  async ({ identity, query }) => {
    const d = deps({ stripe: stripeConnect });
    const context = await resolvePartner(d, callerOf(identity), query.partnerId, 'manage_onboarding');
    return { status: 200, body: await createDashboardLink(d, context) };
  },
);
