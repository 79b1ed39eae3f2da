import * as z from 'zod';
import { resolvePartner } from '#core/partner-access';
import { cancelPaymentRequest, readPaymentRequest } from '#core/payment-requests';
import { httpHandler, NoQuery, PARTNER_ACCESS_ERRORS } from '#middleware/http-handler';
import { callerOf, deps } from '#middleware/partner-request';
import { PaymentRequestId, paymentDepsForRequest } from '#middleware/payment-request';
import { salesSchemas } from './schemas/sales.ts';

const Path = z.strictObject({ paymentRequestId: PaymentRequestId });

/** `POST /payment-requests/{paymentRequestId}/cancel`: the seller withdraws an open request nobody is paying. */
export const handler = httpHandler(
  {
    auth: 'partner',
    errors: [
      ...PARTNER_ACCESS_ERRORS,
      'payment_request_not_found',
      'payment_request_not_payable',
      'payment_request_in_progress',
    ],
    path: Path,
    query: NoQuery,
    summary: 'Cancel an open payment request nobody is paying',
    responses: () => {
      const { SellerRequest } = salesSchemas();
      return { 200: SellerRequest.describe('The payment request, now canceled.') };
    },
  },
  async ({ identity, path }) => {
    const payments = paymentDepsForRequest();
    const request = await readPaymentRequest(payments, path.paymentRequestId);
    await resolvePartner(deps(), callerOf(identity), request.partnerId, 'manage_sales');
    return { status: 200, body: await cancelPaymentRequest(payments, request) };
  },
);
