import { randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import type { AccountLinkType } from '#core/partner';
import type { CollectionOptions } from '#core/partner-ports';
import { idempotencyKey, stripe } from './client.ts';
import { stripeFailure } from './errors.ts';

/**
 * A fresh Account Link. Links are single-use and expire within minutes, so each request makes a new one: the
 * idempotency key only makes the SDK's own retries of *this* request safe, it never replays an older link.
 */
export async function createAccountLink(request: {
  accountId: string;
  type: AccountLinkType;
  refreshUrl: string;
  returnUrl: string;
  collectionOptions: CollectionOptions;
}): Promise<{ url: string; expiresAt: number }> {
  const params: Stripe.AccountLinkCreateParams = {
    account: request.accountId,
    type: request.type,
    refresh_url: request.refreshUrl,
    return_url: request.returnUrl,
    // Collect ahead of time (eventually_due, future requirements) so deadlines do not restrict the partner later.
    collection_options: {
      fields: request.collectionOptions.fields,
      future_requirements: request.collectionOptions.futureRequirements,
    },
  };
  try {
    const client = await stripe();
    const link = await client.accountLinks.create(params, {
      idempotencyKey: idempotencyKey('create-account-link', request.accountId, randomUUID()),
    });
    return { url: link.url, expiresAt: link.expires_at };
  } catch (error) {
    throw stripeFailure(error, 'create the onboarding link');
  }
}
