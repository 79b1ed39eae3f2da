import { z } from 'zod';
import { keepReversal } from '#core/operator';
import { httpHandler, NoQuery } from '#middleware/http-handler';
import { operatorDepsForRequest, operatorOf, PayoutId, Reason } from '#middleware/operator-request';

const Path = z.strictObject({ payoutId: PayoutId });
const Body = z.strictObject({ reason: Reason });

/**
 * `POST /admin/payouts/{payoutId}/reversal-final { reason }` (admin group): the money the payout's reversal returned
 * stays with the platform for good (a held negative adjustment cancels it), so no run pays it again.
 */
export const handler = httpHandler(
  { auth: 'admin', path: Path, body: Body, query: NoQuery },
  async ({ path, body, identity }) => ({
    status: 200,
    body: await keepReversal(operatorDepsForRequest(), path.payoutId, body.reason, operatorOf(identity)),
  }),
);
