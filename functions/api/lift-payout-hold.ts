import * as z from 'zod';
import { liftPayoutHold } from '#core/operator';
import { lazily } from '#middleware/contract';
import { httpHandler } from '#middleware/http-handler';
import { operatorDepsForRequest, operatorOf, Reason } from '#middleware/operator-request';
import { PartnerId } from '#middleware/partner-request';
import type { Described } from './schemas/common.ts';

const Path = z.strictObject({ partnerId: PartnerId });
/** DELETE carries no body here: the reason is a query parameter (`?reason=`). */
const Query = z.strictObject({ reason: Reason });

const Lifted = lazily(() => {
  return z
    .strictObject({
      partnerId: z.string(),
      payoutHold: z.null().describe('No hold is in force now.'),
      lifted: z.boolean().describe('False when there was no hold to lift (nothing was written).'),
    })
    .describe('The partner has no payout hold.');
});
export type LiftedBody = Described<ReturnType<typeof Lifted>, Awaited<ReturnType<typeof liftPayoutHold>>>;

/** `DELETE /admin/partners/{partnerId}/payout-hold?reason=…` (admin group): lifts the hold (idempotent). */
export const handler = httpHandler(
  {
    auth: 'admin',
    errors: ['partner_not_found'],
    path: Path,
    query: Query,
    summary: "Lift the partner's payout hold (admin)",
    responses: () => ({ 200: Lifted() }),
  },
  async ({ path, query, identity }) => ({
    status: 200,
    body: await liftPayoutHold(operatorDepsForRequest(), path.partnerId, query.reason, operatorOf(identity)),
  }),
);
