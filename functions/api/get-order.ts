import { z } from 'zod';
import { customerOrderView } from '#core/payment-views';
import { customerOrder } from '#core/payments';
import { httpHandler, NoQuery } from '#middleware/http-handler';
import { OrderId, paymentDepsForRequest } from '#middleware/payment-request';

const Path = z.strictObject({ orderId: OrderId });

/** `GET /orders/{orderId}`: the customer's own order (items, total, status); 404 for anyone else. */
export const handler = httpHandler({ auth: 'partner', path: Path, query: NoQuery }, async ({ identity, path }) => {
  const order = await customerOrder(
    paymentDepsForRequest(),
    { sub: identity.sub, email: identity.email ?? null },
    path.orderId,
  );
  return { status: 200, body: customerOrderView(order) };
});
