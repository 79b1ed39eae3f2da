import { ChangeMessageVisibilityCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { config } from '#config';
import { sqs } from './client.ts';

/**
 * The event delivery queue. Messages are the bus's own events (a rule targets the queue with the EventBridge event
 * as the body, `detail` = our envelope) or an operator's redelivery request.
 */
export type RedeliveryMessage = { type: 'redeliver'; eventId: string; endpointId: string | null };

function queueUrl(): string {
  const url = config().EVENT_DELIVERY_QUEUE_URL;
  if (!url) throw new Error('EVENT_DELIVERY_QUEUE_URL is not set');
  return url;
}

export const eventDeliveryQueue = {
  async redeliver(message: Omit<RedeliveryMessage, 'type'>): Promise<void> {
    await sqs().send(
      new SendMessageCommand({ QueueUrl: queueUrl(), MessageBody: JSON.stringify({ type: 'redeliver', ...message }) }),
    );
  },

  /** Keeps a failed message invisible for `seconds` (its next attempt), instead of the queue's default timeout. */
  async delay(receiptHandle: string, seconds: number): Promise<void> {
    await sqs().send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: queueUrl(),
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: seconds,
      }),
    );
  },
};

/** The operators' redelivery port (`access.eventDeliveryQueue`). */
export const redeliver = (eventId: string, endpointId: string | null): Promise<void> =>
  eventDeliveryQueue.redeliver({ eventId, endpointId });
