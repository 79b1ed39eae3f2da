import { z } from 'zod';
import { PAYMENT_KINDS } from '#core/payment';
import { startPaymentIntent } from '#core/payments';
import { httpHandler, NoQuery } from '#middleware/http-handler';
import { PartnerId } from '#middleware/partner-request';
import { CurrencyCode, Metadata, MinorUnits, paymentDepsForRequest } from '#middleware/payment-request';

const Body = z.strictObject({
  payeeId: PartnerId,
  amount: MinorUnits,
  currency: CurrencyCode,
  kind: z.enum(PAYMENT_KINDS),
  description: z.string().trim().min(1).max(500),
  metadata: Metadata,
});

/** `POST /payments/intents`: any signed-in customer pays a partner; the payment is settled by the webhook only. */
export const handler = httpHandler({ auth: 'partner', body: Body, query: NoQuery }, async ({ identity, body }) => {
  const result = await startPaymentIntent(
    paymentDepsForRequest(),
    { sub: identity.sub, email: identity.email ?? null },
    body,
  );
  return { status: 201, body: result };
});
