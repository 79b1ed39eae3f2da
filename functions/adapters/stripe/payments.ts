import type { StripePayments } from '#core/payment-ports';
import { createCheckoutSession } from './create-checkout-session.ts';
import { createPaymentIntent } from './create-payment-intent.ts';
import { paymentIntentOfCharge } from './payment-intent-of-charge.ts';
import { retrieveCheckoutSession } from './retrieve-checkout-session.ts';
import { retrievePayment } from './retrieve-payment.ts';
import { chargeRefunds, createSellerTransfer, reverseSellerTransfer } from './seller-transfers.ts';

/** The payment operations the use cases need, one Stripe call each. */
export const stripePayments: StripePayments = {
  createPaymentIntent,
  createCheckoutSession,
  retrievePayment,
  paymentIntentOfCharge,
  retrieveCheckoutSession,
  createSellerTransfer,
  reverseSellerTransfer,
  chargeRefunds,
};
