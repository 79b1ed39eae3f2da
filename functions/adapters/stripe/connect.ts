import type { StripeConnect } from '#core/partner-ports';
import { createAccountLink } from './create-account-link.ts';
import { createAccountSession } from './create-account-session.ts';
import { createExpressAccount } from './create-express-account.ts';
import { createLoginLink } from './create-login-link.ts';
import { retrieveAccount } from './retrieve-account.ts';

/** The Connect operations the partner use cases need, one Stripe call each. */
export const stripeConnect: StripeConnect = {
  createExpressAccount,
  retrieveAccount,
  createAccountLink,
  createLoginLink,
  createAccountSession,
};
