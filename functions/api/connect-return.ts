import * as z from 'zod';
import { stateSigningKey } from '#adapters/secrets';
import { stripeConnect } from '#adapters/stripe/connect';
import { config } from '#config';
import { isDomainError } from '#core/errors';
import { onboardingReturn, returnTarget } from '#core/onboarding';
import type { Partner, PartnerStatus } from '#core/partner';
import { mapError } from '#middleware/error-mapper';
import { httpHandler } from '#middleware/http-handler';
import { deps, htmlPage, ONBOARDING_ERROR_PAGES } from '#middleware/partner-request';

const Query = z.object({ state: z.string().max(2048).optional() });

const MESSAGES: Record<PartnerStatus, string> = {
  active: 'Your Stripe account is ready: you can receive payouts.',
  pending_verification: 'Thanks! Stripe is verifying your details; we will let you know when payouts are enabled.',
  restricted: 'Stripe needs more information before you can be paid. Return to the app to continue onboarding.',
  not_set_up: 'Onboarding has not started yet. Return to the app to begin.',
  disconnected: 'This Stripe account is disconnected from the platform.',
};

/** `pending_verification` also covers onboarding left before submitting anything: nothing is being verified then. */
const NOT_SUBMITTED = 'Your Stripe onboarding is not finished yet. Return to the app to continue where you left off.';

const messageFor = (partner: Pick<Partner, 'status' | 'onboarding'>) =>
  partner.status === 'pending_verification' && !partner.onboarding?.detailsSubmitted
    ? NOT_SUBMITTED
    : MESSAGES[partner.status];

/**
 * `return_url` of every Account Link. Arriving here proves nothing, so the account is re-read from Stripe and the
 * stored state updated before the partner is sent back: to the target the app named when it asked for the link
 * (`?status=active|pending|restricted`), else to the stage's app URL (`?stripe=return&status=…`), else a page.
 */
export const handler = httpHandler(
  {
    auth: 'public',
    errors: ['invalid_state', 'expired_state'],
    query: Query,
    summary: 'Back from Stripe: re-reads the account, then redirects to the app',
    responses: () => ({
      200: {
        contentType: 'text/html; charset=utf-8',
        description: 'No app URL is configured: a page with the onboarding status.',
      },
      302: {
        redirect: true,
        description:
          "To the app's own target (`returnTo?status=active|pending|restricted`), else `APP_URL?stripe=return&status=…&partnerId=…`.",
      },
      ...ONBOARDING_ERROR_PAGES,
    }),
  },
  async ({ query }) => {
    let returned: Awaited<ReturnType<typeof onboardingReturn>>;
    try {
      returned = await onboardingReturn(deps({ stripe: stripeConnect, stateSigningKey }), query.state ?? '');
    } catch (error) {
      if (!isDomainError(error)) throw error;
      const { status, headers } = mapError(error);
      return htmlPage(
        status,
        'Onboarding return not recognised',
        `${error.message} Return to the app to continue.`,
        headers,
      );
    }
    const { partner, appTarget } = returned;
    const target = appTarget ?? returnTarget(config().APP_URL, partner);
    if (!target) return htmlPage(200, 'Stripe onboarding', messageFor(partner));
    return { status: 302, headers: { location: target } };
  },
);
