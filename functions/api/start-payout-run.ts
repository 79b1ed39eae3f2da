import * as z from 'zod';
import { sqsPayoutQueue } from '#adapters/sqs/payout-queue';
import { payoutRunView } from '#core/payout-views';
import { dryRun, startRun } from '#core/payouts';
import { httpHandler } from '#middleware/http-handler';
import { payoutDepsForRequest } from '#middleware/payout-request';
import { payoutSchemas } from './schemas/payouts.ts';

const Body = z.strictObject({
  period: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'expected a month, YYYY-MM'),
  dryRun: z.boolean().default(false),
  requireApproval: z
    .boolean()
    .default(false)
    .describe(
      'Plan the run, then wait for POST /admin/payout-runs/{runId}/approve before sending (always so where the stage requires approval). Ignored when the run already exists.',
    ),
  /** Dry runs of many partners continue from where the previous page stopped. */
  cursor: z.string().max(2_000).optional(),
});

/** API functions have 10 s; a dry run stops planning pages after this and returns a cursor to continue. */
const DRY_RUN_BUDGET_MS = 6_000;

/**
 * `POST /admin/payout-runs { period, dryRun, requireApproval }`: starts the period's run (the same run the schedule
 * starts — starting it twice changes nothing), optionally held for an operator's approval, or computes exactly what it
 * would pay and writes nothing.
 */
export const handler = httpHandler(
  {
    auth: 'admin',
    errors: ['invalid_period', 'period_out_of_range', 'period_in_future'],
    body: Body,
    summary: "Start a period's payout run, or `dryRun: true`",
    responses: () => {
      const { DryRun, PayoutRun } = payoutSchemas();
      const Started = (created: boolean) =>
        z.strictObject({
          created: z.literal(created).describe('True when this call started the run.'),
          run: PayoutRun,
        });
      return {
        200: z
          .union([DryRun, Started(false)])
          .describe('The dry run (nothing written), or the period’s run, already started before.'),
        202: Started(true).describe('The run was started: payouts are planned and queued in the background.'),
      };
    },
  },
  async ({ body, identity }) => {
    const deps = await payoutDepsForRequest({ queue: sqsPayoutQueue });
    if (body.dryRun) {
      const result = await dryRun(deps, {
        period: body.period,
        cursor: body.cursor ?? null,
        deadline: Date.now() + DRY_RUN_BUDGET_MS,
      });
      return { status: 200, body: { dryRun: true, ...result, cutoff: new Date(result.cutoff).toISOString() } };
    }
    const { run, created } = await startRun(deps, {
      period: body.period,
      startedBy: identity.sub,
      requireApproval: body.requireApproval,
    });
    return { status: created ? 202 : 200, body: { created, run: payoutRunView(run) } };
  },
);
