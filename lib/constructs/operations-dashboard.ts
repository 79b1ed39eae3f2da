import { Duration } from 'aws-cdk-lib';
import {
  type Alarm,
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  type IMetric,
  Metric,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

export interface OperationsDashboardProps {
  dashboardName: string;
  /** The namespace and service dimension of the functions' own metrics (Powertools). */
  namespace: string;
  service: string;
  payoutQueue: Queue;
  payoutDeadLetterQueue: Queue;
  eventDeliveryQueue: Queue;
  emailQueue: Queue;
  eventPublishFailureQueue: Queue;
  apiName: string;
  stage: string;
  alarms: readonly Alarm[];
}

/**
 * The operators' CloudWatch dashboard: one screen for a payout run in progress, the events going out to the platform
 * (published, delivered, failed), reconciliation's findings, the webhooks coming in, the queues' depths and ages, and
 * every alarm's state. The metrics are the functions' own (Powertools, per service) and the queues'.
 */
export function operationsDashboard(scope: Construct, props: OperationsDashboardProps): Dashboard {
  const own = (metricName: string, label: string, period = Duration.minutes(5)): Metric =>
    new Metric({
      namespace: props.namespace,
      metricName,
      dimensionsMap: { service: props.service },
      period,
      statistic: 'Sum',
      label,
    });
  const depth = (queue: Queue, label: string): IMetric =>
    queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum', label });
  const age = (queue: Queue, label: string): IMetric =>
    queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: 'Maximum', label });
  const api = (metricName: string, label: string) =>
    new Metric({
      namespace: 'AWS/ApiGateway',
      metricName,
      dimensionsMap: { ApiName: props.apiName, Stage: props.stage },
      period: Duration.minutes(5),
      statistic: 'Sum',
      label,
    });
  const graph = (title: string, left: IMetric[], right: IMetric[] = []) =>
    new GraphWidget({ title, left, right, width: 12, height: 6 });

  const dashboard = new Dashboard(scope, 'OperationsDashboard', {
    dashboardName: props.dashboardName,
    defaultInterval: Duration.days(1),
  });
  dashboard.addWidgets(
    new TextWidget({
      markdown:
        '# connect-payouts operations\nPayout runs, events to the platform, reconciliation, webhooks and queues. ' +
        'Runbooks: `docs/runbooks/` (payout run, events, reconciliation).',
      width: 24,
      height: 2,
    }),
  );
  dashboard.addWidgets(
    graph(
      'Payout run progress (payouts per 5 min)',
      [
        own('PayoutPaid', 'paid'),
        own('PayoutCarriedForward', 'carried forward'),
        own('PayoutAwaitingFunds', 'awaiting funds'),
        own('PayoutFailed', 'failed'),
        own('PayoutAmbiguous', 'ambiguous (retried)'),
      ],
      [depth(props.payoutQueue, 'payout queue depth')],
    ),
    graph('Payout queues (oldest message, s)', [
      age(props.payoutQueue, 'payout queue'),
      age(props.payoutDeadLetterQueue, 'payout DLQ'),
    ]),
  );
  dashboard.addWidgets(
    graph(
      'Events out: published and delivered',
      [own('EventsPublished', 'published to the bus'), own('EventDeliveries', 'delivered to endpoints')],
      [own('EventPublishFailures', 'publish failures'), own('EventDeliveryFailures', 'delivery failures')],
    ),
    graph(
      'Event queues (depth)',
      [
        depth(props.eventDeliveryQueue, 'deliveries waiting'),
        depth(props.emailQueue, 'emails waiting'),
        depth(props.eventPublishFailureQueue, 'publish failures (DLQ)'),
      ],
      [age(props.eventDeliveryQueue, 'oldest delivery (s)')],
    ),
  );
  dashboard.addWidgets(
    graph(
      'Reconciliation (per day)',
      [own('ReconciliationDiscrepancies', 'discrepancies', Duration.days(1))],
      [own('ReconciliationTransfersChecked', 'transfers checked', Duration.days(1))],
    ),
    graph(
      'Webhooks in and the API',
      [
        own('WebhookRejected', 'Stripe deliveries refused (signature, payload)'),
        own('UnhandledError', 'unhandled errors'),
      ],
      [api('4XXError', 'API 4xx'), api('5XXError', 'API 5xx'), own('EmailsSent', 'partner emails sent')],
    ),
  );
  // One alarm status widget shows at most 100 alarms: the service's alarms come first, then the per-function ones.
  for (let start = 0; start < props.alarms.length; start += 100) {
    dashboard.addWidgets(
      new AlarmStatusWidget({
        title: start === 0 ? 'Alarms' : 'Alarms (continued)',
        alarms: props.alarms.slice(start, start + 100),
        width: 24,
        height: 6,
      }),
    );
  }
  return dashboard;
}
