import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { beforeAll, describe, expect, it } from 'vitest';
import { TABLE_SCHEMA } from '#adapters/dynamodb/table-schema';
import { ESM_REQUIRE_BANNER } from '#infra/bundling';
import { ApiFunction, REPO_ROOT } from '#infra/constructs/api-function';
import { GATEWAY_RESPONSES, type GatewayResponseKind, gatewayResponseBody } from '#infra/gateway-responses';
import { FUNCTION_TIMEOUT_SECONDS, PAYOUT_QUEUE } from '#infra/limits';
import { deployedJobs } from '#infra/payouts-stack';
import { JOBS, ROUTES } from '#routes';
import {
  expectAuthorizerOnProtectedRoutesOnly,
  expectGrantsMatchAccess,
  expectMethodsIntegrateOwnFunction,
  expectNoWildcardActions,
  expectOneFunctionPerEntry,
  fnLogicalId as fnId,
  logicalId,
} from './route-assertions.ts';
import { resources, type Synthesized, synth } from './synth.ts';

// Synthesized once for the whole file, without bundling: every function's bundle is built and loaded by
// tests/infra/bundles.test.ts with the options CDK gets (lib/bundling.ts); CDK's own bundling is tried on one
// function below.
let s: Synthesized;
beforeAll(() => {
  s = synth(
    {
      stage: 'dev',
      appUrl: 'https://app.example.com/dashboard',
      payoutScheduleCron: '30 7 2 * ? *',
      alarmEmail: 'ops@example.com',
      payoutWorkerMaxConcurrency: '3',
      holdingPeriodDays: '10',
      payoutMinimums: 'usd:1000,eur:900',
      payoutRequireApproval: 'true',
      stripeRateLimits: '{"global":200,"endpoints":{"POST /v1/transfers":100}}',
    },
    { bundle: false },
  );
});

const fnLogicalId = (name: string) => fnId(s, name);

