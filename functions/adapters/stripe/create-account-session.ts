import { randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import type { EmbeddedComponent } from '#core/onboarding';
import { idempotencyKey, stripe } from './client.ts';
import { stripeFailure } from './errors.ts';

/**
 * A fresh Account Session for Connect embedded components. Sessions are single-use and short-lived, so each request
 * makes a new one: the idempotency key (partner id + a per-request nonce) only makes the SDK's own retries of this
 * request safe. The client secret is returned to the caller and never logged.
 */
export async function createAccountSession(request: {
  accountId: string;
  partnerId: string;
  components: readonly EmbeddedComponent[];
}): Promise<{ clientSecret: string; expiresAt: number }> {
  const components: Stripe.AccountSessionCreateParams.Components = {};
  for (const component of request.components) components[component] = { enabled: true };
  try {
    const client = await stripe();
    const session = await client.accountSessions.create(
      { account: request.accountId, components },
      { idempotencyKey: idempotencyKey('create-account-session', request.partnerId, randomUUID()) },
    );
    return { clientSecret: session.client_secret, expiresAt: session.expires_at };
  } catch (error) {
    throw stripeFailure(error, 'create the account session');
  }
}
