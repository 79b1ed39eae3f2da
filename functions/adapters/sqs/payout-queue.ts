import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { config } from '#config';
import type { PayoutQueue } from '#core/payout-ports';
import { sqs } from './client.ts';

/**
 * Messages on the payout queue: one payout to send, one page of a run to plan, one page of its planned payouts to
 * queue, or one page of the payouts awaiting funds to queue again.
 */
export type PayoutMessage =
  | { type: 'payout'; partnerId: string; payoutId: string }
  | { type: 'plan'; runId: string; cursor: string | null }
  | { type: 'release'; runId: string; cursor: string | null }
  | { type: 'requeue'; before: string; cursor: string };

/** SendMessageBatch calls in flight at once when queueing a page of payouts. */
const SEND_CONCURRENCY = 8;

async function sendBatch(batch: PayoutMessage[]): Promise<void> {
  const result = await sqs().send(
    new SendMessageBatchCommand({
      QueueUrl: config().PAYOUT_QUEUE_URL,
      Entries: batch.map((message, index) => ({ Id: String(index), MessageBody: JSON.stringify(message) })),
    }),
  );
  if (result.Failed && result.Failed.length > 0) {
    throw new Error(
      `SQS refused ${result.Failed.length} payout messages: ${result.Failed.map((f) => f.Code).join(', ')}`,
    );
  }
}

/** Sends in batches of 10 (SQS's maximum), several batches at once; throws if any message was refused. */
async function send(messages: PayoutMessage[]): Promise<void> {
  const batches: PayoutMessage[][] = [];
  for (let i = 0; i < messages.length; i += 10) batches.push(messages.slice(i, i + 10));
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(SEND_CONCURRENCY, batches.length) }, async () => {
      while (next < batches.length) await sendBatch(batches[next++] ?? []);
    }),
  );
}

export const sqsPayoutQueue: PayoutQueue = {
  enqueuePayouts: (refs) =>
    send(refs.map((ref) => ({ type: 'payout', partnerId: ref.partnerId, payoutId: ref.payoutId }))),
  enqueuePlanning: (runId, cursor) => send([{ type: 'plan', runId, cursor }]),
  enqueueRelease: (runId, cursor) => send([{ type: 'release', runId, cursor }]),
  enqueueRequeue: (before, cursor) => send([{ type: 'requeue', before, cursor }]),
};
