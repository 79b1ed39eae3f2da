import * as z from 'zod';
import { adminOrderView } from '#core/payment-views';
import { httpHandler } from '#middleware/http-handler';
import { Cursor, Limit } from '#middleware/partner-request';
import { paymentDepsForRequest } from '#middleware/payment-request';
import { Reference } from '#middleware/sales-request';
import { commonSchemas } from './schemas/common.ts';
import { paymentSchemas } from './schemas/payments.ts';

const Query = z.strictObject({
  reference: Reference.describe("The platform's own id of the order (a store order number)."),
  cursor: Cursor.optional(),
  limit: Limit,
});

/**
 * `GET /admin/orders?reference=` (admin group): the orders the platform knows by this reference, with their items
 * and payments — one query of the sparse reference index, never a scan.
 */
export const handler = httpHandler(
  {
    auth: 'admin',
    query: Query,
    summary: "Orders by the platform's reference",
    responses: () => {
      const { NextCursor } = commonSchemas();
      const { AdminOrder } = paymentSchemas();
      const Orders = z
        .strictObject({ orders: z.array(AdminOrder), nextCursor: NextCursor })
        .describe('A page of the orders carrying the reference, newest first, each with its payment.');
      return { 200: Orders };
    },
  },
  async ({ query }) => {
    const d = paymentDepsForRequest();
    const page = await d.payments.ordersByReference(query.reference, {
      limit: query.limit,
      ...(query.cursor ? { cursor: query.cursor } : {}),
    });
    const orders = await Promise.all(
      page.orders.map(async (order) => adminOrderView(order, await d.payments.getPayment(order.paymentId))),
    );
    return { status: 200, body: { orders, nextCursor: page.nextCursor } };
  },
);
