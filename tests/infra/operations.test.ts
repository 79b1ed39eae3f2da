import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_TIMEOUT_SECONDS, RECONCILIATION_QUEUE } from '#infra/limits';
import { EARNINGS_SWEEP_MINUTES } from '#routes';
import { fnLogicalId } from './route-assertions.ts';
import { type Synthesized, synth } from './synth.ts';

/** The operations dashboard, the daily reconciliation's schedule and its discrepancy alarm. */
let s: Synthesized;
beforeAll(() => {
  s = synth({ stage: 'dev', alarmEmail: 'ops@example.com' }, { bundle: false });
});

/** The dashboard's body as one string (CloudFormation joins it from literals and references). */
function dashboardBody(): string {
  const dashboards = s.template.findResources('AWS::CloudWatch::Dashboard');
  const [dashboard] = Object.values(dashboards);
  expect(Object.keys(dashboards)).toHaveLength(1);
  const body = dashboard?.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] };
  return body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join('');
}

describe('operations dashboard', () => {
  it('is one dashboard per stage, named after it', () => {
    s.template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'connect-payouts-dev-operations' });
  });

  it('graphs payout run progress, events published and delivery failures, discrepancies and the queues', () => {
    const body = dashboardBody();
    for (const metric of [
      'PayoutPaid',
      'PayoutFailed',
      'PayoutAwaitingFunds',
      'EventsPublished',
      'EventPublishFailures',
      'EventDeliveries',
      'EventDeliveryFailures',
      'ReconciliationDiscrepancies',
      'WebhookRejected',
      'ApproximateNumberOfMessagesVisible',
      'ApproximateAgeOfOldestMessage',
      '5XXError',
    ]) {
      expect(body, metric).toContain(`"${metric}"`);
    }
    // The functions' own metrics are read where Powertools writes them.
    expect(body).toContain('"ConnectPayouts"');
    expect(body).toContain('"service"');
  });

  it('shows the state of every alarm of the stack', () => {
    const body = dashboardBody();
    const alarms = Object.keys(s.template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.length).toBeGreaterThan(10);
    for (const alarm of alarms) expect(body, alarm).toContain(`"${alarm}"`);
    // The ones a human acts on come before the per-function errors and throttles.
    expect(body.indexOf('"ReconcileDiscrepancyAlarm')).toBeLessThan(body.indexOf('"HealthErrorsAlarm'));
  });
});

describe('daily reconciliation', () => {
  it('puts a start on the reconciliation queue every day at 03:00 UTC; the job takes one bounded step per message', () => {
    const fn = fnLogicalId(s, 'reconcile');
    const resources = s.template.toJSON().Resources;
    const queue = s.stack.resolve(s.stack.reconciliationQueue.queueArn) as { 'Fn::GetAtt': [string, string] };
    const queueId = queue['Fn::GetAtt'][0];
    // The rule's target is the queue, with the schedule event's id as the run's and its time for the day.
    const rules = Object.values(
      s.template.findResources('AWS::Events::Rule', {
        Properties: { ScheduleExpression: 'cron(0 3 * * ? *)' },
      }),
    );
    expect(rules).toHaveLength(1);
    const targets = (rules[0]?.Properties.Targets ?? []) as Array<{
      Arn: unknown;
      InputTransformer: { InputPathsMap: Record<string, string>; InputTemplate: string };
    }>;
    expect(targets).toHaveLength(1);
    const { Arn, InputTransformer } = targets[0] as (typeof targets)[number];
    expect(Arn).toEqual({ 'Fn::GetAtt': [queueId, 'Arn'] });
    // The template with each <placeholder> replaced by the event path it reads.
    const input = InputTransformer.InputTemplate.replace(
      /<([\w-]+)>/g,
      (_, name: string) => `"${InputTransformer.InputPathsMap[name] ?? name}"`,
    );
    expect(JSON.parse(input)).toEqual({
      type: 'start',
      runId: '$.id',
      scheduledAt: '$.time',
    });
    // No rule invokes the function directly: one step per message, each bounded by the step timeout.
    s.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      FunctionName: Match.anyValue(),
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(resources[fn].Properties.Timeout).toBe(FUNCTION_TIMEOUT_SECONDS['reconciliation-queue']);
    expect(resources[fn].Properties.RecursiveLoop).toBe('Allow');
    // A step that keeps failing lands in the dead-letter queue, which alarms.
    const dlq = s.stack.resolve(s.stack.reconciliationDeadLetterQueue.queueArn) as { 'Fn::GetAtt': [string, string] };
    expect(resources[queueId].Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [dlq['Fn::GetAtt'][0], 'Arn'] },
      maxReceiveCount: RECONCILIATION_QUEUE.maxReceiveCount,
    });
    expect(resources[queueId].Properties.VisibilityTimeout).toBe(RECONCILIATION_QUEUE.visibilityTimeoutSeconds);
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlq['Fn::GetAtt'][0], 'QueueName'] } }],
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 0,
      AlarmActions: Match.anyValue(),
    });
  });

  it('alarms as soon as a day has a discrepancy', () => {
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ReconciliationDiscrepancies',
      Namespace: 'ConnectPayouts',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: Match.anyValue(),
    });
  });
});

describe('earnings availability sweep', () => {
  it(`runs the earnings-available job every ${EARNINGS_SWEEP_MINUTES} minutes, alarmed when EventBridge cannot invoke it`, () => {
    const fn = fnLogicalId(s, 'earnings-available');
    const rules = s.template.findResources('AWS::Events::Rule', {
      Properties: {
        ScheduleExpression: `rate(${EARNINGS_SWEEP_MINUTES} minutes)`,
        Targets: Match.arrayWith([Match.objectLike({ Arn: { 'Fn::GetAtt': [fn, 'Arn'] } })]),
      },
    });
    const [ruleId, ...others] = Object.keys(rules);
    expect(others).toEqual([]);
    expect(s.template.toJSON().Resources[fn].Properties.Timeout).toBe(FUNCTION_TIMEOUT_SECONDS['sweep-schedule']);
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'FailedInvocations',
      Namespace: 'AWS/Events',
      Dimensions: [{ Name: 'RuleName', Value: { Ref: ruleId } }],
      Threshold: 0,
      AlarmActions: Match.anyValue(),
    });
  });
});
