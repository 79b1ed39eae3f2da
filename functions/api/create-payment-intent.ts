import * as z from 'zod';
import { stripePayments } from '#adapters/stripe/payments';
import { PAYMENT_KINDS } from '#core/payment';
import { startPaymentIntent } from '#core/payments';
import { httpHandler, NoQuery } from '#middleware/http-handler';
import { PartnerId } from '#middleware/partner-request';
import { CurrencyCode, Metadata, MinorUnits, paymentDepsForRequest } from '#middleware/payment-request';
import { Reference } from '#middleware/sales-request';
import { paymentSchemas } from './schemas/payments.ts';

const Body = z.strictObject({
  payeeId: PartnerId,
  amount: MinorUnits,
  currency: CurrencyCode,
  kind: z.enum(PAYMENT_KINDS),
  description: z.string().trim().min(1).max(500),
  metadata: Metadata,
  reference: Reference.optional(),
});

/** `POST /payments/intents`: any signed-in customer pays a partner; the payment is settled by the webhook only. */
export const handler = httpHandler(
  {
    auth: 'partner',
    errors: [
      'open_amounts_disabled',
      'invalid_amount',
      'unsupported_currency',
      'reserved_metadata_key',
      'payee_not_found',
      'partner_not_onboarded',
      'currency_mismatch',
      'self_payment',
      'invalid_reference',
    ],
    body: Body,
    query: NoQuery,
    summary: 'Pay a partner: destination-charge PaymentIntent',
    responses: () => {
      const { PaymentStatus } = paymentSchemas();
      const Created = z
        .strictObject({
          paymentId: z.string(),
          clientSecret: z
            .string()
            .describe("The PaymentIntent's client secret, for Stripe.js in the customer's browser."),
          status: PaymentStatus,
        })
        .describe('The payment was recorded (pending) and its PaymentIntent created.');
      return { 201: Created };
    },
  },
  async ({ identity, body }) => {
    const result = await startPaymentIntent(
      paymentDepsForRequest({ stripe: stripePayments }),
      { sub: identity.sub, email: identity.email ?? null },
      body,
    );
    return { status: 201, body: result };
  },
);
