import * as z from 'zod';
import { excludePayout } from '#core/operator';
import { lazily } from '#middleware/contract';
import { httpHandler, NoQuery } from '#middleware/http-handler';
import { operatorDepsForRequest, operatorOf, PayoutId, Reason } from '#middleware/operator-request';
import type { Described } from './schemas/common.ts';

const Path = z.strictObject({ payoutId: PayoutId });
const Body = z.strictObject({ reason: Reason });

const Excluded = lazily(() => {
  return z
    .strictObject({
      payoutId: z.string(),
      status: z.literal('carried_forward'),
      reason: z.string().describe('`operator_excluded`.'),
    })
    .describe('The payout left its run; its entries carry forward to the next one.');
});
export type ExcludedBody = Described<ReturnType<typeof Excluded>, Awaited<ReturnType<typeof excludePayout>>>;

/**
 * `POST /admin/payouts/{payoutId}/exclude { reason }` (admin group): takes a planned (or awaiting-funds) payout out of
 * its run before it is sent; its entries carry forward (409 `payout_not_excludable` once it is sending or paid).
 */
export const handler = httpHandler(
  {
    auth: 'admin',
    errors: ['payout_not_found', 'payout_not_excludable'],
    path: Path,
    body: Body,
    query: NoQuery,
    summary: 'Take a planned payout out of its run (admin)',
    responses: () => ({ 200: Excluded() }),
  },
  async ({ path, body, identity }) => ({
    status: 200,
    body: await excludePayout(operatorDepsForRequest(), path.payoutId, body.reason, operatorOf(identity)),
  }),
);
