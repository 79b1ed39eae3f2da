import { randomUUID } from 'node:crypto';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { type FauxqsServer, startFauxqs } from 'fauxqs';
import { MAX_DELIVERY_ATTEMPTS } from '#core/webhook-endpoints';
import { PAYOUT_QUEUE, RECONCILIATION_QUEUE, STRIPE_EVENTS_QUEUE } from '#infra/limits';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './dynamodb.ts';
import { lambdaContext } from './lambda-context.ts';
import { resolvePort } from './processes.ts';

export interface LocalQueues {
  endpoint: string;
  payoutQueueUrl: string;
  payoutQueueArn: string;
  payoutDlqUrl: string;
  /** Domain event deliveries to the platform's webhook endpoints (the bus's rule targets it), and its DLQ. */
  eventDeliveryQueueUrl: string;
  eventDeliveryQueueArn: string;
  eventDeliveryDlqUrl: string;
  /** Partner emails (the bus's rule for email-worthy events targets it), and its DLQ. */
  emailQueueUrl: string;
  emailQueueArn: string;
  emailDlqUrl: string;
  /** The queue the EventBridge rule on Stripe's partner event source feeds (Stripe events channel), and its DLQ. */
  stripeEventsQueueUrl: string;
  stripeEventsQueueArn: string;
  stripeEventsDlqUrl: string;
  /** The reconciliation steps (the daily start, then one message per step), and its DLQ. */
  reconciliationQueueUrl: string;
  reconciliationQueueArn: string;
  reconciliationDlqUrl: string;
  server: FauxqsServer;
  client: SQSClient;
  stop(): Promise<void>;
}

/**
 * SQS stand-in (fauxqs, which speaks SQS's wire protocol to the AWS SDK): the payout queue and its DLQ with the
 * same redrive policy as the stack. `visibilityTimeoutSeconds` is short locally so redeliveries are quick.
 */
