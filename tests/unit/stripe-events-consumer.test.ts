import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { lambdaContext } from '#local/lambda-context';
import { handler, readStripeEventMessage } from '../../functions/jobs/stripe-events.ts';

const stripeEvent = {
  id: 'evt_1',
  object: 'event',
  type: 'account.updated',
  created: 1,
  account: 'acct_1',
  data: { object: { id: 'acct_1' } },
};
const envelope = (overrides: Record<string, unknown> = {}) =>
  JSON.stringify({
    version: '0',
    id: 'e1',
    'detail-type': 'account.updated',
    source: 'aws.partner/stripe.com/ed_test',
    account: '000000000000',
    time: '2026-11-30T00:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail: stripeEvent,
    ...overrides,
  });

const UNREADABLE: Record<string, string> = {
  'not-json': '{',
  'other-source': envelope({ source: 'aws.partner/example.com/x' }),
  'type-mismatch': envelope({ 'detail-type': 'payout.paid' }),
  'not-an-event': envelope({ detail: { ...stripeEvent, object: 'account' } }),
  'no-event-id': envelope({ detail: { ...stripeEvent, id: 'not-an-id' } }),
};

describe('the Stripe events consumer reads EventBridge envelopes', () => {
  it('returns the Stripe event of a well-formed envelope (the detail, unchanged)', () => {
    expect(readStripeEventMessage(envelope())).toEqual(stripeEvent);
  });

  it('returns null for anything else', () => {
    for (const [name, body] of Object.entries(UNREADABLE)) expect(readStripeEventMessage(body), name).toBeNull();
  });

  it('reports every unreadable message as a batch item failure (kept for the DLQ)', async () => {
    const record = (messageId: string, body: string): SQSRecord => ({
      messageId,
      receiptHandle: messageId,
      body,
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: '0',
        SenderId: 'test',
        ApproximateFirstReceiveTimestamp: '0',
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:stripe-events',
      awsRegion: 'us-east-1',
    });
    const event: SQSEvent = { Records: Object.entries(UNREADABLE).map(([id, body]) => record(id, body)) };
    const result = await handler(event, lambdaContext('stripe-events-unit', 'req-1', 10_000));
    expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(Object.keys(UNREADABLE));
  });
});
