import type { StripePayments } from '#core/payment-ports';
import { createCheckoutSession } from './create-checkout-session.ts';
import { createPaymentIntent } from './create-payment-intent.ts';
import { paymentIntentOfCharge } from './payment-intent-of-charge.ts';
import { retrieveCheckoutSession } from './retrieve-checkout-session.ts';
import { retrieveDispute } from './retrieve-dispute.ts';
import { retrievePayment } from './retrieve-payment.ts';
import { reverseDestinationTransfer } from './reverse-transfer.ts';
import { chargeRefunds, createSellerTransfer, reverseSellerTransfer } from './seller-transfers.ts';

/** The payment operations the use cases need, one Stripe call each. */
export const stripePayments: StripePayments = {
  createPaymentIntent,
  createCheckoutSession,
  retrievePayment,
  paymentIntentOfCharge,
  retrieveCheckoutSession,
  retrieveDispute,
  reverseTransfer: reverseDestinationTransfer,
  createSellerTransfer,
  reverseSellerTransfer,
  chargeRefunds,
};
