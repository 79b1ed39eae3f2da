import * as z from 'zod';
import { sqsPayoutQueue } from '#adapters/sqs/payout-queue';
import { payoutRunView } from '#core/payout-views';
import { approveRun } from '#core/payouts';
import { httpHandler } from '#middleware/http-handler';
import { payoutDepsForRequest, RunId } from '#middleware/payout-request';
import { payoutSchemas } from './schemas/payouts.ts';

/** `POST /admin/payout-runs/{runId}/approve`: releases a run that waits as awaiting_approval. */
export const handler = httpHandler(
  {
    auth: 'admin',
    errors: ['run_not_found', 'approval_not_required', 'run_still_planning'],
    path: z.strictObject({ runId: RunId }),
    summary: 'Release a run waiting for approval',
    responses: () => {
      const { PayoutRun } = payoutSchemas();
      return { 200: PayoutRun };
    },
  },
  async ({ path }) => {
    const run = await approveRun(await payoutDepsForRequest({ queue: sqsPayoutQueue }), path.runId);
    return { status: 200, body: payoutRunView(run) };
  },
);
