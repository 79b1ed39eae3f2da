import * as z from 'zod';
import { customerOrderView } from '#core/payment-views';
import { customerOrder } from '#core/payments';
import { httpHandler, NoQuery } from '#middleware/http-handler';
import { OrderId, paymentDepsForRequest } from '#middleware/payment-request';
import { salesSchemas } from './schemas/sales.ts';

const Path = z.strictObject({ orderId: OrderId });

/** `GET /orders/{orderId}`: the customer's own order (items, total, status); 404 for anyone else. */
export const handler = httpHandler(
  {
    auth: 'partner',
    errors: ['order_not_found'],
    path: Path,
    query: NoQuery,
    summary: "The customer's own order",
    responses: () => {
      const { CustomerOrder } = salesSchemas();
      return { 200: CustomerOrder };
    },
  },
  async ({ identity, path }) => {
    const order = await customerOrder(
      paymentDepsForRequest(),
      { sub: identity.sub, email: identity.email ?? null },
      path.orderId,
    );
    return { status: 200, body: customerOrderView(order) };
  },
);
