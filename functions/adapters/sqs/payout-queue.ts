import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { config } from '#config';
import type { PayoutQueue } from '#core/payouts';

/** Messages on the payout queue: one payout to send, or one page of a run to plan. */
export type PayoutMessage =
  | { type: 'payout'; partnerId: string; payoutId: string }
  | { type: 'plan'; runId: string; cursor: string | null };

let client: SQSClient | undefined;

function sqs(): SQSClient {
  if (!client) {
    const { AWS_REGION, SQS_ENDPOINT } = config();
    client = new SQSClient({ region: AWS_REGION, ...(SQS_ENDPOINT ? { endpoint: SQS_ENDPOINT } : {}) });
  }
  return client;
}

async function send(messages: PayoutMessage[]): Promise<void> {
  for (let i = 0; i < messages.length; i += 10) {
    const batch = messages.slice(i, i + 10);
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
}

export const sqsPayoutQueue: PayoutQueue = {
  enqueuePayouts: (refs) =>
    send(refs.map((ref) => ({ type: 'payout', partnerId: ref.partnerId, payoutId: ref.payoutId }))),
  enqueuePlanning: (runId, cursor) => send([{ type: 'plan', runId, cursor }]),
};
