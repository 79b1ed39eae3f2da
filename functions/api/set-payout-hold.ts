import * as z from 'zod';
import { holdPayouts } from '#core/operator';
import { lazily } from '#middleware/contract';
import { httpHandler, NoQuery } from '#middleware/http-handler';
import { operatorDepsForRequest, operatorOf, Reason } from '#middleware/operator-request';
import { PartnerId } from '#middleware/partner-request';
import type { Described } from './schemas/common.ts';
import { operatorSchemas } from './schemas/operator.ts';

const Path = z.strictObject({ partnerId: PartnerId });
const Body = z.strictObject({ reason: Reason, until: z.iso.datetime({ offset: true }).optional() });

const Held = lazily(() => {
  const { PayoutHold } = operatorSchemas();
  return z
    .strictObject({ partnerId: z.string(), payoutHold: PayoutHold })
    .describe('The hold is in force (it replaced any earlier one).');
});
export type HeldBody = Described<ReturnType<typeof Held>, Awaited<ReturnType<typeof holdPayouts>>>;

/**
 * `PUT /admin/partners/{partnerId}/payout-hold { reason, until? }` (admin group): no payout is planned or sent to the
 * partner while the hold is in force (`operator_hold`); only an operator can lift it.
 */
export const handler = httpHandler(
  {
    auth: 'admin',
    errors: ['partner_not_found', 'invalid_hold_end'],
    path: Path,
    body: Body,
    query: NoQuery,
    summary: "Hold the partner's payouts (admin)",
    responses: () => ({ 200: Held() }),
  },
  async ({ path, body, identity }) => ({
    status: 200,
    body: await holdPayouts(operatorDepsForRequest(), path.partnerId, body, operatorOf(identity)),
  }),
);