describe('functions', () => {
  it('has exactly one Lambda per route and job, and nothing else runs code', () => {
    expectOneFunctionPerEntry(s, ROUTES, deployedJobs(s.config, JOBS));
  });

  it('runs every function on Node 24, arm64, with its own log group', () => {
    for (const [id, fn] of Object.entries(resources(s.template, 'AWS::Lambda::Function'))) {
      expect(fn.Properties, id).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
      });
    }
    for (const group of Object.values(resources(s.template, 'AWS::Logs::LogGroup'))) {
      expect(group.Properties.RetentionInDays).toBeGreaterThan(0);
    }
  });

  it("CDK's own bundling (NodejsFunction with lib/bundling.ts's options) gives a loadable ESM bundle", () => {
    // One function through the whole CDK path (esbuild run by NodejsFunction, staged as an asset outside the repo).
    const app = new App({ outdir: mkdtempSync(path.join(tmpdir(), 'connect-payouts-cdk-one-')) });
    const stack = new Stack(app, 'OneFunction');
    const health = ROUTES.find((route) => route.name === 'health');
    const one = new ApiFunction(stack, 'HealthFn', {
      name: 'health',
      entry: health?.handler ?? '',
      environment: {},
      timeout: Duration.seconds(3),
      logRetention: RetentionDays.ONE_WEEK,
      removalPolicy: RemovalPolicy.DESTROY,
      tracing: false,
      logLevel: 'INFO',
    });
    const assembly = app.synth();
    const template = assembly.getStackArtifact('OneFunction').template as {
      Resources: Record<string, { Properties: { Code?: { S3Key?: string } } }>;
    };
    const hash = String(
      template.Resources[stack.getLogicalId(one.fn.node.defaultChild as CfnFunction)]?.Properties.Code?.S3Key,
    ).replace(/\.zip$/, '');
    const dir = path.join(assembly.directory, `asset.${hash}`);
    expect(dir.startsWith(REPO_ROOT)).toBe(false);
    const bundle = readFileSync(path.join(dir, 'index.mjs'), 'utf8');
    expect(bundle.startsWith(ESM_REQUIRE_BANNER)).toBe(true);
    expect(existsSync(path.join(dir, 'index.mjs.map'))).toBe(true);
    const output = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(`${dir}/index.mjs`)}); console.log(typeof m.handler);`,
      ],
      { cwd: tmpdir(), env: { PATH: process.env.PATH, STAGE: 'dev', AWS_REGION: 'us-east-1' }, encoding: 'utf8' },
    );
    expect(output.trim().split('\n').at(-1)).toBe('function');
  });

  it('passes the configuration of functions/config.ts and never a secret value', () => {
    const secrets = resources(s.template, 'AWS::SecretsManager::Secret');
    const secretNames = new Set(Object.values(secrets).map((secret) => secret.Properties.Name));
    for (const [id, fn] of Object.entries(resources(s.template, 'AWS::Lambda::Function'))) {
      const env = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(env, id).toMatchObject({
        STAGE: 'dev',
        TABLE_NAME: { Ref: expect.any(String) },
        USER_POOL_ID: { Ref: expect.any(String) },
        PAYOUT_QUEUE_URL: { Ref: expect.any(String) },
        API_BASE_URL: expect.anything(),
        APP_URL: 'https://app.example.com/dashboard',
        PLATFORM_FEE_BPS: '1000',
        DEFAULT_COUNTRY: 'US',
        DEFAULT_CURRENCY: 'usd',
        ALLOWED_COUNTRIES: 'US',
        SECRETS_PROVIDER: 'secretsmanager',
        POWERTOOLS_SERVICE_NAME: 'connect-payouts',
        POWERTOOLS_METRICS_NAMESPACE: 'ConnectPayouts',
        POWERTOOLS_LOG_LEVEL: 'DEBUG',
      });
      for (const [key, value] of Object.entries(env)) {
        if (key === 'STRIPE_PUBLISHABLE_KEY') {
          // Stripe's publishable key is public by design (Connect.js runs with it in the browser): only a pk_ value.
          expect(value, id).toMatch(/^(pk_(test|live)_[A-Za-z0-9_]+)?$/);
          continue;
        }
        if (key !== 'SECRETS_PROVIDER' && /SECRET|KEY|TOKEN|PASSWORD/.test(key)) {
          expect(key, id).toMatch(/_SECRET_NAME$/);
          expect(secretNames.has(value), `${id} ${key}`).toBe(true);
        }
      }
    }
    for (const secret of Object.values(secrets)) expect(secret.Properties).not.toHaveProperty('SecretString');
    expect(JSON.stringify(s.template.toJSON())).not.toMatch(/sk_(live|test)_[A-Za-z0-9]|whsec_[A-Za-z0-9]/);
  });

  it('gives the payout worker (and planner) the payout run configuration of the stage', () => {
    const all = s.template.toJSON().Resources;
    for (const name of ['send-payout', 'plan-monthly-payouts', 'start-payout-run']) {
      expect(all[fnLogicalId(name)].Properties.Environment.Variables, name).toMatchObject({
        HOLDING_PERIOD_DAYS: '10',
        PAYOUT_MINIMUMS: 'usd:1000,eur:900',
        PAYOUT_DEFAULT_MINIMUM: '100',
        PAYOUT_REQUIRE_APPROVAL: 'true',
        STRIPE_RATE_LIMITS: '{"global":200,"endpoints":{"POST /v1/transfers":100}}',
        PAYOUT_PLANNING_PAGE_SIZE: '100',
        PLATFORM_LAUNCH_MONTH: '2026-01',
        COMMISSION_BPS: '1000',
        OPEN_AMOUNTS: 'false',
        PLATFORM_COUNTRY: 'US',
        PLATFORM_MINIMUM_FEE: '0',
        ALLOWED_REDIRECT_ORIGINS: '',
        ALLOWED_RETURN_TARGETS: '',
        STATUS_REFRESH_INTERVAL_SECONDS: '10',
        ONBOARDING_STATE_TTL_SECONDS: '900',
        ONBOARDING_REFRESH_INTERVAL_SECONDS: '5',
      });
    }
  });

  it('builds API_BASE_URL from the RestApi id and the stage name, without a cycle through the deployment', () => {
    const apiId = logicalId(s.stack.api);
    const env = s.template.toJSON().Resources[fnLogicalId('health')].Properties.Environment.Variables;
    expect(env.API_BASE_URL).toEqual({
      'Fn::Join': [
        '',
        ['https://', { Ref: apiId }, '.execute-api.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/dev'],
      ],
    });
  });
});

describe('least privilege', () => {
  it('has no Allow statement with a wildcard action anywhere (dynamodb:* included)', () => {
    expectNoWildcardActions(s);
  });

  it('grants each function exactly what its access entry declares', () => {
    expectGrantsMatchAccess(s, [...ROUTES, ...deployedJobs(s.config, JOBS)]);
  });
});

describe('data', () => {
  it('builds the table from TABLE_SCHEMA: keys, GSIs (projection ALL), TTL, on-demand, PITR, encryption', () => {
    const table = Object.values(resources(s.template, 'AWS::DynamoDB::Table'));
    expect(table).toHaveLength(1);
    const props = table[0]?.Properties as Record<string, unknown>;
    expect(props.KeySchema).toEqual([
      { AttributeName: TABLE_SCHEMA.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE_SCHEMA.sortKey, KeyType: 'RANGE' },
    ]);
    const gsis = (props.GlobalSecondaryIndexes as Record<string, unknown>[]).map((gsi) => ({
      indexName: gsi.IndexName,
      keys: gsi.KeySchema,
      projection: gsi.Projection,
    }));
    expect(gsis).toEqual(
      TABLE_SCHEMA.globalSecondaryIndexes.map((gsi) => ({
        indexName: gsi.indexName,
        keys: [
          { AttributeName: gsi.partitionKey, KeyType: 'HASH' },
          { AttributeName: gsi.sortKey, KeyType: 'RANGE' },
        ],
        projection: { ProjectionType: 'ALL' },
      })),
    );
    const attributeTypes = new Set(
      (props.AttributeDefinitions as { AttributeType: string }[]).map((a) => a.AttributeType),
    );
    expect(attributeTypes).toEqual(new Set(['S']));
    expect(props).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      TimeToLiveSpecification: { AttributeName: TABLE_SCHEMA.ttlAttribute, Enabled: true },
    });
  });

  it('can be destroyed in dev', () => {
    s.template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
    expect(s.template.toJSON().Resources[logicalId(s.stack.table)].Properties.DeletionProtectionEnabled).not.toBe(true);
  });
});

describe('API', () => {
  it('has one method per route, integrated (Lambda proxy) with that route’s own function', () => {
    expectMethodsIntegrateOwnFunction(s, ROUTES);
  });

  it('puts the Cognito authorizer on every partner/admin route and none on public/webhook routes', () => {
    expectAuthorizerOnProtectedRoutesOnly(s, ROUTES);
  });

  it('validates requests, logs access as JSON, throttles the stage and never logs bodies', () => {
    s.template.resourceCountIs('AWS::ApiGateway::RequestValidator', 1);
    s.template.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
      ValidateRequestBody: true,
      ValidateRequestParameters: true,
    });
    s.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'dev',
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
      MethodSettings: Match.arrayWith([
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          LoggingLevel: 'ERROR',
          DataTraceEnabled: false,
          ThrottlingRateLimit: 10,
          ThrottlingBurstLimit: 20,
        }),
      ]),
    });
  });

  it('answers CORS preflight for the app origin only, and API Gateway’s own errors match lib/gateway-responses.ts', () => {
    const preflight = s.stack.api.methods.filter((m) => m.httpMethod === 'OPTIONS');
    expect(preflight.length).toBeGreaterThan(0);
    // Every preflight method (not just one) answers with the app origin and nothing else.
    const options = Object.values(
      s.template.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: 'OPTIONS' } }),
    );
    expect(options).toHaveLength(preflight.length);
    for (const method of options) {
      const responses = (method.Properties.Integration?.IntegrationResponses ?? []) as Array<{
        ResponseParameters?: Record<string, string>;
      }>;
      expect(responses.length).toBeGreaterThan(0);
      for (const response of responses) {
        expect(response.ResponseParameters?.['method.response.header.Access-Control-Allow-Origin']).toBe(
          "'https://app.example.com'",
        );
      }
    }
    for (const [kind, response] of Object.entries(GATEWAY_RESPONSES)) {
      s.template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: kind,
        StatusCode: String(response.status),
        ResponseTemplates: { 'application/json': gatewayResponseBody(kind as GatewayResponseKind) },
        ResponseParameters: { 'gatewayresponse.header.Access-Control-Allow-Origin': "'https://app.example.com'" },
      });
    }
    s.template.resourceCountIs('AWS::ApiGateway::GatewayResponse', Object.keys(GATEWAY_RESPONSES).length);
  });
});

describe('identity', () => {
  it('signs in with email, enforces a strong password policy, keeps the original email until a new one is verified, has an admin group and an SRP client', () => {
    s.template.hasResourceProperties('AWS::Cognito::UserPool', {
      UsernameAttributes: ['email'],
      Policies: {
        PasswordPolicy: {
          MinimumLength: 12,
          RequireLowercase: true,
          RequireUppercase: true,
          RequireNumbers: true,
          RequireSymbols: true,
        },
      },
    });
    s.template.hasResourceProperties('AWS::Cognito::UserPoolGroup', { GroupName: 'admin' });
    s.template.hasResourceProperties('AWS::Cognito::UserPool', {
      AutoVerifiedAttributes: ['email'],
      UserAttributeUpdateSettings: { AttributesRequireVerificationBeforeUpdate: ['email'] },
    });
    s.template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      ExplicitAuthFlows: Match.arrayWith(['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']),
    });
    const client = Object.values(resources(s.template, 'AWS::Cognito::UserPoolClient'))[0];
    expect(client?.Properties.ExplicitAuthFlows).not.toContain('ALLOW_USER_PASSWORD_AUTH');
  });
});

describe('jobs, queues and alarms', () => {
  it('runs the planner on the configured cron', () => {
    s.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(30 7 2 * ? *)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [fnLogicalId('plan-monthly-payouts'), 'Arn'] } })],
    });
  });

  it('has an encrypted, TLS-only payout queue with a DLQ after 5 receives and a visibility timeout >= 6x the worker', () => {
    const queueId = logicalId(s.stack.payoutQueue);
    const dlqId = logicalId(s.stack.payoutDeadLetterQueue);
    const queues = s.template.toJSON().Resources;
    const worker = queues[fnLogicalId('send-payout')].Properties;
    expect(queues[queueId].Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      RedrivePolicy: { maxReceiveCount: 5, deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] } },
    });
    expect(queues[queueId].Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * worker.Timeout);
    expect(queues[dlqId].Properties).toMatchObject({ SqsManagedSseEnabled: true });
    for (const id of [queueId, dlqId]) {
      s.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
    s.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: fnLogicalId('send-payout') },
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 3 },
    });
  });

  it('uses the limits of lib/limits.ts, which the local stack shares', () => {
    const all = s.template.toJSON().Resources;
    for (const route of ROUTES)
      expect(all[fnLogicalId(route.name)].Properties.Timeout).toBe(FUNCTION_TIMEOUT_SECONDS.api);
    for (const job of deployedJobs(s.config, JOBS))
      expect(all[fnLogicalId(job.name)].Properties.Timeout).toBe(FUNCTION_TIMEOUT_SECONDS[job.trigger]);
    expect(all[logicalId(s.stack.payoutQueue)].Properties).toMatchObject({
      VisibilityTimeout: PAYOUT_QUEUE.visibilityTimeoutSeconds,
      RedrivePolicy: { maxReceiveCount: PAYOUT_QUEUE.maxReceiveCount },
    });
  });

  it('alarms on DLQ depth and on every function’s errors and throttles, to a topic with the configured email', () => {
    const topicRef = { Ref: logicalId(s.stack.alarmTopic) };
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        { Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(s.stack.payoutDeadLetterQueue), 'QueueName'] } },
      ],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [topicRef],
    });
    for (const name of s.stack.functions.keys()) {
      for (const metric of ['Errors', 'Throttles']) {
        s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          MetricName: metric,
          Namespace: 'AWS/Lambda',
          Dimensions: [{ Name: 'FunctionName', Value: { Ref: fnLogicalId(name) } }],
          AlarmActions: [topicRef],
          OKActions: [topicRef],
        });
      }
    }
    s.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
  });
});

describe('outputs', () => {
  it('exports the API URL, user pool, client, table and the secret names to set', () => {
    const outputs = Object.keys(s.template.toJSON().Outputs);
    expect(outputs).toEqual(
      expect.arrayContaining([
        'ApiUrl',
        'UserPoolId',
        'UserPoolClientId',
        'TableName',
        'StripeKeyOnboardingSecretName',
        'StripeKeyPaymentsSecretName',
        'StripeKeyTransfersSecretName',
        'StripeKeyReadonlySecretName',
        'StripePlatformWebhookSecretSecretName',
        'StripeConnectWebhookSecretSecretName',
      ]),
    );
    for (const route of ROUTES.filter((r) => r.auth === 'webhook')) {
      expect(outputs.some((o) => o.startsWith('WebhookUrl'))).toBe(true);
      expect(JSON.stringify(s.template.toJSON().Outputs)).toContain(route.path);
    }
  });
});

describe('cdk-nag (AwsSolutions)', () => {
  it('reports no unacknowledged errors', () => {
    expect(s.nag.filter((f) => f.severity === 'error' || f.severity === 'fatal')).toEqual([]);
  });

  it('reports no unacknowledged warnings either', () => {
    expect(s.nag).toEqual([]);
  });
});
