import * as z from 'zod';
import { partnerView } from '#core/partner-views';
import { setContactEmail } from '#core/teams';
import { httpHandler, NoQuery, PARTNER_ACCESS_ERRORS } from '#middleware/http-handler';
import { callerOf, deps, PartnerId } from '#middleware/partner-request';
import { partnerSchemas } from './schemas/partners.ts';

const Body = z.strictObject({ email: z.email().max(254) });

/**
 * `PUT /partners/{partnerId}/contact-email`: the owner sets the address Stripe gets when the partner's Express
 * account is created (the owner's own by default).
 */
export const handler = httpHandler(
  {
    auth: 'partner',
    errors: [...PARTNER_ACCESS_ERRORS],
    body: Body,
    query: NoQuery,
    path: z.strictObject({ partnerId: PartnerId }),
    summary: "Set the email Stripe gets for the partner's account (owner)",
    responses: () => {
      const { Partner } = partnerSchemas();
      return { 200: Partner.describe('The contact email was set: the partner.') };
    },
  },
  async ({ identity, body, path }) => {
    const { partner, role } = await setContactEmail(deps(), callerOf(identity), path.partnerId, body.email);
    return { status: 200, body: partnerView(partner, role) };
  },
);
