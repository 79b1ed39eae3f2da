import { beforeAll, describe, expect, it } from 'vitest';
import { CONNECT_EVENT_TYPES } from '#adapters/stripe/connect-event';
import { PLATFORM_EVENT_TYPES } from '#adapters/stripe/platform-event';
import { FUNCTION_TIMEOUT_SECONDS, STRIPE_EVENTS_QUEUE } from '#infra/limits';
import { JOBS, ROUTES, STRIPE_EVENTS_BATCH_SIZE } from '#routes';
import { expectGrantsMatchAccess, expectOneFunctionPerEntry, fnLogicalId, logicalId } from './route-assertions.ts';
import { type Synthesized, synth } from './synth.ts';

/** Stripe events through EventBridge (`stripeEvents: eventbridge`), and their absence in a webhook stage. */
const SOURCE = 'aws.partner/stripe.com/ed_test_61TEN0dErlaWJQzTZ16Qafnx2xSQhCzmf0WoqI1pgQSG';

let eb: Synthesized;
let webhooks: Synthesized;
beforeAll(() => {
  // prod needs an alarm destination and the platform's app (lib/stage-config.ts).
  const prod = { stage: 'prod', alarmEmail: 'ops@example.com', appUrl: 'https://app.example.com' };
  eb = synth({ ...prod, stripeEvents: 'eventbridge', stripeEventSourceName: SOURCE }, { bundle: false });
  webhooks = synth(prod, { bundle: false });
});

type Resource = { Properties: Record<string, unknown> };
const ofType = (s: Synthesized, type: string) => Object.values(s.template.findResources(type)) as Resource[];

describe('stripeEvents: eventbridge', () => {
  it('accepts the Stripe partner event source with an event bus named after it', () => {
    eb.template.resourcePropertiesCountIs('AWS::Events::EventBus', { Name: SOURCE, EventSourceName: SOURCE }, 1);
  });

  it('has a rule per kind of event on that bus: platform types without an account, Connect types with one', () => {
    const busRef = { Ref: logicalId(eb.stack.node.findChild('StripeEventBus') as never) };
    const rules = ofType(eb, 'AWS::Events::Rule').filter(
      (r) => JSON.stringify(r.Properties.EventBusName) === JSON.stringify(busRef),
    );
    expect(rules).toHaveLength(2);
    const patterns = rules.map((r) => r.Properties.EventPattern as Record<string, unknown>);
    expect(patterns).toEqual(
      expect.arrayContaining([
        {
          source: [{ prefix: 'aws.partner/stripe.com' }],
          'detail-type': [...PLATFORM_EVENT_TYPES],
          detail: { account: [{ exists: false }] },
        },
        {
          source: [{ prefix: 'aws.partner/stripe.com' }],
          'detail-type': [...CONNECT_EVENT_TYPES],
          detail: { account: [{ exists: true }] },
        },
      ]),
    );
    const queueArn = { 'Fn::GetAtt': [logicalId(eb.stack.stripeEventsQueue), 'Arn'] };
    const dlqArn = { 'Fn::GetAtt': [logicalId(eb.stack.stripeEventsDeadLetterQueue), 'Arn'] };
    for (const rule of rules) {
      expect(rule.Properties.Targets).toEqual([
        expect.objectContaining({
          Arn: queueArn,
          DeadLetterConfig: { Arn: dlqArn },
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
        }),
      ]);
    }
  });

  it('feeds an encrypted, TLS-only queue with a dead-letter queue, alarmed, which EventBridge may write to', () => {
    const all = eb.template.toJSON().Resources;
    const queue = all[logicalId(eb.stack.stripeEventsQueue)].Properties;
    expect(queue).toMatchObject({
      SqsManagedSseEnabled: true,
      VisibilityTimeout: STRIPE_EVENTS_QUEUE.visibilityTimeoutSeconds,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(eb.stack.stripeEventsDeadLetterQueue), 'Arn'] },
        maxReceiveCount: STRIPE_EVENTS_QUEUE.maxReceiveCount,
      },
    });
    const policies = JSON.stringify(ofType(eb, 'AWS::SQS::QueuePolicy').map((p) => p.Properties));
    expect(policies).toContain('events.amazonaws.com');
    expect(policies).toContain('aws:SecureTransport');
    eb.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [logicalId(eb.stack.stripeEventsDeadLetterQueue), 'QueueName'] },
        },
      ],
      AlarmActions: [{ Ref: logicalId(eb.stack.alarmTopic) }],
    });
  });

  it('maps the queue to the stripe-events consumer with partial batch failures, and grants it what its job declares', () => {
    eb.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: fnLogicalId(eb, 'stripe-events') },
      EventSourceArn: { 'Fn::GetAtt': [logicalId(eb.stack.stripeEventsQueue), 'Arn'] },
      BatchSize: STRIPE_EVENTS_BATCH_SIZE,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    const fn = eb.template.toJSON().Resources[fnLogicalId(eb, 'stripe-events')].Properties;
    expect(fn.Timeout).toBe(FUNCTION_TIMEOUT_SECONDS['stripe-events-queue']);
    expect(STRIPE_EVENTS_QUEUE.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(6 * fn.Timeout);
    expectOneFunctionPerEntry(eb, ROUTES, JOBS);
    expectGrantsMatchAccess(eb, [...ROUTES, ...JOBS]);
  });

  it('keeps the webhook routes (local use, or a migration between channels)', () => {
    for (const name of ['platform-webhook', 'connect-webhook']) expect(eb.stack.functions.has(name)).toBe(true);
  });

  it('is clean under cdk-nag', () => {
    expect(eb.nag).toEqual([]);
  });
});

describe('stripeEvents: webhooks (default)', () => {
  it('deploys no Stripe event bus, no Stripe event rule, no Stripe events queue and no consumer', () => {
    // The stage's own domain-event bus exists either way; no bus takes Stripe's partner event source.
    expect(ofType(webhooks, 'AWS::Events::EventBus').filter((bus) => bus.Properties.EventSourceName)).toEqual([]);
    expect(ofType(eb, 'AWS::Events::EventBus').filter((bus) => bus.Properties.EventSourceName)).toHaveLength(1);
    expect(
      ofType(webhooks, 'AWS::Events::Rule').filter((r) =>
        JSON.stringify(r.Properties).includes('aws.partner/stripe.com'),
      ),
    ).toEqual([]);
    expect(webhooks.stack.stripeEventsQueue).toBeUndefined();
    expect(webhooks.stack.functions.has('stripe-events')).toBe(false);
    // Positive control: the same check sees them in the EventBridge stage.
    expect(eb.stack.functions.has('stripe-events')).toBe(true);
  });

  it('refuses eventbridge without the partner event source name, and a name that is not Stripe’s', () => {
    expect(() => synth({ stage: 'dev', stripeEvents: 'eventbridge' }, { bundle: false })).toThrow(
      /stripeEventSourceName/,
    );
    expect(() =>
      synth(
        { stage: 'dev', stripeEvents: 'eventbridge', stripeEventSourceName: 'aws.partner/other.com/x' },
        { bundle: false },
      ),
    ).toThrow(/stripeEventSourceName/);
  });
});
