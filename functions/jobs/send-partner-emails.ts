import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import * as z from 'zod';
import { emailDeps } from '#adapters/email-deps';
import type { DomainEvent } from '#core/domain-events';
import { emailsForEvent } from '#core/partner-emails';
import { logger, metrics } from '#middleware/observability';

const BusEvent = z.looseObject({ detail: z.looseObject({ id: z.string().min(1), type: z.string().min(1) }) });

/**
 * Partner email worker (the email queue's consumer; the bus's rule sends it the event types that may email). A
 * failed send is retried by the queue (batch item failure); what was sent is never sent again (see emailsForEvent).
 */
async function sendEmails(event: SQSEvent): Promise<SQSBatchResponse> {
  const deps = emailDeps();
  const failures: { itemIdentifier: string }[] = [];
  for (const record of event.Records) {
    let body: unknown;
    try {
      body = JSON.parse(record.body);
    } catch {
      body = undefined;
    }
    const parsed = BusEvent.safeParse(body);
    if (!parsed.success) {
      logger.error('Unreadable email message; dropped', { messageId: record.messageId });
      continue;
    }
    try {
      const outcome = await emailsForEvent(deps, parsed.data.detail as unknown as DomainEvent);
      if (typeof outcome === 'object') metrics.addMetric('EmailsSent', 'Count', outcome.sent);
      logger.info('Email event handled', { eventId: parsed.data.detail.id, outcome });
    } catch (error) {
      logger.error('Sending an email failed; it will be retried', { error: error as Error });
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures: failures };
}

export const handler = middy(sendEmails)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
