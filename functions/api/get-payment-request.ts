import * as z from 'zod';
import { payerRequest } from '#core/sales';
import { httpHandler, NoQuery } from '#middleware/http-handler';
import { PaymentRequestId, paymentDepsForRequest } from '#middleware/payment-request';
import { salesSchemas } from './schemas/sales.ts';

const Path = z.strictObject({ paymentRequestId: PaymentRequestId });

/** `GET /payment-requests/{paymentRequestId}` (public, with the id): the payer's view — seller, amount, status. */
export const handler = httpHandler(
  {
    auth: 'public',
    errors: ['payment_request_not_found'],
    path: Path,
    query: NoQuery,
    summary: 'A payment request, as its payer sees it (public, with the id)',
    responses: () => {
      const { PayerRequest } = salesSchemas();
      return { 200: PayerRequest };
    },
  },
  async ({ path }) => ({
    status: 200,
    body: await payerRequest(paymentDepsForRequest(), path.paymentRequestId),
  }),
);
