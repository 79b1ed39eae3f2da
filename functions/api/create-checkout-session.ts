import { z } from 'zod';
import { startCheckout } from '#core/payments';
import { httpHandler, NoQuery, parseWith } from '#middleware/http-handler';
import { AnyObject, ListingId, paymentDepsForRequest, refuseClientPrices } from '#middleware/payment-request';

const Item = z.strictObject({
  listingId: ListingId,
  quantity: z.number().int().min(1).max(999),
});

const Body = z.strictObject({
  // An order, its payment, its items and their listings are written in one transaction (at most 100 items).
  items: z.array(Item).min(1).max(40),
  successUrl: z.string().max(2048),
  cancelUrl: z.string().max(2048),
  customerEmail: z.email().optional(),
});

const USE =
  'send items as [{ listingId, quantity }]; an amount a seller sets is paid through POST /payment-requests/{id}/checkout.';

/**
 * `POST /payments/checkout-sessions`: an order of listings, paid on Stripe's hosted Checkout page. Titles, prices,
 * currency and payee come from the listings; a price-like field in the body is refused.
 */
export const handler = httpHandler({ auth: 'partner', body: AnyObject, query: NoQuery }, async ({ identity, body }) => {
  refuseClientPrices(body, USE);
  const request = parseWith(Body, body, 'body');
  const result = await startCheckout(
    paymentDepsForRequest(),
    { sub: identity.sub, email: identity.email ?? null },
    request,
  );
  return { status: 201, body: result };
});
