import { z } from 'zod';
import { excludePayout } from '#core/operator';
import { httpHandler, NoQuery } from '#middleware/http-handler';
import { operatorDepsForRequest, operatorOf, PayoutId, Reason } from '#middleware/operator-request';

const Path = z.strictObject({ payoutId: PayoutId });
const Body = z.strictObject({ reason: Reason });

/**
 * `POST /admin/payouts/{payoutId}/exclude { reason }` (admin group): takes a planned (or awaiting-funds) payout out of
 * its run before it is sent; its entries carry forward (409 `payout_not_excludable` once it is sending or paid).
 */
export const handler = httpHandler(
  { auth: 'admin', path: Path, body: Body, query: NoQuery },
  async ({ path, body, identity }) => ({
    status: 200,
    body: await excludePayout(operatorDepsForRequest(), path.payoutId, body.reason, operatorOf(identity)),
  }),
);
