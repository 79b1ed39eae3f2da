import { z } from 'zod';
import { recordAdjustment } from '#core/operator';
import { httpHandler, NoQuery } from '#middleware/http-handler';
import { operatorDepsForRequest, operatorOf, Reason } from '#middleware/operator-request';
import { PartnerId } from '#middleware/partner-request';
import { CurrencyCode, MinorUnits } from '#middleware/payment-request';

const Body = z.strictObject({
  partnerId: PartnerId,
  amount: MinorUnits,
  currency: CurrencyCode,
  reason: Reason,
  externalId: z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'expected 1-128 of A-Z a-z 0-9 _ . : -'),
  /** From when the next run nets it (default: now). */
  availableAt: z.iso.datetime({ offset: true }).optional(),
});

/**
 * `POST /admin/adjustments` (admin group): a signed ledger correction, idempotent on `externalId` (201 recorded,
 * 200 replayed, 409 the same id with another body). Negative amounts take money back and are netted like clawbacks.
 */
export const handler = httpHandler({ auth: 'admin', body: Body, query: NoQuery }, async ({ body, identity }) => {
  const result = await recordAdjustment(operatorDepsForRequest(), body, operatorOf(identity));
  return { status: result.created ? 201 : 200, body: { adjustment: result.adjustment } };
});
