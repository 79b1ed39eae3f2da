import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_TIMEOUT_SECONDS } from '#infra/limits';
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
  it('runs the reconcile job every day at 03:00 UTC, with the time to do a day in one invocation', () => {
    const fn = fnLogicalId(s, 'reconcile');
    s.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 3 * * ? *)',
      Targets: Match.arrayWith([Match.objectLike({ Arn: { 'Fn::GetAtt': [fn, 'Arn'] } })]),
    });
    expect(s.template.toJSON().Resources[fn].Properties.Timeout).toBe(FUNCTION_TIMEOUT_SECONDS['daily-schedule']);
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