export async function startLocalQueues(options: {
  port: number;
  visibilityTimeoutSeconds: number;
}): Promise<LocalQueues> {
  const port = await resolvePort(options.port, 'the SQS stand-in', 'SQS_PORT');
  const server = await startFauxqs({ port, host: '127.0.0.1', logger: false, defaultRegion: LOCAL_REGION });
  /** A queue and its dead-letter queue, with the stack's redrive policy (moved there after `maxReceiveCount`). */
  const withDlq = (name: string, dlqName: string, visibilityTimeoutSeconds: number, maxReceiveCount: number) => {
    const dlq = server.createQueue(dlqName);
    const queue = server.createQueue(name, {
      attributes: {
        VisibilityTimeout: String(visibilityTimeoutSeconds),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.queueArn, maxReceiveCount: String(maxReceiveCount) }),
      },
    });
    return { queue, dlq };
  };
  const visibility = options.visibilityTimeoutSeconds;
  const { queue, dlq } = withDlq('payout-queue', 'payout-queue-dlq', visibility, PAYOUT_QUEUE.maxReceiveCount);
  const { queue: deliveryQueue, dlq: deliveryDlq } = withDlq(
    'event-delivery-queue',
    'event-delivery-dlq',
    30,
    MAX_DELIVERY_ATTEMPTS,
  );
  const { queue: emailQueue, dlq: emailDlq } = withDlq('email-queue', 'email-dlq', 5, 5);
  const { queue: events, dlq: eventsDlq } = withDlq(
    'stripe-events',
    'stripe-events-dlq',
    visibility,
    STRIPE_EVENTS_QUEUE.maxReceiveCount,
  );
  const { queue: reconciliation, dlq: reconciliationDlq } = withDlq(
    'reconciliation-queue',
    'reconciliation-dlq',
    visibility,
    RECONCILIATION_QUEUE.maxReceiveCount,
  );
  const client = new SQSClient({ endpoint: server.address, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  return {
    emailQueueUrl: emailQueue.queueUrl,
    emailQueueArn: emailQueue.queueArn,
    emailDlqUrl: emailDlq.queueUrl,
    endpoint: server.address,
    payoutQueueUrl: queue.queueUrl,
    payoutQueueArn: queue.queueArn,
    payoutDlqUrl: dlq.queueUrl,
    eventDeliveryQueueUrl: deliveryQueue.queueUrl,
    eventDeliveryQueueArn: deliveryQueue.queueArn,
    eventDeliveryDlqUrl: deliveryDlq.queueUrl,
    stripeEventsQueueUrl: events.queueUrl,
    stripeEventsQueueArn: events.queueArn,
    stripeEventsDlqUrl: eventsDlq.queueUrl,
    reconciliationQueueUrl: reconciliation.queueUrl,
    reconciliationQueueArn: reconciliation.queueArn,
    reconciliationDlqUrl: reconciliationDlq.queueUrl,
    server,
    client,
    async stop() {
      client.destroy();
      await server.stop();
    },
  };
}

type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>;

export interface EventSourceOptions {
  client: SQSClient;
  queueUrl: string;
  queueArn: string;
  /** Loads the worker module lazily (the same file the stack deploys). */
  loadHandler: () => Promise<SqsHandler>;
  batchSize: number;
  /** Like the event source mapping's maximum concurrency: how many batches are processed at once. */
  maxConcurrency: number;
  functionTimeoutMs: number;
  /** The function's name in the Lambda context (default: the payout worker's). */
  functionName?: string;
  /** Called after every invocation with its duration (benchmarks check no invocation runs long). */
  onInvocation?: (ms: number, records: number) => void;
}

export interface EventSource {
  /** Resolves when no message is visible or in flight in this poller (used by tests and the CLI). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

function toRecord(message: Message, queueArn: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? randomUUID(),
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: LOCAL_REGION,
  };
}

/**
 * A local Lambda event source mapping for SQS: long-polls the queue, invokes the worker with a real SQSEvent,
 * deletes the messages that succeeded (ReportBatchItemFailures semantics) and leaves the rest to reappear after
 * the visibility timeout — so retries and the DLQ behave as in AWS.
 */
export function startEventSource(options: EventSourceOptions): EventSource {
  let running = true;
  let inFlight = 0;
  let emptyPolls = 0;
  const waiters: Array<() => void> = [];

  const invoke = async (messages: Message[]) => {
    const handler = await options.loadHandler();
    const event: SQSEvent = { Records: messages.map((m) => toRecord(m, options.queueArn)) };
    const context = lambdaContext(
      options.functionName ?? 'connect-payouts-local-send-payout',
      randomUUID(),
      options.functionTimeoutMs,
    );
    let failed = new Set<string>(event.Records.map((r) => r.messageId));
    const started = performance.now();
    try {
      const result = await handler(event, context);
      failed = new Set((result?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch (error) {
      console.error('[sqs] worker invocation failed; the batch will be retried', error);
    }
    options.onInvocation?.(performance.now() - started, event.Records.length);
    const done = event.Records.filter((r) => !failed.has(r.messageId));
    if (done.length > 0) {
      await options.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: done.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
        }),
      );
    }
  };

  const poller = async () => {
    while (running) {
      try {
        const received = await options.client.send(
          new ReceiveMessageCommand({
            QueueUrl: options.queueUrl,
            MaxNumberOfMessages: options.batchSize,
            WaitTimeSeconds: 1,
            MessageSystemAttributeNames: ['All'],
          }),
        );
        const messages = received.Messages ?? [];
        if (messages.length === 0) {
          emptyPolls += 1;
          if (inFlight === 0 && emptyPolls >= options.maxConcurrency) while (waiters.length > 0) waiters.shift()?.();
          continue;
        }
        emptyPolls = 0;
        inFlight += 1;
        try {
          await invoke(messages);
        } finally {
          inFlight -= 1;
        }
      } catch (error) {
        if (running) {
          console.error('[sqs] poll failed', error);
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }
    }
  };

  const pollers = Array.from({ length: options.maxConcurrency }, () => poller());
  return {
    idle: () =>
      new Promise<void>((resolve) => {
        emptyPolls = 0;
        waiters.push(resolve);
      }),
    async stop() {
      running = false;
      await Promise.all(pollers);
    },
  };
}

/** Makes a message visible again at once (tests use it to simulate a redelivery without waiting). */
export async function releaseMessage(client: SQSClient, queueUrl: string, receiptHandle: string): Promise<void> {
  await client.send(
    new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: 0 }),
  );
}
