import type Stripe from 'stripe';
import type { CreateAccountRequest, StripeAccountSnapshot } from '#core/partner-ports';
import { accountSnapshot } from './account-snapshot.ts';
import { idempotencyKey, stripe } from './client.ts';
import { stripeFailure } from './errors.ts';

/**
 * Creates the partner's connected account by controller properties (Stripe's successor to `type: express`): the
 * Express Dashboard, requirements collected by Stripe, and — from stage config — who pays Stripe's fees and who
 * bears losses. Stripe derives the account's `type` from them. The idempotency key is the partner id, so a retry, a
 * double click or two concurrent requests within Stripe's 24-hour window get the same account back.
 */
export async function createExpressAccount(request: CreateAccountRequest): Promise<StripeAccountSnapshot> {
  const capabilities: Stripe.AccountCreateParams.Capabilities = {};
  for (const capability of request.capabilities) capabilities[capability] = { requested: true };
  const params: Stripe.AccountCreateParams = {
    controller: {
      stripe_dashboard: { type: 'express' },
      fees: { payer: request.controller.feesPayer },
      losses: { payments: request.controller.lossesPayments },
      requirement_collection: 'stripe',
    },
    country: request.country,
    capabilities,
    metadata: { partner_id: request.partnerId },
    ...(request.email ? { email: request.email } : {}),
    ...(request.businessType ? { business_type: request.businessType } : {}),
    ...(request.serviceAgreement === 'recipient' ? { tos_acceptance: { service_agreement: 'recipient' } } : {}),
  };
  try {
    const client = await stripe();
    const account = await client.accounts.create(params, {
      idempotencyKey: idempotencyKey('create-express-account', request.partnerId),
    });
    return accountSnapshot(account);
  } catch (error) {
    throw stripeFailure(error, 'create the Stripe account');
  }
}
