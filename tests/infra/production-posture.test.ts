import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '#infra/constructs/api-function';
import { gatewayResponseBody } from '#infra/gateway-responses';
import { INDEX_ACTIONS, STRIPE_KEY_SPECS, TABLE_ACTIONS } from '#infra/grants';
import { ALARM_THRESHOLDS, QUEUE_RETENTION_DAYS, REQUEST_BODY_LIMIT_BYTES } from '#infra/limits';
import { AUTHORIZER_CACHE_TTL, deployedJobs, ID_TOKEN_VALIDITY, SECURITY_HEADERS } from '#infra/payouts-stack';
import { MAX_BODY_BYTES } from '#middleware/http-handler';
import { JOBS, ROUTES, STRIPE_KEYS } from '#routes';
import { expectGrantsMatchAccess, expectNoWildcardActions, fnLogicalId, logicalId } from './route-assertions.ts';
import { allStatements, resources, type Synthesized, synth } from './synth.ts';

/**
 * The production posture of the stack, asserted on both stages as they synthesize by default (prod with the alarm
 * destination and app URL it requires). Bundling is skipped: the templates are the same.
 */
const STAGES = {
  dev: { stage: 'dev' },
  prod: { stage: 'prod', alarmEmail: 'ops@example.com', appUrl: 'https://app.example.com' },
} as const;

const synthesized: Partial<Record<keyof typeof STAGES, Synthesized>> = {};
beforeAll(() => {
  for (const [stage, context] of Object.entries(STAGES)) {
    synthesized[stage as keyof typeof STAGES] = synth(context, { bundle: false });
  }
});

/** A template value: the shapes are CloudFormation's, read as the template's own JSON type. */
type Json = ReturnType<Synthesized['template']['toJSON']>[string];

const all = (s: Synthesized) => s.template.toJSON().Resources as Record<string, { Type: string; Properties: Json }>;
const fnProps = (s: Synthesized, name: string) => all(s)[fnLogicalId(s, name)]!.Properties;
const alarmProps = (s: Synthesized, id: string) => all(s)[logicalId(s.stack.alarms.get(id))]!.Properties;

interface WafRule {
  Name: string;
  Action?: unknown;
  Statement: Record<string, Json>;
}
const webAclRules = (s: Synthesized): WafRule[] => all(s)[s.stack.getLogicalId(s.stack.webAcl)]!.Properties.Rules;

