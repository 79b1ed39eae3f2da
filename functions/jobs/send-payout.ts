import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { logger } from '#middleware/observability';

/**
 * Payout queue worker. Sending Transfers arrives with the payouts issue (#6). Until then every message is
 * reported as a batch item failure rather than acknowledged, so nothing queued is silently dropped: it is
 * retried and then lands in the DLQ, where the DLQ alarm makes it visible.
 */
export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  for (const record of event.Records) {
    logger.warn('Payout worker cannot process messages yet; leaving the message for retry/DLQ', {
      messageId: record.messageId,
    });
  }
  return { batchItemFailures: event.Records.map((record) => ({ itemIdentifier: record.messageId })) };
}
