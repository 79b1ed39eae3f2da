import { z } from 'zod';
import { payoutRunView } from '#core/payout-views';
import { httpHandler } from '#middleware/http-handler';
import { Cursor, Limit } from '#middleware/partner-request';
import { payoutDepsForRequest } from '#middleware/payout-request';

const Query = z.strictObject({ cursor: Cursor.optional(), limit: Limit });

/** `GET /admin/payout-runs`: runs, newest first. */
export const handler = httpHandler({ auth: 'admin', query: Query }, async ({ query }) => {
  const deps = await payoutDepsForRequest();
  const page = await deps.store.listRuns({ limit: query.limit, ...(query.cursor ? { cursor: query.cursor } : {}) });
  return { status: 200, body: { runs: page.runs.map(payoutRunView), nextCursor: page.nextCursor } };
});