describe.each(Object.keys(STAGES) as (keyof typeof STAGES)[])('%s stage', (stage) => {
  const s = () => synthesized[stage]!;
  const config = () => s().config;

  describe('1. payout chains survive Lambda recursive loop detection', () => {
    it('lets only the payout worker and reconciliation (each queues its next page to its own queue) recurse', () => {
      const chains = ['send-payout', 'reconcile'];
      for (const name of chains) expect(fnProps(s(), name).RecursiveLoop, name).toBe('Allow');
      for (const name of s().stack.functions.keys()) {
        if (!chains.includes(name)) expect(fnProps(s(), name).RecursiveLoop, name).toBe('Terminate');
      }
    });

    it('reserves the worker the concurrency its SQS event source may use', () => {
      expect(fnProps(s(), 'send-payout').ReservedConcurrentExecutions).toBe(config().payoutWorkerMaxConcurrency);
      s().template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: fnLogicalId(s(), 'send-payout') },
        ScalingConfig: { MaximumConcurrency: config().payoutWorkerMaxConcurrency },
      });
    });
  });

  describe('2. alarms that see failures', () => {
    it('sends every alarm to the topic when it fires and when it recovers (the DLQ reminder only when it fires)', () => {
      const topic = { Ref: logicalId(s().stack.alarmTopic as never) };
      const alarms = resources(s().template, 'AWS::CloudWatch::Alarm');
      expect(Object.keys(alarms)).toHaveLength(s().stack.alarms.size);
      for (const [id, alarm] of s().stack.alarms) {
        const props = all(s())[logicalId(alarm)]!.Properties;
        expect(props.AlarmActions, id).toEqual([topic]);
        if (id === 'PayoutDeadLetterQueueReminderAlarm') expect(props.OKActions, id).toBeUndefined();
        else expect(props.OKActions, id).toEqual([topic]);
      }
    });

    it('alarms on the API’s 5xx share and p99 latency, by API name and stage', () => {
      const dimensions = [
        { Name: 'ApiName', Value: `connect-payouts-${stage}` },
        { Name: 'Stage', Value: stage },
      ];
      expect(alarmProps(s(), 'Api5xxAlarm')).toMatchObject({
        Namespace: 'AWS/ApiGateway',
        MetricName: '5XXError',
        Statistic: 'Average',
        Dimensions: dimensions,
        Threshold: ALARM_THRESHOLDS.api5xxRate,
      });
      expect(alarmProps(s(), 'ApiLatencyAlarm')).toMatchObject({
        Namespace: 'AWS/ApiGateway',
        MetricName: 'Latency',
        ExtendedStatistic: 'p99',
        Dimensions: dimensions,
        Threshold: ALARM_THRESHOLDS.apiLatencyP99Ms,
      });
    });

    it('alarms on the UnhandledError metric httpHandler emits (namespace and service dimension of the functions)', () => {
      const env = fnProps(s(), 'health').Environment.Variables;
      expect(alarmProps(s(), 'UnhandledErrorAlarm')).toMatchObject({
        Namespace: env.POWERTOOLS_METRICS_NAMESPACE,
        MetricName: 'UnhandledError',
        Dimensions: [{ Name: 'service', Value: env.POWERTOOLS_SERVICE_NAME }],
        Statistic: 'Sum',
        Threshold: 1,
      });
      const source = readFileSync(path.join(REPO_ROOT, 'functions/middleware/http-handler.ts'), 'utf8');
      expect(source).toContain("metrics.addMetric('UnhandledError', 'Count', 1)");
      expect(source).toContain("metrics.addMetric('WebhookRejected', 'Count', 1)");
    });

    it('alarms on the share of Stripe deliveries the webhooks refuse, over both webhook functions', () => {
      const props = alarmProps(s(), 'WebhookRejectedAlarm');
      expect(props.Threshold).toBe(ALARM_THRESHOLDS.webhookRejectedRate);
      const queries = props.Metrics as { Id: string; Expression?: string; MetricStat?: Json }[];
      const expression = queries.find((q) => q.Expression)?.Expression;
      expect(expression).toMatch(/FILL\(rejected, 0\) \//);
      expect(expression).toMatch(/>= 5/);
      const stats = queries.filter((q) => q.MetricStat).map((q) => q.MetricStat.Metric);
      expect(stats).toContainEqual(
        expect.objectContaining({ MetricName: 'WebhookRejected', Namespace: 'ConnectPayouts' }),
      );
      const webhooks = ROUTES.filter((route) => route.auth === 'webhook');
      expect(webhooks.length).toBeGreaterThan(0);
      for (const route of webhooks) {
        expect(stats).toContainEqual({
          MetricName: 'Invocations',
          Namespace: 'AWS/Lambda',
          Dimensions: [{ Name: 'FunctionName', Value: { Ref: fnLogicalId(s(), route.name) } }],
        });
      }
    });

    it('alarms on throttles of every function', () => {
      for (const name of s().stack.functions.keys()) {
        s().template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/Lambda',
          MetricName: 'Throttles',
          Dimensions: [{ Name: 'FunctionName', Value: { Ref: fnLogicalId(s(), name) } }],
          Threshold: 1,
        });
      }
    });

    it('alarms on DynamoDB throttled requests and system errors of the table', () => {
      for (const [id, metricName] of [
        ['TableThrottleAlarm', 'ThrottledRequests'],
        ['TableSystemErrorsAlarm', 'SystemErrors'],
      ] as const) {
        const stats = (alarmProps(s(), id).Metrics as { MetricStat?: Json }[]).flatMap((q) =>
          q.MetricStat ? [q.MetricStat.Metric] : [],
        );
        expect(stats.length, id).toBeGreaterThan(0);
        for (const metric of stats) {
          expect(metric).toMatchObject({ Namespace: 'AWS/DynamoDB', MetricName: metricName });
          expect(metric.Dimensions).toContainEqual({ Name: 'TableName', Value: { Ref: logicalId(s().stack.table) } });
        }
      }
    });

    it('alarms on the age of the oldest message of the payout queue and of its DLQ', () => {
      for (const [id, queue, threshold] of [
        ['PayoutQueueAgeAlarm', s().stack.payoutQueue, ALARM_THRESHOLDS.payoutQueueAgeSeconds],
        ['PayoutDeadLetterQueueAgeAlarm', s().stack.payoutDeadLetterQueue, ALARM_THRESHOLDS.deadLetterAgeSeconds],
      ] as const) {
        expect(alarmProps(s(), id)).toMatchObject({
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateAgeOfOldestMessage',
          Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(queue), 'QueueName'] } }],
          Threshold: threshold,
        });
      }
    });

    it('re-notifies while the DLQ holds messages: a schedule re-arms the reminder alarm, and may do nothing else', () => {
      const reminder = s().stack.alarms.get('PayoutDeadLetterQueueReminderAlarm')!;
      expect(alarmProps(s(), 'PayoutDeadLetterQueueReminderAlarm')).toMatchObject({
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [
          { Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(s().stack.payoutDeadLetterQueue), 'QueueName'] } },
        ],
      });
      const schedules = Object.values(resources(s().template, 'AWS::Scheduler::Schedule'));
      expect(schedules).toHaveLength(1);
      const target = schedules[0]!.Properties.Target as { Arn: string; RoleArn: Json; Input: unknown };
      expect(schedules[0]!.Properties.ScheduleExpression).toBe(
        `rate(${ALARM_THRESHOLDS.deadLetterRenotifyHours} hours)`,
      );
      expect(target.Arn).toBe('arn:aws:scheduler:::aws-sdk:cloudwatch:setAlarmState');
      const input = JSON.stringify(target.Input);
      expect(input).toContain(logicalId(reminder));
      expect(input).toContain('INSUFFICIENT_DATA');
      const roleId = target.RoleArn['Fn::GetAtt'][0];
      const statements = allStatements(s().template).filter(({ logicalId: id }) =>
        JSON.stringify(all(s())[id]!.Properties.Roles ?? []).includes(`"${roleId}"`),
      );
      expect(statements.map(({ statement }) => [statement.Action, statement.Resource])).toEqual([
        ['cloudwatch:SetAlarmState', { 'Fn::GetAtt': [logicalId(reminder), 'Arn'] }],
      ]);
    });
  });

  describe('3. alarms reach a human', () => {
    it(stage === 'prod' ? 'subscribes the alarm email in prod' : 'synthesizes dev without a destination', () => {
      const subscriptions = Object.values(resources(s().template, 'AWS::SNS::Subscription'));
      if (stage === 'prod') {
        expect(subscriptions.map((sub) => sub.Properties)).toEqual([
          expect.objectContaining({ Protocol: 'email', Endpoint: 'ops@example.com' }),
        ]);
        expect(fnProps(s(), 'connect-return').Environment.Variables.APP_URL).toBe('https://app.example.com');
      } else {
        expect(subscriptions).toEqual([]);
      }
    });
  });

  describe('4. edge protection', () => {
    it('associates a regional web ACL with the API stage', () => {
      const acl = Object.entries(resources(s().template, 'AWS::WAFv2::WebACL'));
      expect(acl).toHaveLength(1);
      const [aclId, { Properties: props }] = acl[0]!;
      expect(props).toMatchObject({
        Scope: 'REGIONAL',
        DefaultAction: { Allow: {} },
        AssociationConfig: { RequestBody: { API_GATEWAY: { DefaultSizeInspectionLimit: 'KB_64' } } },
      });
      const associations = Object.values(resources(s().template, 'AWS::WAFv2::WebACLAssociation'));
      expect(associations).toHaveLength(1);
      expect(associations[0]!.Properties.WebACLArn).toEqual({ 'Fn::GetAtt': [aclId, 'Arn'] });
      expect(JSON.stringify(associations[0]!.Properties.ResourceArn)).toContain(
        `"${logicalId(s().stack.api.deploymentStage)}"`,
      );
    });

    it('lets webhook paths through only from the stage’s Stripe webhook addresses', () => {
      const ipSetId = s().stack.getLogicalId(s().stack.stripeWebhookIpSet);
      expect(all(s())[ipSetId]!.Properties.Addresses).toEqual(config().stripeWebhookIps);
      expect(config().stripeWebhookIps.every((cidr) => /\/\d+$/.test(cidr))).toBe(true);
      const rules = webAclRules(s());
      const onlyStripe = rules.find((rule) => rule.Name === 'WebhooksOnlyFromStripe')!;
      expect(onlyStripe.Action).toMatchObject({
        Block: { CustomResponse: { ResponseCode: 403, CustomResponseBodyKey: 'ACCESS_DENIED' } },
      });
      const text = JSON.stringify(onlyStripe.Statement);
      for (const route of ROUTES.filter((r) => r.auth === 'webhook')) expect(text).toContain(`"${route.path}"`);
      expect(text).toContain('NotStatement');
      expect(text).toContain(`"${ipSetId}"`);
    });

    it('rate-limits each IP (Stripe exempt), runs the AWS managed rule sets and refuses bodies over 64 KiB', () => {
      const rules = webAclRules(s());
      expect(rules.map((rule) => rule.Name)).toEqual([
        'WebhooksOnlyFromStripe',
        'RatePerIp',
        'AwsAmazonIpReputationList',
        'AwsKnownBadInputsRuleSet',
        'AwsCommonRuleSet',
        'BodyOver64KiB',
      ]);
      const rate = rules.find((rule) => rule.Name === 'RatePerIp')!;
      expect(rate.Action).toMatchObject({ Block: { CustomResponse: { ResponseCode: 429 } } });
      expect(rules.find((rule) => rule.Name === 'BodyOver64KiB')!.Action).toMatchObject({
        Block: { CustomResponse: { ResponseCode: 413, CustomResponseBodyKey: 'REQUEST_TOO_LARGE' } },
      });
      const bodies = all(s())[s().stack.getLogicalId(s().stack.webAcl)]!.Properties.CustomResponseBodies;
      expect(bodies.REQUEST_TOO_LARGE).toEqual({
        ContentType: 'APPLICATION_JSON',
        Content: gatewayResponseBody('REQUEST_TOO_LARGE'),
      });
      expect(rate.Statement.RateBasedStatement).toMatchObject({
        Limit: config().wafRateLimitPerIp,
        AggregateKeyType: 'IP',
        EvaluationWindowSec: 300,
      });
      const common = rules.find((rule) => rule.Name === 'AwsCommonRuleSet')!;
      expect(common.Statement.ManagedRuleGroupStatement).toMatchObject({
        VendorName: 'AWS',
        Name: 'AWSManagedRulesCommonRuleSet',
        RuleActionOverrides: [{ Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } }],
        ScopeDownStatement: { NotStatement: expect.anything() },
      });
      expect(REQUEST_BODY_LIMIT_BYTES).toBe(MAX_BODY_BYTES);
      expect(JSON.stringify(rules.find((rule) => rule.Name === 'BodyOver64KiB')!.Statement)).toContain(
        `"Size":${REQUEST_BODY_LIMIT_BYTES}`,
      );
    });

    it('throttles public and webhook methods tighter than the stage default', () => {
      const stageProps = all(s())[logicalId(s().stack.api.deploymentStage)]!.Properties;
      const settings = stageProps.MethodSettings as Record<string, unknown>[];
      expect(settings).toContainEqual(
        expect.objectContaining({
          ResourcePath: '/*',
          HttpMethod: '*',
          ThrottlingRateLimit: config().apiThrottleRateLimit,
          ThrottlingBurstLimit: config().apiThrottleBurstLimit,
        }),
      );
      for (const route of ROUTES) {
        const setting = settings.find(
          (m) => m.HttpMethod === route.method && m.ResourcePath === `/${route.path.replaceAll('/', '~1')}`,
        );
        if (route.auth === 'public' || route.auth === 'webhook') {
          const [rate, burst] =
            route.auth === 'public'
              ? [config().publicThrottleRateLimit, config().publicThrottleBurstLimit]
              : [config().webhookThrottleRateLimit, config().webhookThrottleBurstLimit];
          expect(setting, route.name).toMatchObject({
            ThrottlingRateLimit: rate,
            ThrottlingBurstLimit: burst,
            // the method's settings replace the stage-wide ones: logging and metrics stay on
            LoggingLevel: 'ERROR',
            MetricsEnabled: true,
            DataTraceEnabled: false,
          });
          expect(rate).toBeLessThan(config().apiThrottleRateLimit);
        } else {
          expect(setting, route.name).toBeUndefined();
        }
      }
    });

    it('reserves concurrency for the webhooks and caps the public routes', () => {
      for (const route of ROUTES) {
        const reserved = fnProps(s(), route.name).ReservedConcurrentExecutions;
        const expected = { webhook: config().webhookReservedConcurrency, public: config().publicReservedConcurrency }[
          route.auth as 'webhook' | 'public'
        ];
        expect(reserved, route.name).toBe(expected);
      }
    });
  });

  describe('5. least privilege to the action', () => {
    it('grants each function exactly the DynamoDB actions of its access level, nothing wildcarded', () => {
      expectGrantsMatchAccess(s(), [...ROUTES, ...deployedJobs(s().config)]);
      expectNoWildcardActions(s());
    });

    it('grants no Scan, stream read or BatchWriteItem to anyone, and DeleteItem only where declared', () => {
      // The outbox publisher reads the table's stream through its event source mapping; nothing else reads it.
      const granted = allStatements(s().template)
        .filter(({ statement }) => !String(JSON.stringify(statement.Resource)).includes('StreamArn'))
        .flatMap(({ statement }) => [statement.Action].flat());
      for (const action of ['Scan', 'GetRecords', 'GetShardIterator', 'DescribeStream', 'BatchWriteItem']) {
        expect(granted, action).not.toContain(`dynamodb:${action}`);
      }
      expect(TABLE_ACTIONS.readwrite).not.toContain('dynamodb:DeleteItem');
      expect(INDEX_ACTIONS).toEqual(['dynamodb:Query']);
      const deleters = [...ROUTES, ...JOBS].filter((entry) => entry.access.table === 'readwrite-delete');
      // Deletes: a member, a fee policy override, a webhook endpoint, and an email claim released after a failed send.
      expect(deleters.map((entry) => entry.name).sort()).toEqual([
        'delete-webhook-endpoint',
        'remove-partner-member',
        'send-partner-emails',
        'set-fee-policy',
      ]);
      for (const route of ROUTES.filter((r) => r.auth === 'public' || r.auth === 'webhook')) {
        expect(route.access.table, route.name).not.toBe('readwrite-delete');
      }
    });
  });

  describe('6. one restricted Stripe key per capability', () => {
    it('creates each key as its own empty secret: no value from the template, none ever generated', () => {
      for (const key of STRIPE_KEYS) {
        const secret = all(s())[logicalId(s().stack.stripeKeys[key])]!;
        expect(secret.Properties.Name).toBe(`connect-payouts/${stage}/${STRIPE_KEY_SPECS[key].slug}`);
        expect(secret.Properties).not.toHaveProperty('SecretString');
        expect(secret.Properties).not.toHaveProperty('GenerateSecretString');
      }
      for (const name of ['platformWebhookSecret', 'connectWebhookSecret'] as const) {
        expect(all(s())[logicalId(s().stack.secrets[name])]!.Properties).not.toHaveProperty('GenerateSecretString');
      }
      const secrets = resources(s().template, 'AWS::SecretsManager::Secret');
      const generated = Object.values(secrets).filter((secret) => secret.Properties.GenerateSecretString);
      expect(generated.map((secret) => secret.Properties.Name)).toEqual([`connect-payouts/${stage}/state-signing-key`]);
    });

    it('passes each function the name of its capability’s key, and only that one is readable', () => {
      for (const entry of [...ROUTES, ...deployedJobs(s().config)]) {
        const env = fnProps(s(), entry.name).Environment.Variables;
        if (entry.access.stripe) {
          expect(env.STRIPE_API_KEY_SECRET_NAME, entry.name).toBe(
            `connect-payouts/${stage}/${STRIPE_KEY_SPECS[entry.access.stripe].slug}`,
          );
        } else {
          expect(env, entry.name).not.toHaveProperty('STRIPE_API_KEY_SECRET_NAME');
        }
      }
      // Only the worker sends payouts, and only the signed platform webhook moves a payment's money (seller transfers,
      // reversals); public routes get at most onboarding links or read-only.
      const users = (key: string) => [...ROUTES, ...JOBS].filter((e) => e.access.stripe === key).map((e) => e.name);
      expect(users('transfers')).toEqual(['send-payout']);
      expect(users('settlement')).toEqual(['platform-webhook', 'stripe-events']);
      for (const route of ROUTES.filter((r) => r.auth === 'public')) {
        expect(['onboarding', 'readonly', undefined], route.name).toContain(route.access.stripe);
      }
      expect(users('readonly')).toEqual(expect.arrayContaining(['connect-webhook']));
    });
  });

  describe('7. the rest', () => {
    it('keeps queued work 14 days', () => {
      for (const queue of [
        s().stack.payoutQueue,
        s().stack.payoutDeadLetterQueue,
        s().stack.plannerFailureQueue,
        s().stack.reconciliationQueue,
        s().stack.reconciliationDeadLetterQueue,
      ]) {
        expect(all(s())[logicalId(queue)]!.Properties.MessageRetentionPeriod).toBe(QUEUE_RETENTION_DAYS * 86_400);
      }
    });

    it('logs the caller’s sub, user agent, error type and message, and integration latency and status', () => {
      const format = String(all(s())[logicalId(s().stack.api.deploymentStage)]!.Properties.AccessLogSetting.Format);
      for (const variable of [
        '$context.authorizer.claims.sub',
        '$context.identity.userAgent',
        '$context.error.responseType',
        '$context.error.message',
        '$context.integrationLatency',
        '$context.integrationStatus',
        '$context.identity.sourceIp',
        '$context.status',
      ]) {
        expect(format).toContain(variable);
      }
      expect(() => JSON.parse(format)).not.toThrow();
    });

    it('bounds a removed admin’s access: short ID tokens and a short authorizer cache', () => {
      expect(ID_TOKEN_VALIDITY.toMinutes() + AUTHORIZER_CACHE_TTL.toMinutes()).toBeLessThanOrEqual(16);
      s().template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
        IdTokenValidity: ID_TOKEN_VALIDITY.toMinutes(),
        AccessTokenValidity: ID_TOKEN_VALIDITY.toMinutes(),
        TokenValidityUnits: Match.objectLike({ IdToken: 'minutes', AccessToken: 'minutes' }),
      });
      s().template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
        AuthorizerResultTtlInSeconds: AUTHORIZER_CACHE_TTL.toSeconds(),
      });
    });

    it('gives API Gateway’s execution logs a group with a retention, created before the stage', () => {
      const groups = Object.entries(resources(s().template, 'AWS::Logs::LogGroup')).filter(([, group]) =>
        JSON.stringify(group.Properties.LogGroupName ?? '').includes('API-Gateway-Execution-Logs_'),
      );
      expect(groups).toHaveLength(1);
      const [groupId, group] = groups[0]!;
      expect(JSON.stringify(group.Properties.LogGroupName)).toContain(`/${stage}`);
      expect(group.Properties.RetentionInDays).toBeGreaterThan(0);
      const stageResource = s().template.toJSON().Resources[logicalId(s().stack.api.deploymentStage)];
      expect(stageResource.DependsOn).toContain(groupId);
    });

    it('sends the planner’s failed events to a queue that alarms, both from EventBridge and after Lambda’s retries', () => {
      const queueArn = { 'Fn::GetAtt': [logicalId(s().stack.plannerFailureQueue), 'Arn'] };
      s().template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: fnLogicalId(s(), 'plan-monthly-payouts') },
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: queueArn } },
      });
      s().template.hasResourceProperties('AWS::Events::Rule', {
        Targets: [Match.objectLike({ DeadLetterConfig: { Arn: queueArn } })],
      });
      expect(alarmProps(s(), 'PlannerFailureAlarm')).toMatchObject({
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [
          { Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(s().stack.plannerFailureQueue), 'QueueName'] } },
        ],
      });
    });

    it('traces and logs JSON at the stage’s level in every function and traces the API', () => {
      for (const name of s().stack.functions.keys()) {
        const props = fnProps(s(), name);
        expect(props.TracingConfig, name).toEqual({ Mode: 'Active' });
        expect(props.LoggingConfig, name).toMatchObject({
          LogFormat: 'JSON',
          ApplicationLogLevel: config().logLevel,
          SystemLogLevel: 'WARN',
        });
        expect(props.Environment.Variables.POWERTOOLS_LOG_LEVEL).toBe(config().logLevel);
      }
      s().template.hasResourceProperties('AWS::ApiGateway::Stage', { TracingEnabled: true });
    });

    it('puts the security headers on API Gateway’s own error responses', () => {
      const responses = Object.values(resources(s().template, 'AWS::ApiGateway::GatewayResponse'));
      expect(responses.length).toBeGreaterThan(0);
      for (const response of responses) {
        for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
          const parameters = response.Properties.ResponseParameters as Record<string, string>;
          expect(parameters[`gatewayresponse.header.${name}`]).toBe(`'${value}'`);
        }
      }
      const source = readFileSync(path.join(REPO_ROOT, 'functions/middleware/http-basics.ts'), 'utf8');
      expect(source).toContain("'x-content-type-options': 'nosniff'");
    });

    it(`${stage === 'prod' ? 'turns on' : 'leaves off'} termination protection`, () => {
      expect(s().stack.terminationProtection).toBe(stage === 'prod');
      const manifest = s().assembly.getStackArtifact(s().stack.artifactId);
      expect(manifest.terminationProtection ?? false).toBe(stage === 'prod');
    });

    it('keeps the default execute-api endpoint when no custom domain is configured', () => {
      expect(all(s())[logicalId(s().stack.api)]!.Properties.DisableExecuteApiEndpoint).toBe(false);
      s().template.resourceCountIs('AWS::ApiGateway::DomainName', 0);
    });
  });

  it('is cdk-nag clean, and CloudFormation’s own template checks find nothing', () => {
    expect(s().nag).toEqual([]);
    expect(s().cfnValidation).toEqual([]);
  });
});

