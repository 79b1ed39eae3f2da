import { z } from 'zod';
import { createAccountSession, EMBEDDED_COMPONENTS } from '#core/onboarding';
import { resolvePartner } from '#core/partner-access';
import { httpHandler } from '#middleware/http-handler';
import { callerOf, deps, PartnerQuery } from '#middleware/partner-request';

const Body = z.strictObject({
  components: z.array(z.enum(EMBEDDED_COMPONENTS)).min(1).max(EMBEDDED_COMPONENTS.length),
});

/**
 * Embedded onboarding and account management: ensures the connected account, then a fresh Account Session for the
 * requested Connect embedded components → `{ clientSecret, expiresAt, publishableKey }`. The client secret is
 * neither stored nor logged, and the answer is not cacheable.
 */
export const handler = httpHandler(
  { auth: 'partner', body: Body, query: PartnerQuery },
  async ({ identity, body, query }) => {
    const d = deps();
    const caller = callerOf(identity);
    const context = await resolvePartner(d, caller, query.partnerId, 'manage_onboarding');
    return {
      status: 200,
      body: await createAccountSession(d, context, caller, body.components),
      headers: { 'cache-control': 'no-store' },
    };
  },
);
