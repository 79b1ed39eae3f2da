import * as z from 'zod';
import { stateSigningKey } from '#adapters/secrets';
import { stripeConnect } from '#adapters/stripe/connect';
import { createAccountSession, EMBEDDED_COMPONENTS } from '#core/onboarding';
import { resolvePartner } from '#core/partner-access';
import { httpHandler, PARTNER_ACCESS_ERRORS } from '#middleware/http-handler';
import { callerOf, deps, PartnerQuery, ReturnTarget } from '#middleware/partner-request';
import { commonSchemas } from './schemas/common.ts';

const Body = z.strictObject({
  components: z.array(z.enum(EMBEDDED_COMPONENTS)).min(1).max(EMBEDDED_COMPONENTS.length),
  returnTo: ReturnTarget.optional().describe(
    'An allowed return target: the answer then carries `returnUrl`, to open when the embedded onboarding exits.',
  ),
});

/**
 * Embedded onboarding and account management: ensures the connected account, then a fresh Account Session for the
 * requested Connect embedded components → `{ clientSecret, expiresAt, publishableKey }`. The client secret is
 * neither stored nor logged, and the answer is not cacheable.
 */
export const handler = httpHandler(
  {
    auth: 'partner',
    errors: [
      ...PARTNER_ACCESS_ERRORS,
      'component_not_allowed',
      'embedded_components_unavailable',
      'unsupported_country',
      'account_disconnected',
      'account_creation_in_progress',
      'return_target_not_allowed',
    ],
    body: Body,
    query: PartnerQuery,
    summary: 'An Account Session for Connect embedded components',
    responses: () => {
      const { Instant } = commonSchemas();
      const Session = z
        .strictObject({
          clientSecret: z
            .string()
            .describe("The Account Session's client secret, for Connect.js in the partner's browser (never stored)."),
          expiresAt: Instant.describe('When the session expires.'),
          publishableKey: z.string().describe("The platform's Stripe publishable key, to initialise Connect.js."),
          returnUrl: z
            .string()
            .nullable()
            .describe(
              'With `returnTo`: open it when the embedded onboarding exits; it re-reads the account from Stripe and ends at the target with `?status=active|pending|restricted`. Null otherwise.',
            ),
        })
        .describe('A fresh Account Session for the requested embedded components (not cacheable).');
      return { 200: Session };
    },
  },
  async ({ identity, body, query }) => {
    const d = deps({ stripe: stripeConnect, stateSigningKey });
    const caller = callerOf(identity);
    const context = await resolvePartner(d, caller, query.partnerId, 'manage_onboarding');
    return {
      status: 200,
      body: await createAccountSession(d, context, caller, body.components, { returnTo: body.returnTo }),
      headers: { 'cache-control': 'no-store' },
    };
  },
);
