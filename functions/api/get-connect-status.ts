import * as z from 'zod';
import { stripeConnect } from '#adapters/stripe/connect';
import { getStatus } from '#core/onboarding';
import { resolvePartner } from '#core/partner-access';
import { httpHandler, PARTNER_ACCESS_ERRORS } from '#middleware/http-handler';
import { callerOf, deps, PartnerId } from '#middleware/partner-request';
import { partnerSchemas } from './schemas/partners.ts';

const Query = z.strictObject({
  partnerId: PartnerId.optional(),
  refresh: z.enum(['true', 'false']).optional(),
});

/** Onboarding status as stored; `?refresh=true` re-reads the account from Stripe (rate-limited per partner). */
export const handler = httpHandler(
  {
    auth: 'partner',
    errors: [...PARTNER_ACCESS_ERRORS, 'refresh_rate_limited'],
    query: Query,
    summary: 'Onboarding status and requirements (`?refresh=true` reads Stripe, rate-limited)',
    responses: () => {
      const { ConnectStatus } = partnerSchemas();
      return { 200: ConnectStatus };
    },
  },
  async ({ identity, query }) => {
    const d = deps({ stripe: stripeConnect });
    const context = await resolvePartner(d, callerOf(identity), query.partnerId, 'view');
    return { status: 200, body: await getStatus(d, context, query.refresh === 'true') };
  },
);
