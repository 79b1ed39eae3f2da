import * as z from 'zod';
import { recordAdjustment } from '#core/operator';
import { lazily } from '#middleware/contract';
import { httpHandler, NoQuery } from '#middleware/http-handler';
import { operatorDepsForRequest, operatorOf, Reason } from '#middleware/operator-request';
import { PartnerId } from '#middleware/partner-request';
import { CurrencyCode, MinorUnits } from '#middleware/payment-request';
import { commonSchemas, type Described } from './schemas/common.ts';
import { operatorSchemas } from './schemas/operator.ts';

const Body = z.strictObject({
  partnerId: PartnerId,
  amount: MinorUnits,
  currency: CurrencyCode,
  reason: Reason,
  externalId: z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'expected 1-128 of A-Z a-z 0-9 _ . : -'),
  /** From when the next run nets it (default: now). */
  availableAt: z.iso.datetime({ offset: true }).optional(),
});

const Adjustment = lazily(() => {
  const { MinorUnits: Amount, Currency, Instant } = commonSchemas();
  return z.strictObject({
    externalId: z.string().describe('The caller’s id of the adjustment: a replay with it answers the stored one.'),
    entryId: z.string().describe('The ledger entry (`adj:<externalId>`).'),
    partnerId: z.string(),
    amount: Amount.describe('Signed: negative takes money back.'),
    currency: Currency,
    reason: z.string(),
    availableAt: Instant.describe('From when a payout run nets it.'),
    recordedAt: Instant,
  });
});
const RecordedAdjustment = lazily(() =>
  Adjustment().extend({
    recordedBy: operatorSchemas().Operator.describe(
      'The operator who recorded it (answered when it is recorded, not on a replay).',
    ),
  }),
);
type AdjustmentView = Awaited<ReturnType<typeof recordAdjustment>>['adjustment'];
export type RecordedAdjustmentBody = Described<ReturnType<typeof RecordedAdjustment>, Required<AdjustmentView>>;
export type ReplayedAdjustmentBody = Described<ReturnType<typeof Adjustment>, Omit<AdjustmentView, 'recordedBy'>>;

/**
 * `POST /admin/adjustments` (admin group): a signed ledger correction, idempotent on `externalId` (201 recorded,
 * 200 replayed, 409 the same id with another body). Negative amounts take money back and are netted like clawbacks.
 */
export const handler = httpHandler(
  {
    auth: 'admin',
    errors: [
      'partner_not_found',
      'currency_not_payable',
      'external_id_conflict',
      'invalid_amount',
      'unsupported_currency',
    ],
    body: Body,
    query: NoQuery,
    summary: 'Record a ledger adjustment for a partner (admin)',
    responses: () => ({
      200: z
        .strictObject({ adjustment: Adjustment() })
        .describe('Replayed: this externalId was recorded before with the same body; the stored adjustment.'),
      201: z
        .strictObject({ adjustment: RecordedAdjustment() })
        .describe('The adjustment was recorded; the next payout run nets it.'),
    }),
  },
  async ({ body, identity }) => {
    const result = await recordAdjustment(operatorDepsForRequest(), body, operatorOf(identity));
    return { status: result.created ? 201 : 200, body: { adjustment: result.adjustment } };
  },
);
