import * as z from 'zod';
import { setPayoutPreference } from '#core/onboarding';
import { resolvePartner } from '#core/partner-access';
import { partnerView } from '#core/partner-views';
import { httpHandler, PARTNER_ACCESS_ERRORS } from '#middleware/http-handler';
import { callerOf, deps, PartnerQuery } from '#middleware/partner-request';
import { partnerSchemas } from './schemas/partners.ts';

const Body = z.strictObject({ method: z.enum(['stripe', 'manual']) });

/** How the partner wants to be paid: Stripe payouts, or manually (outside Stripe). Owners and admins only. */
export const handler = httpHandler(
  {
    auth: 'partner',
    errors: [...PARTNER_ACCESS_ERRORS],
    body: Body,
    query: PartnerQuery,
    summary: 'Choose `stripe` or `manual` payouts',
    responses: () => {
      const { Partner } = partnerSchemas();
      return { 200: Partner };
    },
  },
  async ({ identity, body, query }) => {
    const d = deps();
    const context = await resolvePartner(d, callerOf(identity), query.partnerId, 'manage_preferences');
    const updated = await setPayoutPreference(d, context, body.method);
    return { status: 200, body: partnerView(updated, context.role) };
  },
);
