import Stripe from 'stripe';
import { domainError } from '#core/errors';
import type { StripeAccountSnapshot } from '#core/partner-ports';
import { accountSnapshot } from './account-snapshot.ts';
import { stripe } from './client.ts';
import { stripeFailure } from './errors.ts';

/**
 * Reads a connected account. Once a partner deauthorizes the platform Stripe answers with a permission error (or
 * `account_invalid`): that is `account_inaccessible`, not an outage.
 */
export async function retrieveAccount(accountId: string): Promise<StripeAccountSnapshot> {
  try {
    const client = await stripe();
    return accountSnapshot(await client.accounts.retrieve(accountId));
  } catch (error) {
    if (
      error instanceof Stripe.errors.StripePermissionError ||
      (error instanceof Stripe.errors.StripeInvalidRequestError &&
        (error.code === 'account_invalid' || error.code === 'resource_missing'))
    ) {
      const inaccessible = domainError('account_inaccessible', 'Stripe no longer grants access.');
      inaccessible.cause = { type: error.type, code: error.code };
      throw inaccessible;
    }
    throw stripeFailure(error, 'read the Stripe account');
  }
}
