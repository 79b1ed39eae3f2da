import { z } from 'zod';
import { startCheckout } from '#core/payments';
import { httpHandler, NoQuery } from '#middleware/http-handler';
import { PartnerId } from '#middleware/partner-request';
import { CurrencyCode, MinorUnits, paymentDepsForRequest } from '#middleware/payment-request';

const Created = z
  .strictObject({
    orderId: z.string(),
    paymentId: z.string(),
    url: z.string().describe("Stripe Checkout's hosted page: send the customer there."),
  })
  .describe('The order and its pending payment were recorded and the Checkout Session created.');

const Item = z.strictObject({
  name: z.string().trim().min(1).max(250),
  unitAmount: MinorUnits,
  quantity: z.number().int().min(1).max(999),
});

const Body = z.strictObject({
  payeeId: PartnerId,
  currency: CurrencyCode,
  // An order, its payment and its items are written in one transaction (at most 100 items).
  items: z.array(Item).min(1).max(50),
  successUrl: z.string().max(2048),
  cancelUrl: z.string().max(2048),
  // No customer email in the body: Checkout gets the signed-in customer's own (from the verified token), so nobody
  // can have Stripe mail receipts or prefill the page with someone else's address.
});

/** `POST /payments/checkout-sessions`: an order for one seller, paid on Stripe's hosted Checkout page. */
export const handler = httpHandler(
  {
    auth: 'partner',
    body: Body,
    query: NoQuery,
    summary: 'Pay a partner on Stripe Checkout',
    responses: { 201: Created },
  },
  async ({ identity, body }) => {
    const result = await startCheckout(
      paymentDepsForRequest(),
      { sub: identity.sub, email: identity.email ?? null },
      body,
    );
    return { status: 201, body: result };
  },
);
