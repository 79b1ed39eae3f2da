import * as z from 'zod';
import { fail } from '#core/errors';
import { payoutRunView, runReportRows, toCsv } from '#core/payout-views';
import type { Payout } from '#core/payouts';
import { httpHandler } from '#middleware/http-handler';
import { payoutDepsForRequest, RunId } from '#middleware/payout-request';
import { payoutSchemas } from './schemas/payouts.ts';

const Path = z.strictObject({ runId: RunId });
const Query = z.strictObject({ format: z.enum(['json', 'csv']).default('json') });

/** `GET /admin/payout-runs/{runId}[?format=csv]`: totals, or one CSV line per partner considered. */
export const handler = httpHandler(
  {
    auth: 'admin',
    errors: ['run_not_found'],
    path: Path,
    query: Query,
    summary: "A run's status and totals (`?format=csv`: one line per partner)",
    responses: () => {
      const { PayoutRun } = payoutSchemas();
      return {
        200: [
          PayoutRun,
          {
            contentType: 'text/csv; charset=utf-8',
            description:
              '`?format=csv`: one line per partner and currency considered (partner_id, currency, ' +
              'amount_minor_units, status, payout_id, stripe_transfer_id, reason).',
          },
        ],
      };
    },
  },
  async ({ path, query }) => {
    const deps = await payoutDepsForRequest();
    const run = await deps.store.getRun(path.runId);
    if (!run) fail('run_not_found', `No payout run ${path.runId}.`);
    if (query.format === 'json') return { status: 200, body: payoutRunView(run) };
    const payouts: Payout[] = [];
    let cursor: string | undefined;
    do {
      const page = await deps.store.listRunPayouts(run.id, { limit: 500, ...(cursor ? { cursor } : {}) });
      payouts.push(...page.payouts);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const csv = toCsv(runReportRows(payouts, await deps.store.listSkips(run.id)));
    return {
      status: 200,
      body: csv,
      contentType: 'text/csv; charset=utf-8',
      headers: { 'content-disposition': `attachment; filename="${run.id}.csv"` },
    };
  },
);
