import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { config } from '#config';
import type { ReconciliationStep } from '#core/reconciliation';
import { sqs } from './client.ts';

/**
 * Messages on the reconciliation queue: the start of a day's run (the daily schedule puts it there through its
 * rule; `npm run reconcile` too), then one message per step, each queued by the step before it.
 */
export type ReconciliationMessage =
  | {
      type: 'start';
      /** The schedule's event id (stable across EventBridge's retries), or the CLI's id. */
      runId: string;
      /** The day to reconcile; default: the day before `scheduledAt`. */
      date?: string;
      /** When the schedule fired (ISO 8601). */
      scheduledAt?: string;
      /** Items per step (1..100); default 100. */
      pageSize?: number;
    }
  | { type: 'step'; step: ReconciliationStep };

export async function sendReconciliationMessage(message: ReconciliationMessage): Promise<void> {
  const url = config().RECONCILIATION_QUEUE_URL;
  if (!url) throw new Error('RECONCILIATION_QUEUE_URL is not set');
  await sqs().send(new SendMessageCommand({ QueueUrl: url, MessageBody: JSON.stringify(message) }));
}
