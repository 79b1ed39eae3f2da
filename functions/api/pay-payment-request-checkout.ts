import { z } from 'zod';
import { payRequestWithCheckout } from '#core/payment-requests';
import { httpHandler, NoQuery, parseWith } from '#middleware/http-handler';
import { AnyObject, PaymentRequestId, paymentDepsForRequest, refuseClientPrices } from '#middleware/payment-request';

const Path = z.strictObject({ paymentRequestId: PaymentRequestId });
const Body = z.strictObject({ successUrl: z.string().max(2048), cancelUrl: z.string().max(2048) });

/** `POST /payment-requests/{paymentRequestId}/checkout`: a Stripe Checkout page for the amount the seller set. */
export const handler = httpHandler(
  { auth: 'partner', path: Path, body: AnyObject, query: NoQuery },
  async ({ identity, path, body }) => {
    refuseClientPrices(body, "the amount is the payment request's; send { successUrl, cancelUrl }.");
    const urls = parseWith(Body, body, 'body');
    const result = await payRequestWithCheckout(
      paymentDepsForRequest(),
      { sub: identity.sub, email: identity.email ?? null },
      path.paymentRequestId,
      urls,
    );
    return { status: 201, body: result };
  },
);
