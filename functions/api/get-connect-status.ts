import * as z from 'zod';
import { stripeConnect } from '#adapters/stripe/connect';
import { isDomainError } from '#core/errors';
import { getStatus } from '#core/onboarding';
import { resolvePartner } from '#core/partner-access';
import { mapError } from '#middleware/error-mapper';
import { httpHandler } from '#middleware/http-handler';
import { callerOf, deps, PartnerId } from '#middleware/partner-request';
import { ConnectStatus } from './schemas/partners.ts';

const Query = z.strictObject({
  partnerId: PartnerId.optional(),
  refresh: z.enum(['true', 'false']).optional(),
});

/** Onboarding status as stored; `?refresh=true` re-reads the account from Stripe (rate-limited per partner). */
export const handler = httpHandler(
  {
    auth: 'partner',
    query: Query,
    summary: 'Onboarding status and requirements (`?refresh=true` reads Stripe, rate-limited)',
    responses: { 200: ConnectStatus },
  },
  async ({ identity, query }) => {
    const d = deps({ stripe: stripeConnect });
    const context = await resolvePartner(d, callerOf(identity), query.partnerId, 'view');
    try {
      return { status: 200, body: await getStatus(d, context, query.refresh === 'true') };
    } catch (error) {
      if (isDomainError(error) && error.code === 'refresh_rate_limited') {
        const { status, body } = mapError(error);
        return { status, body, headers: { 'retry-after': String(error.details?.retryAfterSeconds ?? 1) } };
      }
      throw error;
    }
  },
);