describe('options of a production deployment', () => {
  let s: Synthesized;
  const topic = 'arn:aws:sns:eu-west-1:123456789012:on-call';
  const certificate = 'arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666';
  beforeAll(() => {
    s = synth(
      {
        stage: 'prod',
        appUrl: 'https://app.example.com',
        alarmTopicArn: topic,
        domainName: 'api.example.com',
        domainCertificateArn: certificate,
        sesFromEmail: 'no-reply@example.com',
        sesRegion: 'eu-west-1',
        stripeWebhookIps: '203.0.113.7, 198.51.100.0/24',
        reservedConcurrency: 'false',
      },
      { bundle: false },
    );
  });

  it('sends alarms to an existing topic without creating one', () => {
    s.template.resourceCountIs('AWS::SNS::Topic', 0);
    for (const alarm of s.stack.alarms.values()) {
      expect(all(s)[logicalId(alarm)]!.Properties.AlarmActions).toEqual([topic]);
    }
  });

  it('serves a custom domain with TLS 1.2 and turns the default endpoint off', () => {
    s.template.hasResourceProperties('AWS::ApiGateway::DomainName', {
      DomainName: 'api.example.com',
      SecurityPolicy: 'TLS_1_2',
      RegionalCertificateArn: certificate,
      EndpointConfiguration: { Types: ['REGIONAL'] },
    });
    s.template.resourceCountIs('AWS::ApiGateway::BasePathMapping', 1);
    expect(all(s)[logicalId(s.stack.api)]!.Properties.DisableExecuteApiEndpoint).toBe(true);
    expect(s.template.toJSON().Outputs.ApiUrl.Value).toBe('https://api.example.com');
  });

  it('sends Cognito mail through SES', () => {
    s.template.hasResourceProperties('AWS::Cognito::UserPool', {
      EmailConfiguration: Match.objectLike({
        EmailSendingAccount: 'DEVELOPER',
        From: Match.stringLikeRegexp('no-reply@example.com'),
        SourceArn: Match.anyValue(),
      }),
    });
  });

  it('takes the Stripe webhook addresses from the stage key', () => {
    s.template.hasResourceProperties('AWS::WAFv2::IPSet', { Addresses: ['203.0.113.7/32', '198.51.100.0/24'] });
  });

  it('reserves no concurrency when the account cannot spare it', () => {
    for (const name of s.stack.functions.keys()) {
      expect(all(s)[fnLogicalId(s, name)]!.Properties.ReservedConcurrentExecutions, name).toBeUndefined();
    }
  });

  it('is cdk-nag clean', () => {
    expect(s.nag).toEqual([]);
    expect(s.cfnValidation).toEqual([]);
  });
});

describe('cdk synth of prod', () => {
  it('refuses without an alarm destination and an app URL, naming both', () => {
    let output = '';
    try {
      execFileSync('npx', ['cdk', 'synth', '-q', '-c', 'stage=prod'], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        stdio: 'pipe',
      });
    } catch (error) {
      const failed = error as { status: number; stdout: string; stderr: string };
      expect(failed.status).not.toBe(0);
      output = `${failed.stdout}${failed.stderr}`;
    }
    expect(output).toMatch(/alarmEmail: prod needs an alarm destination/);
    expect(output).toMatch(/appUrl: prod needs the platform's web app/);
  });
});
