import * as z from 'zod';
import { fail } from '#core/errors';
import { adminOrderView } from '#core/payment-views';
import { httpHandler, NoQuery } from '#middleware/http-handler';
import { OrderId, paymentDepsForRequest } from '#middleware/payment-request';
import { paymentSchemas } from './schemas/payments.ts';

const Path = z.strictObject({ orderId: OrderId });

/** `GET /admin/orders/{orderId}` (admin group): the order, its items and its payment record. */
export const handler = httpHandler(
  {
    auth: 'admin',
    errors: ['order_not_found'],
    path: Path,
    query: NoQuery,
    summary: 'An order, its items and its payment',
    responses: () => {
      const { AdminOrder } = paymentSchemas();
      return { 200: AdminOrder };
    },
  },
  async ({ path }) => {
    const d = paymentDepsForRequest();
    const order = await d.payments.getOrder(path.orderId);
    if (!order) fail('order_not_found');
    const payment = await d.payments.getPayment(order.paymentId);
    return { status: 200, body: adminOrderView(order, payment) };
  },
);
