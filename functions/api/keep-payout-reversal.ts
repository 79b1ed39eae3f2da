import * as z from 'zod';
import { keepReversal } from '#core/operator';
import { lazily } from '#middleware/contract';
import { httpHandler, NoQuery } from '#middleware/http-handler';
import { operatorDepsForRequest, operatorOf, PayoutId, Reason } from '#middleware/operator-request';
import { commonSchemas, type Described } from './schemas/common.ts';
import { paymentSchemas } from './schemas/payments.ts';

const Path = z.strictObject({ payoutId: PayoutId });
const Body = z.strictObject({ reason: Reason });

const Kept = lazily(() => {
  const { MinorUnits } = commonSchemas();
  const { PartnerPayout } = paymentSchemas();
  return z
    .strictObject({
      payoutId: z.string(),
      status: PartnerPayout.shape.status.describe('The payout’s status (always `reversed` here).'),
      reversedAmount: MinorUnits.describe('How much of the transfer Stripe reversed.'),
      keptAmount: MinorUnits.describe('How much of it the platform keeps now, in all.'),
      kept: MinorUnits.describe('What this call kept: the reversed amount not kept before.'),
    })
    .describe('The reversed money is kept by the platform: no run pays it again.');
});
export type KeptBody = Described<ReturnType<typeof Kept>, Awaited<ReturnType<typeof keepReversal>>>;

/**
 * `POST /admin/payouts/{payoutId}/reversal-final { reason }` (admin group): the money the payout's reversal returned
 * stays with the platform for good (a held negative adjustment cancels it), so no run pays it again.
 */
export const handler = httpHandler(
  {
    auth: 'admin',
    errors: ['payout_not_found', 'nothing_to_keep', 'payout_changed'],
    path: Path,
    body: Body,
    query: NoQuery,
    summary: "Keep a reversed payout's money for the platform (admin)",
    responses: () => ({ 200: Kept() }),
  },
  async ({ path, body, identity }) => ({
    status: 200,
    body: await keepReversal(operatorDepsForRequest(), path.payoutId, body.reason, operatorOf(identity)),
  }),
);
