import * as z from 'zod';
import { stateSigningKey } from '#adapters/secrets';
import { stripeConnect } from '#adapters/stripe/connect';
import { createOnboardingLink } from '#core/onboarding';
import { resolvePartner } from '#core/partner-access';
import { httpHandler } from '#middleware/http-handler';
import { AccountBody, callerOf, deps, PartnerQuery } from '#middleware/partner-request';

const OnboardingLink = z
  .strictObject({
    url: z.string().describe("Stripe's hosted onboarding page (single use)."),
    expiresAt: z.iso.datetime({ offset: true }),
  })
  .describe('A fresh Account Link to Stripe-hosted onboarding.');

/** Ensures the Express account, then returns a fresh Account Link to Stripe's hosted onboarding. */
export const handler = httpHandler(
  {
    auth: 'partner',
    body: AccountBody,
    query: PartnerQuery,
    summary: 'A fresh Stripe-hosted onboarding link',
    responses: { 200: OnboardingLink },
  },
  async ({ identity, body, query }) => {
    const d = deps({ stripe: stripeConnect, stateSigningKey });
    const caller = callerOf(identity);
    const context = await resolvePartner(d, caller, query.partnerId, 'manage_onboarding');
    return { status: 200, body: await createOnboardingLink(d, context, caller, body) };
  },
);
