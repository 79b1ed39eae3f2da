import * as z from 'zod';
import { recordHeldEarnings } from '#core/earnings';
import { httpHandler, NoQuery } from '#middleware/http-handler';
import { PartnerId } from '#middleware/partner-request';
import { CurrencyCode, MinorUnits, paymentDepsForRequest } from '#middleware/payment-request';
import { Reference } from '#middleware/sales-request';
import { paymentSchemas } from './schemas/payments.ts';

const Earning = z.strictObject({
  partnerId: PartnerId,
  amount: MinorUnits.positive(),
  currency: CurrencyCode,
  externalId: z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'expected 1-128 of A-Z a-z 0-9 _ . : -'),
  description: z.string().trim().min(1).max(500),
  availableAt: z.iso.datetime({ offset: true }).optional(),
  reference: Reference.optional(),
});

/** One earning, or `{ earnings: [...] }` (up to 25). */
const Body = z.union([Earning, z.strictObject({ earnings: z.array(Earning).min(1).max(25) })]);

/**
 * `POST /admin/earnings` (admin group): platform-held earnings such as commissions, idempotent on `externalId`.
 * 201 when something was recorded, 200 when every earning had been recorded before (same body, same result).
 */
export const handler = httpHandler(
  {
    auth: 'admin',
    errors: [
      'partner_not_found',
      'currency_not_payable',
      'duplicate_external_id',
      'external_id_conflict',
      'invalid_amount',
      'unsupported_currency',
      'invalid_reference',
    ],
    body: Body,
    query: NoQuery,
    summary: 'Record platform-held earnings (idempotent on `externalId`)',
    responses: () => {
      const { HeldEarning } = paymentSchemas();
      const Recorded = z.strictObject({ earnings: z.array(HeldEarning) });
      return {
        200: Recorded.describe('Every earning had been recorded before: the stored earnings.'),
        201: Recorded.describe('At least one earning was recorded.'),
      };
    },
  },
  async ({ body }) => {
    const inputs = 'earnings' in body ? body.earnings : [body];
    const result = await recordHeldEarnings(paymentDepsForRequest(), inputs);
    return { status: result.created > 0 ? 201 : 200, body: { earnings: result.earnings } };
  },
);
