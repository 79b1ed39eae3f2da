import { z } from 'zod';
import { payRequestWithIntent } from '#core/payment-requests';
import { httpHandler, NoQuery, parseWith } from '#middleware/http-handler';
import { AnyObject, PaymentRequestId, paymentDepsForRequest, refuseClientPrices } from '#middleware/payment-request';

const Path = z.strictObject({ paymentRequestId: PaymentRequestId });

/** `POST /payment-requests/{paymentRequestId}/intent`: a PaymentIntent for the amount the seller set. */
export const handler = httpHandler(
  { auth: 'partner', path: Path, body: AnyObject, query: NoQuery },
  async ({ identity, path, body }) => {
    refuseClientPrices(body, "the amount is the payment request's; send an empty body.");
    parseWith(z.strictObject({}), body, 'body');
    const result = await payRequestWithIntent(
      paymentDepsForRequest(),
      { sub: identity.sub, email: identity.email ?? null },
      path.paymentRequestId,
    );
    return { status: 201, body: result };
  },
);
