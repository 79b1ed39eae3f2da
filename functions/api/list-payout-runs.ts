import * as z from 'zod';
import { payoutRunView } from '#core/payout-views';
import { httpHandler } from '#middleware/http-handler';
import { Cursor, Limit } from '#middleware/partner-request';
import { payoutDepsForRequest } from '#middleware/payout-request';
import { commonSchemas } from './schemas/common.ts';
import { payoutSchemas } from './schemas/payouts.ts';

const Query = z.strictObject({ cursor: Cursor.optional(), limit: Limit });

/** `GET /admin/payout-runs`: runs, newest first. */
export const handler = httpHandler(
  {
    auth: 'admin',
    query: Query,
    summary: 'Payout runs, newest first',
    responses: () => {
      const { NextCursor } = commonSchemas();
      const { PayoutRun } = payoutSchemas();
      const Runs = z
        .strictObject({ runs: z.array(PayoutRun), nextCursor: NextCursor })
        .describe('A page of payout runs, newest first.');
      return { 200: Runs };
    },
  },
  async ({ query }) => {
    const deps = await payoutDepsForRequest();
    const page = await deps.store.listRuns({ limit: query.limit, ...(query.cursor ? { cursor: query.cursor } : {}) });
    return { status: 200, body: { runs: page.runs.map(payoutRunView), nextCursor: page.nextCursor } };
  },
);
