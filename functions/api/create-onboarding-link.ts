import * as z from 'zod';
import { stateSigningKey } from '#adapters/secrets';
import { stripeConnect } from '#adapters/stripe/connect';
import { createOnboardingLink } from '#core/onboarding';
import { resolvePartner } from '#core/partner-access';
import { httpHandler, PARTNER_ACCESS_ERRORS } from '#middleware/http-handler';
import { callerOf, deps, OnboardingLinkBody, PartnerQuery } from '#middleware/partner-request';

/**
 * Ensures the Express account, then returns a fresh Account Link to Stripe's hosted onboarding. With `returnTo` /
 * `refreshTo` (allowed return targets), onboarding ends in the app instead of the stage's app URL.
 */
export const handler = httpHandler(
  {
    auth: 'partner',
    errors: [
      ...PARTNER_ACCESS_ERRORS,
      'unsupported_country',
      'account_disconnected',
      'account_creation_in_progress',
      'return_target_not_allowed',
    ],
    body: OnboardingLinkBody,
    query: PartnerQuery,
    summary: 'A fresh Stripe-hosted onboarding link',
    responses: () => {
      const OnboardingLink = z
        .strictObject({
          url: z.string().describe("Stripe's hosted onboarding page (single use)."),
          expiresAt: z.iso.datetime({ offset: true }),
        })
        .describe('A fresh Account Link to Stripe-hosted onboarding.');
      return { 200: OnboardingLink };
    },
  },
  async ({ identity, body, query }) => {
    const d = deps({ stripe: stripeConnect, stateSigningKey });
    const caller = callerOf(identity);
    const context = await resolvePartner(d, caller, query.partnerId, 'manage_onboarding');
    return { status: 200, body: await createOnboardingLink(d, context, caller, body) };
  },
);
