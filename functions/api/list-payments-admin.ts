import * as z from 'zod';
import { adminPaymentView } from '#core/payment-views';
import { httpHandler } from '#middleware/http-handler';
import { Cursor, Limit } from '#middleware/partner-request';
import { paymentDepsForRequest } from '#middleware/payment-request';
import { NextCursor } from './schemas/common.ts';
import { AdminPayment } from './schemas/payments.ts';

const Payments = z
  .strictObject({ payments: z.array(AdminPayment), nextCursor: NextCursor })
  .describe('A page of payments, newest first.');

const Query = z.strictObject({ cursor: Cursor.optional(), limit: Limit });

/** `GET /admin/payments` (admin group): every payment, newest first, with Stripe ids, fee and net. */
export const handler = httpHandler(
  { auth: 'admin', query: Query, summary: 'Every payment, newest first', responses: { 200: Payments } },
  async ({ query }) => {
    const page = await paymentDepsForRequest().payments.listPayments({
      limit: query.limit,
      ...(query.cursor ? { cursor: query.cursor } : {}),
    });
    return { status: 200, body: { payments: page.payments.map(adminPaymentView), nextCursor: page.nextCursor } };
  },
);
