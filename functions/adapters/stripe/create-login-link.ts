import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { domainError } from '#core/errors';
import { idempotencyKey, stripe } from './client.ts';
import { stripeFailure } from './errors.ts';

/** An Express Dashboard login link (single use, short-lived: a new one per request). */
export async function createLoginLink(accountId: string): Promise<{ url: string }> {
  try {
    const client = await stripe();
    const link = await client.accounts.createLoginLink(
      accountId,
      {},
      { idempotencyKey: idempotencyKey('create-login-link', accountId, randomUUID()) },
    );
    return { url: link.url };
  } catch (error) {
    // Stripe refuses login links until the account has submitted its details.
    if (error instanceof Stripe.errors.StripeInvalidRequestError) {
      const incomplete = domainError('onboarding_incomplete');
      incomplete.cause = { type: error.type, code: error.code, message: error.message };
      throw incomplete;
    }
    throw stripeFailure(error, 'create the Express Dashboard link');
  }
}
