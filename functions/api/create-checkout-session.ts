import * as z from 'zod';
import { stripePayments } from '#adapters/stripe/payments';
import { startCheckout } from '#core/payments';
import { httpHandler, NoQuery, parseWith } from '#middleware/http-handler';
import { AnyObject, ListingId, paymentDepsForRequest, refuseClientPrices } from '#middleware/payment-request';

const Created = z
  .strictObject({
    orderId: z.string(),
    paymentId: z.string(),
    url: z.string().describe("Stripe Checkout's hosted page: send the customer there."),
  })
  .describe('The order and its pending payment were recorded and the Checkout Session created.');

const Item = z.strictObject({
  listingId: ListingId,
  quantity: z.number().int().min(1).max(999),
});

const Body = z.strictObject({
  // An order, its payment, its items and their listings are written in one transaction (at most 100 items).
  items: z.array(Item).min(1).max(40),
  successUrl: z.string().max(2048),
  cancelUrl: z.string().max(2048),
  // No customer email in the body: Checkout gets the signed-in customer's own (from the verified token), so nobody
  // can have Stripe mail receipts or prefill the page with someone else's address.
});

const USE =
  'send items as [{ listingId, quantity }]; an amount a seller sets is paid through POST /payment-requests/{id}/checkout.';

/**
 * `POST /payments/checkout-sessions`: an order of listings, paid on Stripe's hosted Checkout page. Titles, prices,
 * currency and payee come from the listings; a price-like field in the body is refused.
 */
export const handler = httpHandler(
  {
    auth: 'partner',
    body: AnyObject,
    query: NoQuery,
    summary: 'Buy listings on Stripe Checkout (prices from the listings)',
    responses: { 201: Created },
  },
  async ({ identity, body }) => {
    refuseClientPrices(body, USE);
    const request = parseWith(Body, body, 'body');
    const result = await startCheckout(
      paymentDepsForRequest({ stripe: stripePayments }),
      { sub: identity.sub, email: identity.email ?? null },
      request,
    );
    return { status: 201, body: result };
  },
);
