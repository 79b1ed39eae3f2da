import { z } from 'zod';
import { liftPayoutHold } from '#core/operator';
import { httpHandler } from '#middleware/http-handler';
import { operatorDepsForRequest, operatorOf, Reason } from '#middleware/operator-request';
import { PartnerId } from '#middleware/partner-request';

const Path = z.strictObject({ partnerId: PartnerId });
/** DELETE carries no body here: the reason is a query parameter (`?reason=`). */
const Query = z.strictObject({ reason: Reason });

/** `DELETE /admin/partners/{partnerId}/payout-hold?reason=…` (admin group): lifts the hold (idempotent). */
export const handler = httpHandler({ auth: 'admin', path: Path, query: Query }, async ({ path, query, identity }) => ({
  status: 200,
  body: await liftPayoutHold(operatorDepsForRequest(), path.partnerId, query.reason, operatorOf(identity)),
}));
