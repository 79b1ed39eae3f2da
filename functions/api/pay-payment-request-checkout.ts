import * as z from 'zod';
import { stripePayments } from '#adapters/stripe/payments';
import { payRequestWithCheckout } from '#core/payment-requests';
import { httpHandler, NoQuery, parseWith } from '#middleware/http-handler';
import {
  AnyObject,
  PAY_REQUEST_ERRORS,
  PaymentRequestId,
  paymentDepsForRequest,
  refuseClientPrices,
} from '#middleware/payment-request';

const Path = z.strictObject({ paymentRequestId: PaymentRequestId });
const Body = z.strictObject({ successUrl: z.string().max(2048), cancelUrl: z.string().max(2048) });

/** `POST /payment-requests/{paymentRequestId}/checkout`: a Stripe Checkout page for the amount the seller set. */
export const handler = httpHandler(
  {
    auth: 'partner',
    errors: [...PAY_REQUEST_ERRORS, 'invalid_redirect_url', 'redirect_not_allowed'],
    path: Path,
    body: AnyObject,
    query: NoQuery,
    summary: 'Pay a payment request on Stripe Checkout',
    responses: () => {
      const Created = z
        .strictObject({
          paymentRequestId: z.string(),
          paymentId: z.string().describe("The attempt's payment (pending until Stripe's webhook settles it)."),
          url: z.string().describe("Stripe Checkout's hosted page: send the customer there."),
        })
        .describe('The payment request is claimed for this attempt and its Checkout Session created.');
      return { 201: Created };
    },
  },
  async ({ identity, path, body }) => {
    refuseClientPrices(body, "the amount is the payment request's; send { successUrl, cancelUrl }.");
    const urls = parseWith(Body, body, 'body');
    const result = await payRequestWithCheckout(
      paymentDepsForRequest({ stripe: stripePayments }),
      { sub: identity.sub, email: identity.email ?? null },
      path.paymentRequestId,
      urls,
    );
    return { status: 201, body: result };
  },
);
