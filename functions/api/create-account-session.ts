import * as z from 'zod';
import { stripeConnect } from '#adapters/stripe/connect';
import { createAccountSession, EMBEDDED_COMPONENTS } from '#core/onboarding';
import { resolvePartner } from '#core/partner-access';
import { httpHandler } from '#middleware/http-handler';
import { callerOf, deps, PartnerQuery } from '#middleware/partner-request';
import { Instant } from './schemas/common.ts';

const Body = z.strictObject({
  components: z.array(z.enum(EMBEDDED_COMPONENTS)).min(1).max(EMBEDDED_COMPONENTS.length),
});

const Session = z
  .strictObject({
    clientSecret: z
      .string()
      .describe("The Account Session's client secret, for Connect.js in the partner's browser (never stored)."),
    expiresAt: Instant.describe('When the session expires.'),
    publishableKey: z.string().describe("The platform's Stripe publishable key, to initialise Connect.js."),
  })
  .describe('A fresh Account Session for the requested embedded components (not cacheable).');

/**
 * Embedded onboarding and account management: ensures the connected account, then a fresh Account Session for the
 * requested Connect embedded components → `{ clientSecret, expiresAt, publishableKey }`. The client secret is
 * neither stored nor logged, and the answer is not cacheable.
 */
export const handler = httpHandler(
  {
    auth: 'partner',
    body: Body,
    query: PartnerQuery,
    summary: 'An Account Session for Connect embedded components',
    responses: { 200: Session },
  },
  async ({ identity, body, query }) => {
    const d = deps({ stripe: stripeConnect });
    const caller = callerOf(identity);
    const context = await resolvePartner(d, caller, query.partnerId, 'manage_onboarding');
    return {
      status: 200,
      body: await createAccountSession(d, context, caller, body.components),
      headers: { 'cache-control': 'no-store' },
    };
  },
);
