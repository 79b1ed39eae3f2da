import { resolvePartner } from '#core/partner-access';
import { createPaymentRequest } from '#core/sales';
import { httpHandler, NoQuery, PARTNER_ACCESS_ERRORS } from '#middleware/http-handler';
import { callerOf, deps } from '#middleware/partner-request';
import { paymentDepsForRequest } from '#middleware/payment-request';
import { NewPaymentRequestBody } from '#middleware/sales-request';
import { salesSchemas } from './schemas/sales.ts';

/** `POST /payment-requests`: an amount the seller sets for one customer (owner/admin roles). */
export const handler = httpHandler(
  {
    auth: 'partner',
    errors: [
      ...PARTNER_ACCESS_ERRORS,
      'currency_mismatch',
      'invalid_amount',
      'invalid_expiry',
      'unsupported_currency',
      'invalid_reference',
      'reserved_metadata_key',
    ],
    body: NewPaymentRequestBody,
    query: NoQuery,
    summary: 'Ask one customer for an amount the seller sets',
    responses: () => {
      const { SellerRequest } = salesSchemas();
      return { 201: SellerRequest.describe('The payment request was created (open).') };
    },
  },
  async ({ identity, body }) => {
    const { partnerId, ...input } = body;
    const { partner } = await resolvePartner(deps(), callerOf(identity), partnerId, 'manage_sales');
    return { status: 201, body: await createPaymentRequest(paymentDepsForRequest(), partner, identity.sub, input) };
  },
);
