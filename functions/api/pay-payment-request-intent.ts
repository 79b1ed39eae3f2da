import * as z from 'zod';
import { stripePayments } from '#adapters/stripe/payments';
import { payRequestWithIntent } from '#core/payment-requests';
import { httpHandler, NoQuery, parseWith } from '#middleware/http-handler';
import {
  AnyObject,
  PAY_REQUEST_ERRORS,
  PaymentRequestId,
  paymentDepsForRequest,
  refuseClientPrices,
} from '#middleware/payment-request';
import { paymentSchemas } from './schemas/payments.ts';

const Path = z.strictObject({ paymentRequestId: PaymentRequestId });

/** `POST /payment-requests/{paymentRequestId}/intent`: a PaymentIntent for the amount the seller set. */
export const handler = httpHandler(
  {
    auth: 'partner',
    errors: [...PAY_REQUEST_ERRORS],
    path: Path,
    body: AnyObject,
    query: NoQuery,
    summary: 'Pay a payment request with a PaymentIntent',
    responses: () => {
      const { PaymentStatus } = paymentSchemas();
      const Created = z
        .strictObject({
          paymentRequestId: z.string(),
          paymentId: z.string().describe("The attempt's payment."),
          clientSecret: z
            .string()
            .describe("The PaymentIntent's client secret, for Stripe.js in the customer's browser."),
          status: PaymentStatus,
        })
        .describe('The payment request is claimed for this attempt and its PaymentIntent created.');
      return { 201: Created };
    },
  },
  async ({ identity, path, body }) => {
    refuseClientPrices(body, "the amount is the payment request's; send an empty body.");
    parseWith(z.strictObject({}), body, 'body');
    const result = await payRequestWithIntent(
      paymentDepsForRequest({ stripe: stripePayments }),
      { sub: identity.sub, email: identity.email ?? null },
      path.paymentRequestId,
    );
    return { status: 201, body: result };
  },
);
