import * as z from 'zod';
import { stripePayments } from '#adapters/stripe/payments';
import { startCheckout } from '#core/payments';
import { httpHandler, NoQuery, parseWith } from '#middleware/http-handler';
import { AnyObject, ListingId, paymentDepsForRequest, refuseClientPrices } from '#middleware/payment-request';
import { PlatformMetadataBody, Reference } from '#middleware/sales-request';

const Item = z.strictObject({
  listingId: ListingId,
  quantity: z.number().int().min(1).max(999),
});

const Body = z.strictObject({
  // An order, its payment, its items and their listings are written in one transaction (at most 100 items).
  items: z.array(Item).min(1).max(40),
  successUrl: z.string().max(2048),
  cancelUrl: z.string().max(2048),
  /** The platform's own id of the order (a store order number) and its metadata, carried to the payment. */
  reference: Reference.optional(),
  metadata: PlatformMetadataBody,
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
    errors: [
      'client_price_refused',
      'duplicate_listing',
      'max_per_order_exceeded',
      'mixed_currencies',
      'invalid_redirect_url',
      'redirect_not_allowed',
      'listing_not_found',
      'listing_not_on_sale',
      'sold_out',
      'listing_changed',
      'self_payment',
      'payee_not_found',
      'partner_not_onboarded',
      'currency_mismatch',
      'invalid_amount',
      'invalid_reference',
      'reserved_metadata_key',
    ],
    body: AnyObject,
    query: NoQuery,
    summary: 'Buy listings on Stripe Checkout (prices from the listings)',
    responses: () => {
      const Created = z
        .strictObject({
          orderId: z.string(),
          paymentId: z.string(),
          url: z.string().describe("Stripe Checkout's hosted page: send the customer there."),
        })
        .describe('The order and its pending payment were recorded and the Checkout Session created.');
      return { 201: Created };
    },
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
