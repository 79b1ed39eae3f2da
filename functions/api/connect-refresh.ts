import * as z from 'zod';
import { stateSigningKey } from '#adapters/secrets';
import { stripeConnect } from '#adapters/stripe/connect';
import { isDomainError } from '#core/errors';
import { refreshOnboarding } from '#core/onboarding';
import { mapError } from '#middleware/error-mapper';
import { httpHandler } from '#middleware/http-handler';
import { deps, htmlPage, ONBOARDING_ERROR_PAGES } from '#middleware/partner-request';

/** Stripe may add its own parameters to the redirect: only `state` matters, the rest is ignored. */
const Query = z.object({ state: z.string().max(2048).optional() });

/**
 * `refresh_url` of every Account Link: Stripe sends the browser here when the link expired or was already used.
 * Public (no token), so the signed state names the partner; a bad state gets a 400 page and no Stripe call.
 */
export const handler = httpHandler(
  {
    auth: 'public',
    errors: ['invalid_state', 'expired_state', 'account_disconnected', 'refresh_rate_limited'],
    query: Query,
    summary: 'Expired onboarding link: redirect to a fresh one (signed state)',
    responses: () => ({
      302: {
        redirect: true,
        description:
          "To a fresh Account Link on Stripe's hosted onboarding, or — when the app asked to handle refresh itself — to its `refreshTo?status=link_expired`.",
      },
      ...ONBOARDING_ERROR_PAGES,
    }),
  },
  async ({ query }) => {
    try {
      const { url } = await refreshOnboarding(deps({ stripe: stripeConnect, stateSigningKey }), query.state ?? '');
      return { status: 302, headers: { location: url } };
    } catch (error) {
      if (!isDomainError(error)) throw error;
      const { status, headers } = mapError(error);
      return htmlPage(
        status,
        'Onboarding link unavailable',
        `${error.message} Return to the app to continue.`,
        headers,
      );
    }
  },
);
