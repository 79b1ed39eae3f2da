import * as z from 'zod';
import { adminPaymentView } from '#core/payment-views';
import { httpHandler } from '#middleware/http-handler';
import { Cursor, Limit } from '#middleware/partner-request';
import { paymentDepsForRequest } from '#middleware/payment-request';
import { Reference } from '#middleware/sales-request';
import { commonSchemas } from './schemas/common.ts';
import { paymentSchemas } from './schemas/payments.ts';

const Query = z.strictObject({
  cursor: Cursor.optional(),
  limit: Limit,
  reference: Reference.optional().describe(
    "Only the payments carrying this platform reference (its payment request's or order's), newest first.",
  ),
});

/**
 * `GET /admin/payments` (admin group): every payment, newest first, with Stripe ids, fee and net. With
 * `?reference=`, the payments carrying that platform reference (one query of the sparse reference index).
 */
export const handler = httpHandler(
  {
    auth: 'admin',
    query: Query,
    summary: 'Every payment, newest first',
    responses: () => {
      const { NextCursor } = commonSchemas();
      const { AdminPayment } = paymentSchemas();
      const Payments = z
        .strictObject({ payments: z.array(AdminPayment), nextCursor: NextCursor })
        .describe('A page of payments, newest first.');
      return { 200: Payments };
    },
  },
  async ({ query }) => {
    const payments = paymentDepsForRequest().payments;
    const pageOf = { limit: query.limit, ...(query.cursor ? { cursor: query.cursor } : {}) };
    const page = query.reference
      ? await payments.paymentsByReference(query.reference, pageOf)
      : await payments.listPayments(pageOf);
    return { status: 200, body: { payments: page.payments.map(adminPaymentView), nextCursor: page.nextCursor } };
  },
);
