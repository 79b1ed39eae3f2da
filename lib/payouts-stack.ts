import {
  CfnOutput,
  Duration,
  Lazy,
  Names,
  NestedStack,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  AuthorizationType,
  CognitoUserPoolsAuthorizer,
  EndpointType,
  type IResource,
  LambdaIntegration,
  LogGroupLogDestination,
  type Method,
  type MethodDeploymentOptions,
  MethodLoggingLevel,
  type RequestValidator,
  ResponseType,
  RestApi,
  SecurityPolicy,
} from 'aws-cdk-lib/aws-apigateway';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  Alarm,
  type AlarmProps,
  ComparisonOperator,
  type Dashboard,
  MathExpression,
  Metric,
  Stats,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import {
  AccountRecovery,
  CfnManagedLoginBranding,
  FeaturePlan,
  ManagedLoginVersion,
  Mfa,
  OAuthScope,
  StandardThreatProtectionMode,
  UserPool,
  type UserPoolClient,
  UserPoolClientIdentityProvider,
  type UserPoolDomain,
  UserPoolEmail,
} from 'aws-cdk-lib/aws-cognito';
import {
  AttributeType,
  BillingMode,
  type CfnTable,
  Operation,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { EventBus, EventField, Match, Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction, SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, FilterRule, RecursiveLoop, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnSchedule } from 'aws-cdk-lib/aws-scheduler';
import { type CfnSecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { CfnIPSet, CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import type { Construct, Construct as ConstructScope } from 'constructs';
import { TABLE_SCHEMA } from '#adapters/dynamodb/table-schema';
import { CONNECT_EVENT_TYPES } from '#adapters/stripe/connect-event';
import { PLATFORM_EVENT_TYPES } from '#adapters/stripe/platform-event';
import { EVENT_SOURCE } from '#core/domain-events';
import { EMAIL_EVENT_TYPES } from '#core/partner-emails';
import { MAX_DELIVERY_ATTEMPTS } from '#core/webhook-endpoints';
import {
  type Access,
  EARNINGS_SWEEP_MINUTES,
  JOBS,
  type JobDefinition,
  PAYOUT_BATCH_SIZE,
  ROUTES,
  type RouteDefinition,
  type SecretName,
  STRIPE_EVENTS_BATCH_SIZE,
  STRIPE_KEYS,
  type StripeKey,
} from '#routes';
import { ApiFunction, type ApiFunctionProps } from './constructs/api-function.ts';
import { operationsDashboard } from './constructs/operations-dashboard.ts';
import { STRIPE_CONNECT_JS_URL, WebHosting } from './constructs/web-hosting.ts';
import { GATEWAY_RESPONSES, type GatewayResponseKind, gatewayResponseBody } from './gateway-responses.ts';
import { INDEX_ACTIONS, STRIPE_KEY_SPECS, TABLE_ACTIONS } from './grants.ts';
import {
  ALARM_THRESHOLDS,
  FUNCTION_TIMEOUT_SECONDS,
  PAYOUT_QUEUE,
  QUEUE_RETENTION_DAYS,
  RECONCILIATION_QUEUE,
  REQUEST_BODY_LIMIT_BYTES,
  STRIPE_EVENTS_QUEUE,
} from './limits.ts';
import type { StageConfig } from './stage-config.ts';

/** Per-function settings beyond the route/job table's (reserved concurrency, recursion, failure destination). */
type ExtraFunctionProps = Pick<
  ApiFunctionProps,
  'reservedConcurrentExecutions' | 'recursiveLoop' | 'onFailure' | 'retryAttempts'
>;

export interface PayoutsStackProps extends StackProps {
  readonly config: StageConfig;
  /** Defaults to the tables in functions/routes.ts; tests pass their own to prove nothing is hard-coded. */
  readonly routes?: readonly RouteDefinition[];
  readonly jobs?: readonly JobDefinition[];
}

const API_TIMEOUT = Duration.seconds(FUNCTION_TIMEOUT_SECONDS.api);
/** When the daily reconciliation runs (UTC): late enough that Stripe's records of the previous day are complete. */
const RECONCILIATION_HOUR_UTC = 3;
const TIMEOUTS: Record<JobDefinition['trigger'], Duration> = {
  schedule: Duration.seconds(FUNCTION_TIMEOUT_SECONDS.schedule),
  'reconciliation-queue': Duration.seconds(FUNCTION_TIMEOUT_SECONDS['reconciliation-queue']),
  'sweep-schedule': Duration.seconds(FUNCTION_TIMEOUT_SECONDS['sweep-schedule']),
  'payout-queue': Duration.seconds(FUNCTION_TIMEOUT_SECONDS['payout-queue']),
  'table-stream': Duration.seconds(FUNCTION_TIMEOUT_SECONDS['table-stream']),
  'event-delivery-queue': Duration.seconds(FUNCTION_TIMEOUT_SECONDS['event-delivery-queue']),
  'email-queue': Duration.seconds(FUNCTION_TIMEOUT_SECONDS['email-queue']),
  'stripe-events-queue': Duration.seconds(FUNCTION_TIMEOUT_SECONDS['stripe-events-queue']),
};
const PAYOUT_QUEUE_VISIBILITY = Duration.seconds(PAYOUT_QUEUE.visibilityTimeoutSeconds);
const PAYOUT_MAX_RECEIVE_COUNT = PAYOUT_QUEUE.maxReceiveCount;

const SERVICE_NAME = 'connect-payouts';
const METRICS_NAMESPACE = 'ConnectPayouts';

/**
 * How long a removed admin keeps access: the ID token's validity plus the authorizer's cache. The app refreshes
 * tokens silently with its refresh token; a user removed from the admin group gets no new admin token.
 */
export const ID_TOKEN_VALIDITY = Duration.minutes(15);
export const AUTHORIZER_CACHE_TTL = Duration.minutes(1);

/** The headers every answer carries, API Gateway's own refusals included (httpHandler sets the same). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
};

interface SecretSpec {
  readonly id: string;
  readonly slug: string;
  readonly envVar: string;
  readonly description: string;
  /**
   * true: Secrets Manager generates the value once (our own HMAC key). false: created empty -- no value, no version --
   * until an operator stores the value Stripe issued; no later template change can generate or replace it.
   */
  readonly generated: boolean;
}

const SECRET_SPECS: Record<SecretName, SecretSpec> = {
  platformWebhookSecret: {
    id: 'PlatformWebhookSecret',
    slug: 'stripe-platform-webhook-secret',
    envVar: 'PLATFORM_WEBHOOK_SECRET_NAME',
    description: 'Signing secret (whsec_...) of the Stripe webhook endpoint for platform (account) events.',
    generated: false,
  },
  connectWebhookSecret: {
    id: 'ConnectWebhookSecret',
    slug: 'stripe-connect-webhook-secret',
    envVar: 'CONNECT_WEBHOOK_SECRET_NAME',
    description: 'Signing secret (whsec_...) of the Stripe webhook endpoint for Connect (connected account) events.',
    generated: false,
  },
  stateSigningKey: {
    id: 'StateSigningKeySecret',
    slug: 'state-signing-key',
    envVar: 'STATE_SIGNING_SECRET_NAME',
    description: 'HMAC key that signs onboarding refresh/return state. Generated by CloudFormation.',
    generated: true,
  },
};

/** Functions per nested stack (about 7 resources each, well under CloudFormation's 500 per stack). */
const FUNCTIONS_PER_STACK = 30;

/** The variable that names a function's Stripe key secret (functions/config.ts). */
const STRIPE_KEY_ENV_VAR = 'STRIPE_API_KEY_SECRET_NAME';

/**
 * The deployable system, generated from the route and job tables of functions/routes.ts and the table schema of
 * functions/adapters/dynamodb/table-schema.ts: adding a route there adds its Lambda, its API method and its grants
 * here, with no change to this file.
 */
export class PayoutsStack extends Stack {
  readonly config: StageConfig;
  readonly table: Table;
  readonly userPool: UserPool;
  readonly userPoolClient: UserPoolClient;
  /** With `webApp`: the app's bucket and distribution, and the managed login domain it signs in through. */
  readonly web: WebHosting | undefined;
  readonly userPoolDomain: UserPoolDomain | undefined;
  /** Where partners return after onboarding and the API's CORS origin: `appUrl`, else the hosted app's URL. */
  readonly appUrl: string;
  readonly api: RestApi;
  readonly apiBaseUrl: string;
  readonly payoutQueue: Queue;
  readonly payoutDeadLetterQueue: Queue;
  readonly plannerFailureQueue: Queue;
  /** The daily reconciliation's steps (the schedule puts each day's start there), and its dead-letter queue. */
  readonly reconciliationQueue: Queue;
  readonly reconciliationDeadLetterQueue: Queue;
  /** Domain events: the bus (with its archive), the delivery and email queues its rules feed, and their DLQs. */
  readonly eventBus: EventBus;
  readonly eventDeliveryQueue: Queue;
  readonly emailQueue: Queue;
  readonly eventPublishFailureQueue: Queue;
  readonly alarmTopic: ITopic;
  /** With `stripeEvents: eventbridge`: the queue the Stripe event rule feeds, and its dead-letter queue. */
  stripeEventsQueue: Queue | undefined;
  stripeEventsDeadLetterQueue: Queue | undefined;
  readonly secrets: Record<SecretName, Secret>;
  /** One restricted Stripe key per capability (functions/routes.ts `access.stripe`). */
  readonly stripeKeys: Record<StripeKey, Secret>;
  readonly webAcl: CfnWebACL;
  readonly stripeWebhookIpSet: CfnIPSet;
  /** Every alarm of the stack, by construct id. */
  readonly alarms = new Map<string, Alarm>();
  /** The operators' CloudWatch dashboard (lib/constructs/operations-dashboard.ts). */
  readonly dashboard: Dashboard;
  /** Every function by route/job name. */
  readonly functions = new Map<string, ApiFunction>();

  private readonly removalPolicy: RemovalPolicy;
  private readonly functionStacks: NestedStack[] = [];
  private readonly logRetention: RetentionDays;
  private authorizer: CognitoUserPoolsAuthorizer | undefined;
  private requestValidator: RequestValidator | undefined;

  constructor(scope: Construct, id: string, props: PayoutsStackProps) {
    super(scope, id, props);
    const config = props.config;
    this.config = config;
    this.removalPolicy = config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    this.logRetention = config.retainData ? RetentionDays.THREE_MONTHS : RetentionDays.ONE_MONTH;

    this.table = this.createTable();
    this.userPool = this.createUserPool();
    [this.web, this.userPoolDomain] = this.createWebHosting();
    this.appUrl = config.appUrl !== '' ? config.appUrl : (this.web?.appUrl ?? '');
    this.userPoolClient = this.createUserPoolClient();
    this.secrets = this.createSecrets();
    this.stripeKeys = this.createStripeKeys();
    this.alarmTopic = this.createAlarmTopic();
    [this.payoutQueue, this.payoutDeadLetterQueue] = this.createPayoutQueues();
    this.plannerFailureQueue = this.createPlannerFailureQueue();
    [this.reconciliationQueue, this.reconciliationDeadLetterQueue] = this.createReconciliationQueues();
    [this.eventBus, this.eventDeliveryQueue, this.emailQueue, this.eventPublishFailureQueue] =
      this.createEventPipeline();
    const routes = props.routes ?? ROUTES;
    this.api = this.createApi(routes);
    this.apiBaseUrl =
      config.apiBaseUrl?.replace(/\/+$/, '') ??
      (config.domainName ? `https://${config.domainName}` : this.executeApiUrl());
    [this.webAcl, this.stripeWebhookIpSet] = this.createWebAcl(routes);
    this.deployWebApp();

    for (const route of routes) this.addRoute(route);
    for (const job of deployedJobs(config, props.jobs ?? JOBS)) this.addJob(job);

    this.createServiceAlarms(routes);
    this.dashboard = operationsDashboard(this, {
      dashboardName: `${SERVICE_NAME}-${config.stage}-operations`,
      namespace: METRICS_NAMESPACE,
      service: SERVICE_NAME,
      payoutQueue: this.payoutQueue,
      payoutDeadLetterQueue: this.payoutDeadLetterQueue,
      eventDeliveryQueue: this.eventDeliveryQueue,
      emailQueue: this.emailQueue,
      eventPublishFailureQueue: this.eventPublishFailureQueue,
      apiName: this.api.restApiName,
      stage: config.stage,
      // The service's own alarms first, then each function's errors and throttles.
      alarms: [...this.alarms]
        .sort(([a], [b]) => Number(/(Errors|Throttles)Alarm$/.test(a)) - Number(/(Errors|Throttles)Alarm$/.test(b)))
        .map(([, alarm]) => alarm),
    });
    this.createOutputs(routes);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Data

  private createTable(): Table {
    const key = (name: string) => ({ name, type: AttributeType.STRING });
    const table = new Table(this, 'Table', {
      partitionKey: key(TABLE_SCHEMA.partitionKey),
      sortKey: key(TABLE_SCHEMA.sortKey),
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: TABLE_SCHEMA.ttlAttribute,
      // The outbox: new domain-event items reach the publisher through the stream.
      stream: StreamViewType.NEW_IMAGE,
      deletionProtection: this.config.retainData,
      removalPolicy: this.removalPolicy,
    });
    for (const index of TABLE_SCHEMA.globalSecondaryIndexes) {
      table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: key(index.partitionKey),
        sortKey: key(index.sortKey),
        projectionType: ProjectionType.ALL,
      });
    }
    return table;
  }

  private createSecrets(): Record<SecretName, Secret> {
    const entries = (Object.entries(SECRET_SPECS) as [SecretName, SecretSpec][]).map(([name, spec]) => {
      const secret = spec.generated
        ? this.generatedSecret(spec.id, this.secretName(name), spec.description)
        : this.emptySecret(spec.id, this.secretName(name), spec.description);
      return [name, secret] as const;
    });
    return Object.fromEntries(entries) as Record<SecretName, Secret>;
  }

  private createStripeKeys(): Record<StripeKey, Secret> {
    const entries = STRIPE_KEYS.map((key) => {
      const spec = STRIPE_KEY_SPECS[key];
      return [key, this.emptySecret(spec.id, this.stripeKeyName(key), spec.description)] as const;
    });
    return Object.fromEntries(entries) as Record<StripeKey, Secret>;
  }

  /** Our own random key: Secrets Manager generates it once when the secret is created. */
  private generatedSecret(id: string, secretName: string, description: string): Secret {
    const secret = new Secret(this, id, {
      secretName,
      description,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: this.removalPolicy,
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotation would invalidate onboarding links in flight and needs a custom rotation Lambda; the key is rotated manually with put-secret-value (docs/runbooks/secret-rotation.md).',
    });
    return secret;
  }

  /**
   * A value Stripe issues: the secret is created empty (neither SecretString nor GenerateSecretString, so no value
   * ever comes from the template and no template edit can regenerate it) until an operator stores it.
   */
  private emptySecret(id: string, secretName: string, description: string): Secret {
    const howToSet = `aws secretsmanager put-secret-value --secret-id ${secretName} --secret-string <value>`;
    const secret = new Secret(this, id, {
      secretName,
      description: `${description} Empty until set with: ${howToSet}`,
      removalPolicy: this.removalPolicy,
    });
    (secret.node.defaultChild as CfnSecret).addPropertyDeletionOverride('GenerateSecretString');
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Stripe issues and rolls this value in the Stripe Dashboard; Secrets Manager cannot rotate it. Operators roll it in Stripe, then store it with put-secret-value (docs/runbooks/secret-rotation.md).',
    });
    return secret;
  }

  private stripeKeyName(key: StripeKey): string {
    return `${SERVICE_NAME}/${this.config.stage}/${STRIPE_KEY_SPECS[key].slug}`;
  }

  private secretName(name: SecretName): string {
    return `${SERVICE_NAME}/${this.config.stage}/${SECRET_SPECS[name].slug}`;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Identity

  private createUserPool(): UserPool {
    const plus = this.config.cognitoFeaturePlan === 'plus';
    const pool = new UserPool(this, 'UserPool', {
      signInAliases: { email: true },
      signInCaseSensitive: false,
      autoVerify: { email: true },
      // A changed email takes effect only once its new address is verified; until then the pool (and every ID
      // token) keeps the original, verified one — so nobody can claim someone else's address, even for a moment.
      keepOriginal: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      selfSignUpEnabled: this.config.selfSignUp,
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: this.config.mfa === 'required' ? Mfa.REQUIRED : Mfa.OPTIONAL,
      // TOTP only: SMS needs an SNS role and origination setup, and is the weaker factor.
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      // Cognito's default sender allows a few dozen mails a day: production sends through SES (docs/configuration.md).
      ...(this.config.sesFromEmail && this.config.sesRegion
        ? {
            email: UserPoolEmail.withSES({
              fromEmail: this.config.sesFromEmail,
              fromName: 'connect-payouts',
              sesRegion: this.config.sesRegion,
            }),
          }
        : {}),
      featurePlan: plus ? FeaturePlan.PLUS : FeaturePlan.ESSENTIALS,
      ...(plus ? { standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION } : {}),
      deletionProtection: this.config.retainData,
      removalPolicy: this.removalPolicy,
    });
    pool.addGroup('AdminGroup', {
      groupName: 'admin',
      description: 'Platform operators: admin routes require this group in cognito:groups.',
    });
    if (this.config.mfa !== 'required') {
      Validations.of(pool).acknowledge({
        id: 'AwsSolutions-COG2',
        reason: `Stage ${this.config.stage} sets mfa=optional (TOTP available to every user) so test users can sign in without an authenticator; production defaults to mfa=required.`,
      });
    }
    if (!plus) {
      Validations.of(pool).acknowledge({
        id: 'AwsSolutions-COG8',
        reason:
          'The Plus feature plan (threat protection) is billed per monthly active user; it is one context switch away (cognitoFeaturePlan=plus), documented in docs/configuration.md.',
      });
    }
    return pool;
  }

  /** The web app's hosting and, for its sign-in, the user pool's managed login domain. */
  private createWebHosting(): [WebHosting | undefined, UserPoolDomain | undefined] {
    const config = this.config;
    if (!config.webApp) return [undefined, undefined];
    const region = Stack.of(this).region;
    const domain = this.userPool.addDomain('ManagedLogin', {
      cognitoDomain: { domainPrefix: config.authDomainPrefix ?? `${SERVICE_NAME}-${config.stage}-${this.account}` },
      managedLoginVersion: ManagedLoginVersion.NEWER_MANAGED_LOGIN,
    });
    new CfnManagedLoginBranding(this, 'ManagedLoginBranding', {
      userPoolId: this.userPool.userPoolId,
      clientId: Lazy.string({ produce: () => this.userPoolClient.userPoolClientId }),
      useCognitoProvidedValues: true,
    });
    const web = new WebHosting(this, 'Web', {
      removalPolicy: this.removalPolicy,
      // The API: its custom domain, or any execute-api host of the region (naming the API here would be a cycle:
      // the API's CORS origin is the distribution).
      apiOrigin: config.domainName ? `https://${config.domainName}` : `https://*.execute-api.${region}.amazonaws.com`,
      connectSources: [`https://cognito-idp.${region}.amazonaws.com`, domain.baseUrl()],
    });
    new CfnOutput(this, 'WebAppUrl', { value: web.appUrl, description: 'The web app (partner portal and console)' });
    return [web, domain];
  }

  /** Uploads the app and its config.json: the API's URL and the managed login it signs in with. */
  private deployWebApp(): void {
    if (!this.web || !this.userPoolDomain) return;
    this.web.deploy({
      apiUrl: this.apiBaseUrl,
      auth: {
        mode: 'oidc',
        authority: `https://cognito-idp.${Stack.of(this).region}.amazonaws.com/${this.userPool.userPoolId}`,
        clientId: this.userPoolClient.userPoolClientId,
        domain: this.userPoolDomain.baseUrl(),
      },
      // Embedded onboarding needs the publishable key the account-session route hands out.
      ...(this.config.stripePublishableKey ? { connectJsUrl: STRIPE_CONNECT_JS_URL } : {}),
    });
  }

  private createUserPoolClient(): UserPoolClient {
    const appUrl = this.appUrl.replace(/\/?$/, '/');
    const oauth = this.web
      ? {
          // The web app signs in through managed login: authorization code flow, PKCE (a public client).
          oAuth: {
            flows: { authorizationCodeGrant: true },
            scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
            callbackUrls: [`${appUrl}auth/callback`],
            logoutUrls: [appUrl],
          },
          supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
        }
      : // No hosted UI / OAuth flows: the app signs in through the Cognito API.
        { disableOAuth: true };
    return this.userPool.addClient('WebClient', {
      // A browser/mobile client cannot keep a client secret.
      generateSecret: false,
      authFlows: {
        // SRP: the password never leaves the client.
        userSrp: true,
        // ADMIN_USER_PASSWORD_AUTH needs IAM credentials (never exposed to the public): lets operators fetch a
        // token for smoke tests in dev with `aws cognito-idp admin-initiate-auth`. Off in every other stage.
        adminUserPassword: this.config.stage === 'dev',
      },
      ...oauth,
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      // Short-lived tokens bound how long a removed admin keeps access (ID_TOKEN_VALIDITY + AUTHORIZER_CACHE_TTL).
      idTokenValidity: ID_TOKEN_VALIDITY,
      accessTokenValidity: ID_TOKEN_VALIDITY,
      refreshTokenValidity: Duration.days(30),
    });
  }

  // ---------------------------------------------------------------------------------------------------------------
  // API

  private createApi(routes: readonly RouteDefinition[]): RestApi {
    const config = this.config;
    const accessLogs = new LogGroup(this, 'ApiAccessLogs', {
      retention: this.logRetention,
      removalPolicy: this.removalPolicy,
    });
    const corsOrigin = config.appUrl !== '' ? new URL(config.appUrl).origin : this.web?.origin;
    const api = new RestApi(this, 'Api', {
      restApiName: `${SERVICE_NAME}-${config.stage}`,
      description: 'connect-payouts API (routes generated from functions/routes.ts)',
      // With a custom domain (TLS 1.2 minimum) the default execute-api endpoint, which still accepts TLS 1.0, is off.
      disableExecuteApiEndpoint: config.domainName !== undefined,
      endpointTypes: [EndpointType.REGIONAL],
      deployOptions: {
        stageName: config.stage,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: accessLogFormat(),
        loggingLevel: MethodLoggingLevel.ERROR,
        // Request/response bodies carry personal data and webhook payloads: never into execution logs.
        dataTraceEnabled: false,
        metricsEnabled: true,
        tracingEnabled: config.tracing,
        // API Gateway applies these to each method (not to the stage as a whole); public and webhook methods get
        // tighter limits below, so one anonymous client cannot take a webhook's whole allowance.
        throttlingRateLimit: config.apiThrottleRateLimit,
        throttlingBurstLimit: config.apiThrottleBurstLimit,
        methodOptions: this.methodThrottles(routes),
      },
      // Execution logging needs the account-level API Gateway CloudWatch role; keep it when the stack goes, since
      // other APIs in the account rely on the same account setting.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      ...(corsOrigin
        ? {
            defaultCorsPreflightOptions: {
              allowOrigins: [corsOrigin],
              allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
              allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key'],
              maxAge: Duration.minutes(10),
            },
          }
        : {}),
    });

    // API Gateway writes execution logs to a group it names itself and creates without a retention; creating that
    // group first (the stage depends on it) gives it one.
    const executionLogs = new LogGroup(this, 'ApiExecutionLogs', {
      logGroupName: `API-Gateway-Execution-Logs_${api.restApiId}/${config.stage}`,
      retention: this.logRetention,
      removalPolicy: this.removalPolicy,
    });
    api.deploymentStage.node.addDependency(executionLogs);

    if (config.domainName && config.domainCertificateArn) {
      const domain = api.addDomainName('CustomDomain', {
        domainName: config.domainName,
        certificate: Certificate.fromCertificateArn(this, 'DomainCertificate', config.domainCertificateArn),
        endpointType: EndpointType.REGIONAL,
        securityPolicy: SecurityPolicy.TLS_1_2,
      });
      new CfnOutput(this, 'CustomDomainTarget', {
        value: domain.domainNameAliasDomainName,
        description: `Point ${config.domainName} (CNAME or alias) at this regional API Gateway domain`,
      });
    }

    const cloudWatchRole = api.node.tryFindChild('CloudWatchRole');
    if (cloudWatchRole) {
      Validations.of(cloudWatchRole).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          'The account-level role API Gateway uses to write execution logs; AWS documents this managed policy for it and it only allows CloudWatch Logs writes.',
      });
    }

    // API Gateway's own refusals (no route, bad token, throttling, ...) use the project's error shape, with the
    // same status and body as the local API server (one table: lib/gateway-responses.ts), the security headers of
    // every other answer, and the CORS header so the browser can read them.
    const headers = Object.fromEntries(Object.entries(SECURITY_HEADERS).map(([name, value]) => [name, `'${value}'`]));
    for (const [kind, response] of Object.entries(GATEWAY_RESPONSES) as [GatewayResponseKind, { status: number }][]) {
      api.addGatewayResponse(pascal(kind.toLowerCase()), {
        type: ResponseType.of(kind),
        statusCode: String(response.status),
        responseHeaders: {
          ...headers,
          ...(corsOrigin ? { 'Access-Control-Allow-Origin': `'${corsOrigin}'` } : {}),
        },
        templates: { 'application/json': gatewayResponseBody(kind) },
      });
    }
    return api;
  }

  /** Per-method throttles of the public and webhook routes (`/path/METHOD`, as API Gateway's method settings). */
  private methodThrottles(routes: readonly RouteDefinition[]): Record<string, MethodDeploymentOptions> {
    const config = this.config;
    // A method's own settings replace the stage-wide ones for that method: repeat logging and metrics.
    const base: MethodDeploymentOptions = {
      loggingLevel: MethodLoggingLevel.ERROR,
      dataTraceEnabled: false,
      metricsEnabled: true,
    };
    const limits: Partial<Record<RouteDefinition['auth'], MethodDeploymentOptions>> = {
      public: {
        ...base,
        throttlingRateLimit: config.publicThrottleRateLimit,
        throttlingBurstLimit: config.publicThrottleBurstLimit,
      },
      webhook: {
        ...base,
        throttlingRateLimit: config.webhookThrottleRateLimit,
        throttlingBurstLimit: config.webhookThrottleBurstLimit,
      },
    };
    return Object.fromEntries(
      routes.flatMap((route) => {
        const options = limits[route.auth];
        return options ? [[`${route.path}/${route.method}`, options] as const] : [];
      }),
    );
  }

  /**
   * The web ACL of the API stage, in order: Stripe webhook paths only from Stripe's webhook addresses; a per-IP rate
   * limit (Stripe exempt); AWS's IP reputation, known-bad-inputs and common rule sets (webhook paths exempt: they are
   * Stripe-only and signature-verified, and Stripe payloads are not browser input); bodies above the API's 64 KiB
   * limit refused. API Gateway forwards up to 64 KB of body to WAF for inspection (AssociationConfig).
   */
  private createWebAcl(routes: readonly RouteDefinition[]): [CfnWebACL, CfnIPSet] {
    const config = this.config;
    const ipSet = new CfnIPSet(this, 'StripeWebhookIps', {
      scope: 'REGIONAL',
      ipAddressVersion: 'IPV4',
      addresses: config.stripeWebhookIps,
      description: 'Stripe webhook source addresses, stage key stripeWebhookIps, see docs.stripe.com/ips',
    });
    const fromStripe = { ipSetReferenceStatement: { arn: ipSet.attrArn } };
    const webhookPaths = routes.filter((route) => route.auth === 'webhook').map((route) => route.path);
    const pathStatements = webhookPaths.map((path) => ({
      byteMatchStatement: {
        fieldToMatch: { uriPath: {} },
        positionalConstraint: 'CONTAINS',
        searchString: path,
        textTransformations: [{ priority: 0, type: 'NONE' }],
      },
    }));
    const webhookPath =
      pathStatements.length === 0
        ? undefined
        : pathStatements.length === 1
          ? pathStatements[0]!
          : { orStatement: { statements: pathStatements } };
    const notWebhook = webhookPath ? { notStatement: { statement: webhookPath } } : undefined;
    const visibility = (name: string) => ({
      cloudWatchMetricsEnabled: true,
      metricName: `${pascal(SERVICE_NAME)}${pascal(config.stage)}${name}`,
      sampledRequestsEnabled: true,
    });
    const managed = (name: string, priority: number, overrides: string[] = []): CfnWebACL.RuleProperty => ({
      name: `Aws${name}`,
      priority,
      overrideAction: { none: {} },
      statement: {
        managedRuleGroupStatement: {
          vendorName: 'AWS',
          name: `AWSManagedRules${name}`,
          ...(overrides.length > 0
            ? { ruleActionOverrides: overrides.map((rule) => ({ name: rule, actionToUse: { count: {} } })) }
            : {}),
          ...(notWebhook ? { scopeDownStatement: notWebhook } : {}),
        },
      },
      visibilityConfig: visibility(name),
    });
    const rules: CfnWebACL.RuleProperty[] = [
      ...(webhookPath
        ? [
            {
              name: 'WebhooksOnlyFromStripe',
              priority: 0,
              action: blockWith('ACCESS_DENIED'),
              statement: {
                andStatement: { statements: [webhookPath, { notStatement: { statement: fromStripe } }] },
              },
              visibilityConfig: visibility('WebhooksOnlyFromStripe'),
            },
          ]
        : []),
      {
        name: 'RatePerIp',
        priority: 1,
        action: blockWith('THROTTLED'),
        statement: {
          rateBasedStatement: {
            limit: config.wafRateLimitPerIp,
            evaluationWindowSec: 300,
            aggregateKeyType: 'IP',
            scopeDownStatement: { notStatement: { statement: fromStripe } },
          },
        },
        visibilityConfig: visibility('RatePerIp'),
      },
      managed('AmazonIpReputationList', 2),
      managed('KnownBadInputsRuleSet', 3),
      // SizeRestrictions_BODY blocks bodies over 8 KB; the API takes up to 64 KiB, enforced by BodyOver64KiB below.
      managed('CommonRuleSet', 4, ['SizeRestrictions_BODY']),
      {
        name: 'BodyOver64KiB',
        priority: 5,
        action: blockWith('REQUEST_TOO_LARGE'),
        statement: bodyTooLarge(notWebhook),
        visibilityConfig: visibility('BodyOver64KiB'),
      },
    ];
    const webAcl = new CfnWebACL(this, 'WebAcl', {
      name: `${SERVICE_NAME}-${config.stage}`,
      description: 'connect-payouts API stage: Stripe-only webhooks, per-IP rate limit, AWS managed rule sets',
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      associationConfig: { requestBody: { API_GATEWAY: { defaultSizeInspectionLimit: 'KB_64' } } },
      // WAF's refusals answer in the API's error shape too (403 forbidden, 429 rate_limited, 413 payload_too_large).
      customResponseBodies: Object.fromEntries(
        WAF_RESPONSES.map((kind) => [kind, { contentType: 'APPLICATION_JSON', content: gatewayResponseBody(kind) }]),
      ),
      rules,
      visibilityConfig: visibility('WebAcl'),
    });
    new CfnWebACLAssociation(this, 'WebAclAssociation', {
      resourceArn: this.api.deploymentStage.stageArn,
      webAclArn: webAcl.attrArn,
    });
    return [webAcl, ipSet];
  }

  /**
   * The API's own URL without a trailing slash, e.g. https://abc123.execute-api.eu-west-1.amazonaws.com/dev.
   * Built from the RestApi id and the literal stage name, not from `api.url`: that one references the Stage, which
   * depends on the Deployment, which depends on every Method, which depends on the functions that would read this
   * URL -- a cycle. The RestApi itself depends on none of them.
   */
  private executeApiUrl(): string {
    return `https://${this.api.restApiId}.execute-api.${this.region}.${this.urlSuffix}/${this.config.stage}`;
  }

  private addRoute(route: RouteDefinition): void {
    const reserved = this.config.reservedConcurrency
      ? {
          // Webhooks keep a share of the account's concurrency whatever else floods it; public routes are capped so
          // an anonymous flood cannot take the account's concurrency from the rest.
          webhook: this.config.webhookReservedConcurrency,
          public: this.config.publicReservedConcurrency,
          partner: undefined,
          admin: undefined,
        }[route.auth]
      : undefined;
    const fn = this.createFunction(
      route.name,
      route.handler,
      API_TIMEOUT,
      route.access,
      `${route.method} ${route.path}`,
      {
        ...(reserved === undefined ? {} : { reservedConcurrentExecutions: reserved }),
      },
    );
    const resource: IResource = this.api.root.resourceForPath(route.path);
    const pathParameters = [...route.path.matchAll(/\{([^}+]+)\+?\}/g)].map((match) => match[1]!);
    const requestParameters = Object.fromEntries(
      pathParameters.map((name) => [`method.request.path.${name}`, true] as const),
    );
    const integration = new LambdaIntegration(fn.fn, { proxy: true, allowTestInvoke: false });
    const method: Method = resource.addMethod(route.method, integration, {
      requestValidator: this.validator(),
      requestParameters,
      ...(route.auth === 'partner' || route.auth === 'admin'
        ? { authorizationType: AuthorizationType.COGNITO, authorizer: this.cognitoAuthorizer() }
        : { authorizationType: AuthorizationType.NONE }),
    });
    if (route.auth === 'public' || route.auth === 'webhook') {
      const reason =
        route.auth === 'webhook'
          ? `${route.method} ${route.path} is a Stripe webhook: Stripe cannot present a Cognito token; the handler verifies the Stripe-Signature header on the raw body and rejects anything else with 400.`
          : `${route.method} ${route.path} is public by design (functions/routes.ts auth: public): health check or onboarding redirect reached by a browser without a token.`;
      Validations.of(method).acknowledge({ id: 'AwsSolutions-APIG4', reason });
      Validations.of(method).acknowledge({ id: 'AwsSolutions-COG4', reason });
    }
  }

  private cognitoAuthorizer(): CognitoUserPoolsAuthorizer {
    this.authorizer ??= new CognitoUserPoolsAuthorizer(this, 'Authorizer', {
      cognitoUserPools: [this.userPool],
      // The ID token: it carries email and cognito:groups, which the handlers read from the claims.
      identitySource: 'method.request.header.Authorization',
      resultsCacheTtl: AUTHORIZER_CACHE_TTL,
    });
    return this.authorizer;
  }

  private validator(): RequestValidator {
    // API Gateway rejects requests missing a required path parameter before any Lambda runs. Body validation only
    // applies where a method maps a model to the content type; we map none, because the body schemas live once, in
    // zod, in the handlers -- so raw webhook bodies reach their handler untouched.
    this.requestValidator ??= this.api.addRequestValidator('RequestValidator', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    return this.requestValidator;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Jobs and queues

  /**
   * A work queue and its dead-letter queue (14 days each: a stalled consumer has two weeks before any work is lost),
   * with an alarm as soon as a message lands in the dead-letter queue.
   */
  private workQueues(
    name: string,
    options: { visibilityTimeout: Duration; maxReceiveCount: number; deadLetterReason: string; alarm: string },
  ): [Queue, Queue] {
    const retentionPeriod = Duration.days(QUEUE_RETENTION_DAYS);
    const deadLetterQueue = new Queue(this, `${name}DeadLetterQueue`, {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod,
    });
    Validations.of(deadLetterQueue).acknowledge({ id: 'AwsSolutions-SQS3', reason: options.deadLetterReason });
    const queue = new Queue(this, `${name}Queue`, {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: options.visibilityTimeout,
      retentionPeriod,
      deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: options.maxReceiveCount },
    });
    this.overThreshold(`${name}DeadLetterQueueAlarm`, {
      alarmDescription: options.alarm,
      metric: deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }),
      threshold: 0,
    });
    return [queue, deadLetterQueue];
  }

  private createPayoutQueues(): [Queue, Queue] {
    const [queue, deadLetterQueue] = this.workQueues('Payout', {
      visibilityTimeout: PAYOUT_QUEUE_VISIBILITY,
      maxReceiveCount: PAYOUT_MAX_RECEIVE_COUNT,
      deadLetterReason:
        'This is the dead-letter queue of the payout queue; its messages are inspected and redriven by an operator.',
      alarm:
        'Payout messages failed 5 times and landed in the dead-letter queue: see docs/runbooks/payout-run.md to redrive.',
    });
    this.renotifyWhileMessagesRemain(deadLetterQueue);
    this.overThreshold('PayoutQueueAgeAlarm', {
      alarmDescription: `The oldest payout message waits for more than ${ALARM_THRESHOLDS.payoutQueueAgeSeconds / 3600} h: the worker is stalled (throttled, disabled trigger, failing batches).`,
      metric: queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: 'Maximum' }),
      threshold: ALARM_THRESHOLDS.payoutQueueAgeSeconds,
    });
    this.overThreshold('PayoutDeadLetterQueueAgeAlarm', {
      alarmDescription: `A payout message has been in the dead-letter queue for more than ${ALARM_THRESHOLDS.deadLetterAgeSeconds / 3600} h; messages expire after ${QUEUE_RETENTION_DAYS} days.`,
      metric: deadLetterQueue.metricApproximateAgeOfOldestMessage({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      threshold: ALARM_THRESHOLDS.deadLetterAgeSeconds,
    });
    return [queue, deadLetterQueue];
  }

  /**
   * CloudWatch notifies once per state change, so PayoutDeadLetterQueueAlarm says "messages arrived" once (and OK once
   * the queue is drained). A second alarm on the same metric, with alarm actions only, is set back to
   * INSUFFICIENT_DATA every few hours by an EventBridge Scheduler schedule; its next evaluation finds the messages
   * still there and notifies again. With an empty queue it evaluates to OK, which has no action: nothing is sent.
   */
  private renotifyWhileMessagesRemain(deadLetterQueue: Queue): void {
    const hours = ALARM_THRESHOLDS.deadLetterRenotifyHours;
    const reminder = this.overThreshold(
      'PayoutDeadLetterQueueReminderAlarm',
      {
        alarmDescription: `Reminder, every ${hours} h while it lasts: payout messages are still in the dead-letter queue (docs/runbooks/payout-run.md).`,
        metric: deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(1),
          statistic: 'Maximum',
        }),
        threshold: 0,
      },
      { ok: false },
    );
    const role = new Role(this, 'AlarmRenotifyRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com'),
      description: 'connect-payouts: re-arms the dead-letter queue reminder alarm',
    });
    role.addToPolicy(new PolicyStatement({ actions: ['cloudwatch:SetAlarmState'], resources: [reminder.alarmArn] }));
    new CfnSchedule(this, 'AlarmRenotifySchedule', {
      description: `Re-arms the dead-letter queue reminder alarm every ${hours} h`,
      scheduleExpression: `rate(${hours} hours)`,
      flexibleTimeWindow: { mode: 'OFF' },
      target: {
        arn: 'arn:aws:scheduler:::aws-sdk:cloudwatch:setAlarmState',
        roleArn: role.roleArn,
        input: Stack.of(this).toJsonString({
          AlarmName: reminder.alarmName,
          StateValue: 'INSUFFICIENT_DATA',
          StateReason: 'Re-armed so that messages still in the dead-letter queue notify again',
        }),
      },
    });
  }

  /** Where the scheduled planner's event goes when EventBridge cannot invoke it or its retries all failed. */
  private createPlannerFailureQueue(): Queue {
    const queue = new Queue(this, 'PlannerFailureQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(QUEUE_RETENTION_DAYS),
    });
    Validations.of(queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself a failure destination (the scheduled planner’s event after its retries); an operator reads it and starts the run with POST /admin/payout-runs.',
    });
    this.overThreshold('PlannerFailureAlarm', {
      alarmDescription:
        'The scheduled payout planner failed after its retries: the month’s run may not have started (docs/runbooks/payout-run.md).',
      metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
      threshold: 0,
    });
    return queue;
  }

  /**
   * The reconciliation queue (the daily start, then one message per step) and its dead-letter queue: a step that
   * failed five times lands there and the day's report never does, so the DLQ alarms.
   */
  private createReconciliationQueues(): [Queue, Queue] {
    return this.workQueues('Reconciliation', {
      visibilityTimeout: Duration.seconds(RECONCILIATION_QUEUE.visibilityTimeoutSeconds),
      maxReceiveCount: RECONCILIATION_QUEUE.maxReceiveCount,
      deadLetterReason:
        'This is the dead-letter queue of the reconciliation queue; an operator redrives it (docs/runbooks/reconciliation.md).',
      alarm:
        'A reconciliation step failed 5 times: the day’s report is incomplete. See docs/runbooks/reconciliation.md to redrive.',
    });
  }

  /**
   * Domain events out: a custom bus per stage with an archive (replay), and two rules — every event of ours to the
   * delivery queue (the platform's webhook endpoints), the email-worthy types to the email queue. Each queue has a
   * DLQ with an alarm; the publisher's failed stream batches go to their own queue. The rules' targets have DLQs too
   * (an event EventBridge could not put on a queue).
   */
  private createEventPipeline(): [EventBus, Queue, Queue, Queue] {
    const retentionPeriod = Duration.days(QUEUE_RETENTION_DAYS);
    const bus = new EventBus(this, 'EventBus', { description: `connect-payouts ${this.config.stage} domain events` });
    bus.archive('EventArchive', {
      description: 'Every domain event, for replay',
      eventPattern: { source: [EVENT_SOURCE] },
      retention: Duration.days(365),
    });
    const deadLetter = (id: string, what: string) => {
      const queue = new Queue(this, id, { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod });
      Validations.of(queue).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason: `Dead-letter queue of ${what}; an operator inspects and redrives it (docs/runbooks/events.md).`,
      });
      this.overThreshold(`${id}Alarm`, {
        alarmDescription: `${what}: messages in the dead-letter queue (docs/runbooks/events.md).`,
        metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
        threshold: 0,
      });
      return queue;
    };
    const deliveryDlq = deadLetter('EventDeliveryDeadLetterQueue', 'event deliveries given up after ~3 days');
    const delivery = new Queue(this, 'EventDeliveryQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(6 * FUNCTION_TIMEOUT_SECONDS['event-delivery-queue']),
      retentionPeriod,
      // The worker sets each failed message's next attempt itself (1 min … 6 h); after the last one it goes here.
      deadLetterQueue: { queue: deliveryDlq, maxReceiveCount: MAX_DELIVERY_ATTEMPTS },
    });
    const emailDlq = deadLetter('EmailDeadLetterQueue', 'partner emails that failed 5 times');
    const email = new Queue(this, 'EmailQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(6 * FUNCTION_TIMEOUT_SECONDS['email-queue']),
      retentionPeriod,
      deadLetterQueue: { queue: emailDlq, maxReceiveCount: 5 },
    });
    const targetDlq = deadLetter('EventRuleDeadLetterQueue', 'events the bus could not put on a queue');
    new Rule(this, 'DeliverEventsRule', {
      eventBus: bus,
      description: 'Every domain event → the delivery queue (webhooks to the platform)',
      eventPattern: { source: [EVENT_SOURCE] },
      targets: [new SqsQueue(delivery, { deadLetterQueue: targetDlq, retryAttempts: 185 })],
    });
    new Rule(this, 'PartnerEmailsRule', {
      eventBus: bus,
      description: 'Email-worthy domain events → the email queue',
      eventPattern: { source: [EVENT_SOURCE], detailType: [...EMAIL_EVENT_TYPES] },
      targets: [new SqsQueue(email, { deadLetterQueue: targetDlq, retryAttempts: 185 })],
    });
    const publishFailures = deadLetter('EventPublishFailureQueue', 'stream batches the publisher could not publish');
    this.overThreshold('EventDeliveryQueueAgeAlarm', {
      alarmDescription:
        'An event delivery has waited more than 12 h: the platform endpoint is failing, or the worker is stalled.',
      metric: delivery.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: 'Maximum' }),
      threshold: 12 * 3600,
    });
    return [bus, delivery, email, publishFailures];
  }

  /** Alarms as soon as EventBridge fails to invoke a scheduled job's function. */
  private scheduleFailedAlarm(jobName: string, rule: Rule, alarmDescription: string): void {
    this.overThreshold(`${pascal(jobName)}ScheduleFailedAlarm`, {
      alarmDescription,
      metric: new Metric({
        namespace: 'AWS/Events',
        metricName: 'FailedInvocations',
        dimensionsMap: { RuleName: rule.ruleName },
        period: Duration.minutes(5),
        statistic: 'Sum',
      }),
      threshold: 0,
    });
  }

  private addJob(job: JobDefinition): void {
    const options: Record<JobDefinition['trigger'], ExtraFunctionProps> = {
      // EventBridge invokes the planner asynchronously: after Lambda's retries a failed event goes to the failure queue.
      schedule: { onFailure: new SqsDestination(this.plannerFailureQueue), retryAttempts: 2 },
      // Each reconciliation step queues the next on its own trigger: a chain of one hop per page, bounded like the
      // payout worker's (each step moves its cursor forward and queues at most one step; the last queues none; a
      // failing step goes to the dead-letter queue after a few receives).
      'reconciliation-queue': { recursiveLoop: RecursiveLoop.ALLOW },
      // A failed sweep is retried by Lambda; the next run (minutes later) takes up whatever is left anyway.
      'sweep-schedule': { retryAttempts: 2 },
      'payout-queue': {
        // The worker queues the next page of a run (plan, release, requeue) on the queue that triggers it, so a large
        // run is a chain Lambda -> SQS -> Lambda of one hop per page. Lambda's recursive loop detection would stop
        // that chain after ~16 hops and drop the page. The chain is bounded by design: each page moves a cursor
        // forward and queues at most one next page, the last page queues none, a page that fails goes to the DLQ
        // after 5 receives, and the reserved concurrency below caps the worker.
        recursiveLoop: RecursiveLoop.ALLOW,
        ...(this.config.reservedConcurrency
          ? { reservedConcurrentExecutions: this.config.payoutWorkerMaxConcurrency }
          : {}),
      },
      // The stream, the delivery and the email workers never send to their own trigger.
      'table-stream': {},
      'event-delivery-queue': {},
      'email-queue': {},
      'stripe-events-queue': {},
    };
    const fn = this.createFunction(
      job.name,
      job.handler,
      TIMEOUTS[job.trigger],
      job.access,
      `job (${job.trigger})`,
      options[job.trigger],
    );
    switch (job.trigger) {
      case 'schedule': {
        const rule = new Rule(this, `${pascal(job.name)}Schedule`, {
          description: `Runs ${job.name} (cron ${this.config.payoutScheduleCron}, UTC)`,
          schedule: Schedule.expression(`cron(${this.config.payoutScheduleCron})`),
        });
        rule.addTarget(
          new LambdaFunction(fn.fn, {
            retryAttempts: 2,
            maxEventAge: Duration.hours(2),
            deadLetterQueue: this.plannerFailureQueue,
          }),
        );
        this.scheduleFailedAlarm(job.name, rule, `EventBridge could not invoke ${job.name}.`);
        return;
      }
      case 'reconciliation-queue': {
        // The schedule puts the day's start on the queue: the run's id is the schedule event's (stable across
        // EventBridge's retries), and the day is the one before the event's time.
        const rule = new Rule(this, `${pascal(job.name)}Schedule`, {
          description: `Starts ${job.name} daily at ${RECONCILIATION_HOUR_UTC}:00 UTC for the previous day`,
          schedule: Schedule.cron({ minute: '0', hour: String(RECONCILIATION_HOUR_UTC) }),
        });
        rule.addTarget(
          new SqsQueue(this.reconciliationQueue, {
            message: RuleTargetInput.fromObject({
              type: 'start',
              runId: EventField.eventId,
              scheduledAt: EventField.time,
            }),
            deadLetterQueue: this.reconciliationDeadLetterQueue,
            retryAttempts: 185,
            maxEventAge: Duration.hours(6),
          }),
        );
        fn.fn.addEventSource(
          new SqsEventSource(this.reconciliationQueue, {
            batchSize: 1,
            reportBatchItemFailures: true,
            // A day's steps form one chain; two lets a re-run of a day proceed beside the scheduled one.
            maxConcurrency: 2,
          }),
        );
        this.overThreshold(`${pascal(job.name)}DiscrepancyAlarm`, {
          alarmDescription:
            'Reconciliation found records that differ from Stripe’s: read GET /admin/reconciliation/{date} (docs/runbooks/reconciliation.md).',
          metric: new Metric({
            namespace: METRICS_NAMESPACE,
            metricName: 'ReconciliationDiscrepancies',
            dimensionsMap: { service: SERVICE_NAME },
            period: Duration.hours(1),
            statistic: 'Sum',
          }),
          threshold: 0,
        });
        return;
      }
      case 'sweep-schedule': {
        const rule = new Rule(this, `${pascal(job.name)}Schedule`, {
          description: `Runs ${job.name} every ${EARNINGS_SWEEP_MINUTES} minutes`,
          schedule: Schedule.rate(Duration.minutes(EARNINGS_SWEEP_MINUTES)),
        });
        rule.addTarget(
          new LambdaFunction(fn.fn, { retryAttempts: 2, maxEventAge: Duration.minutes(EARNINGS_SWEEP_MINUTES) }),
        );
        this.scheduleFailedAlarm(
          job.name,
          rule,
          `EventBridge could not invoke ${job.name}: earnings are not made available (docs/runbooks/events.md).`,
        );
        return;
      }
      case 'stripe-events-queue':
        fn.fn.addEventSource(
          new SqsEventSource(this.createStripeEventQueues(), {
            batchSize: STRIPE_EVENTS_BATCH_SIZE,
            // A failed event is retried alone; the rest of the batch is deleted.
            reportBatchItemFailures: true,
          }),
        );
        return;
      case 'payout-queue':
        fn.fn.addEventSource(
          new SqsEventSource(this.payoutQueue, {
            batchSize: PAYOUT_BATCH_SIZE,
            // Failed records are retried alone; the rest of the batch is deleted.
            reportBatchItemFailures: true,
            maxConcurrency: this.config.payoutWorkerMaxConcurrency,
          }),
        );
        return;
      case 'table-stream':
        fn.fn.addEventSource(
          new DynamoEventSource(this.table, {
            startingPosition: StartingPosition.TRIM_HORIZON,
            batchSize: 100,
            bisectBatchOnError: true,
            reportBatchItemFailures: true,
            retryAttempts: 20,
            onFailure: new SqsDlq(this.eventPublishFailureQueue),
            // Only new domain-event items reach the publisher (the same rule it applies itself).
            filters: [
              FilterCriteria.filter({
                eventName: FilterRule.isEqual('INSERT'),
                dynamodb: { NewImage: { entity: { S: FilterRule.isEqual('domain-event') } } },
              }),
            ],
          }),
        );
        return;
      case 'event-delivery-queue':
        fn.fn.addEventSource(
          new SqsEventSource(this.eventDeliveryQueue, {
            batchSize: 10,
            reportBatchItemFailures: true,
            maxConcurrency: 5,
          }),
        );
        return;
      case 'email-queue':
        fn.fn.addEventSource(
          new SqsEventSource(this.emailQueue, { batchSize: 10, reportBatchItemFailures: true, maxConcurrency: 2 }),
        );
        return;
    }
  }

  /**
   * Stripe events through EventBridge: the event bus of Stripe's partner event source (creating it accepts the
   * source Stripe offered to the account), a rule for exactly the event types the handlers act on, and an SQS queue
   * with a dead-letter queue between the rule and the consumer — so a consumer outage or throttling never loses an
   * event, and events that keep failing wait in the DLQ (alarmed) for a redrive.
   */
  private createStripeEventQueues(): Queue {
    const sourceName = this.config.stripeEventSourceName;
    if (!sourceName) throw new Error('stripeEvents=eventbridge needs stripeEventSourceName');
    const deadLetterQueue = new Queue(this, 'StripeEventsDeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This is the dead-letter queue of the Stripe events queue (and of the rule target); an operator inspects and redrives it.',
    });
    const queue = new Queue(this, 'StripeEventsQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(STRIPE_EVENTS_QUEUE.visibilityTimeoutSeconds),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: STRIPE_EVENTS_QUEUE.maxReceiveCount },
    });
    const bus = new EventBus(this, 'StripeEventBus', { eventSourceName: sourceName });
    // Like the two webhook endpoints: the platform's own events (no `account`) and connected accounts' events, each
    // for exactly the types its handler acts on.
    const kinds = [
      { id: 'StripePlatformEventsRule', types: PLATFORM_EVENT_TYPES, connect: false },
      { id: 'StripeConnectEventsRule', types: CONNECT_EVENT_TYPES, connect: true },
    ];
    for (const kind of kinds) {
      const rule = new Rule(this, kind.id, {
        description: `Stripe ${kind.connect ? 'Connect' : 'platform'} events the handlers act on, to the Stripe events queue`,
        eventBus: bus,
        eventPattern: {
          source: Match.prefix('aws.partner/stripe.com'),
          detailType: [...kind.types],
          detail: { account: kind.connect ? Match.exists() : Match.doesNotExist() },
        },
      });
      rule.addTarget(new SqsQueue(queue, { deadLetterQueue, retryAttempts: 185, maxEventAge: Duration.hours(24) }));
    }
    new Alarm(this, 'StripeEventsDeadLetterQueueAlarm', {
      alarmDescription:
        'Stripe events failed repeatedly (or could not be delivered to the queue) and wait in the dead-letter queue: see docs/payments.md.',
      metric: deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(new SnsAction(this.alarmTopic));
    this.stripeEventsQueue = queue;
    this.stripeEventsDeadLetterQueue = deadLetterQueue;
    return queue;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Functions

  /**
   * Where the n-th function (and its role, log group and alarms) is defined: nested stacks of FUNCTIONS_PER_STACK
   * functions each. CloudFormation allows 500 resources per stack; every function brings about seven (function,
   * role, policy, log group, invoke permission, two alarms), so the API's functions cannot all live in the stack
   * that also holds the API, the table and the queues.
   */
  private functionScope(index: number): NestedStack {
    const slot = Math.floor(index / FUNCTIONS_PER_STACK);
    let nested = this.functionStacks[slot];
    if (!nested) {
      nested = new NestedStack(this, `Functions${slot + 1}`, {
        description: `connect-payouts ${this.config.stage}: functions ${slot * FUNCTIONS_PER_STACK + 1}–${(slot + 1) * FUNCTIONS_PER_STACK}`,
      });
      this.functionStacks[slot] = nested;
    }
    return nested;
  }

  private createFunction(
    name: string,
    entry: string,
    timeout: Duration,
    access: Access,
    what: string,
    extra: ExtraFunctionProps = {},
  ): ApiFunction {
    if (this.functions.has(name)) throw new Error(`Duplicate route/job name "${name}" in functions/routes.ts`);
    const scope = this.functionScope(this.functions.size);
    const fn = new ApiFunction(scope, `${pascal(name)}Fn`, {
      name,
      entry,
      timeout,
      tracing: this.config.tracing,
      logLevel: this.config.logLevel,
      logRetention: this.logRetention,
      removalPolicy: this.removalPolicy,
      description: `connect-payouts ${this.config.stage} ${name}: ${what}`,
      environment: { ...this.baseEnvironment(), ...this.secretEnvironment(access) },
      ...extra,
    });
    this.grantAccess(fn, access);
    this.functions.set(name, fn);

    // API functions answer every exception with a 500 (httpHandler), so Errors counts only crashes and timeouts
    // there; the UnhandledError and API 5xx alarms (createServiceAlarms) see the rest.
    this.alarm(
      `${pascal(name)}ErrorsAlarm`,
      {
        alarmDescription: `${name} crashed or timed out in the last 5 minutes.`,
        metric: fn.fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      },
      { scope },
    );
    this.alarm(
      `${pascal(name)}ThrottlesAlarm`,
      {
        alarmDescription: `${name} was throttled (account or reserved concurrency exhausted) in the last 5 minutes.`,
        metric: fn.fn.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      },
      { scope },
    );
    return fn;
  }

  /** The variables of functions/config.ts that every function receives. */
  private baseEnvironment(): Record<string, string> {
    const config = this.config;
    return {
      STAGE: config.stage,
      TABLE_NAME: this.table.tableName,
      USER_POOL_ID: this.userPool.userPoolId,
      PAYOUT_QUEUE_URL: this.payoutQueue.queueUrl,
      API_BASE_URL: this.apiBaseUrl,
      APP_URL: this.appUrl,
      PLATFORM_FEE_BPS: String(config.platformFeeBps),
      DEFAULT_COUNTRY: config.defaultCountry,
      DEFAULT_CURRENCY: config.defaultCurrency,
      ALLOWED_COUNTRIES: config.allowedCountries.join(','),
      PLATFORM_COUNTRY: config.platformCountry,
      PLATFORM_MINIMUM_FEE: String(config.platformMinimumFee),
      COMMISSION_BPS: String(config.commissionBps),
      OPEN_AMOUNTS: String(config.openAmounts),
      ALLOWED_REDIRECT_ORIGINS: config.allowedRedirectOrigins.join(','),
      ALLOWED_RETURN_TARGETS: config.allowedReturnTargets.join(','),
      STATUS_REFRESH_INTERVAL_SECONDS: String(config.statusRefreshIntervalSeconds),
      ONBOARDING_STATE_TTL_SECONDS: String(config.onboardingStateTtlSeconds),
      ONBOARDING_REFRESH_INTERVAL_SECONDS: String(config.onboardingRefreshIntervalSeconds),
      HOLDING_PERIOD_DAYS: String(config.holdingPeriodDays),
      PAYOUT_MINIMUMS: config.payoutMinimums.join(','),
      PAYOUT_DEFAULT_MINIMUM: String(config.payoutDefaultMinimum),
      PAYOUT_CURRENCIES: config.payoutCurrencies.join(','),
      DISPUTE_FEE_PAYER: config.disputeFeePayer,
      PAYOUT_REQUIRE_APPROVAL: String(config.payoutRequireApproval),
      PAYOUT_PLANNING_PAGE_SIZE: String(config.payoutPlanningPageSize),
      EVENT_BUS_NAME: this.eventBus.eventBusName,
      EVENT_DELIVERY_QUEUE_URL: this.eventDeliveryQueue.queueUrl,
      RECONCILIATION_QUEUE_URL: this.reconciliationQueue.queueUrl,
      PLATFORM_NAME: config.platformName,
      ...(config.sesFromEmail ? { EMAIL_FROM: config.sesFromEmail } : {}),
      PLATFORM_LAUNCH_MONTH: config.launchMonth,
      CONNECT_FEES_PAYER: config.connectFeesPayer,
      CONNECT_LOSSES_PAYMENTS: config.connectLossesPayments,
      ONBOARDING_COLLECT_FIELDS: config.onboardingCollectFields,
      ONBOARDING_FUTURE_REQUIREMENTS: config.onboardingFutureRequirements,
      REQUIREMENTS_DUE_SOON_DAYS: String(config.requirementsDueSoonDays),
      ACCOUNT_SESSION_COMPONENTS: config.accountSessionComponents.join(','),
      STRIPE_PUBLISHABLE_KEY: config.stripePublishableKey,
      ...(config.stripeRateLimits === undefined ? {} : { STRIPE_RATE_LIMITS: JSON.stringify(config.stripeRateLimits) }),
      SECRETS_PROVIDER: 'secretsmanager',
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      POWERTOOLS_LOG_LEVEL: config.logLevel,
    };
  }

  /** Names (never values) of the secrets this function may read, its Stripe key included; the others are not passed. */
  private secretEnvironment(access: Access): Record<string, string> {
    return {
      ...Object.fromEntries((access.secrets ?? []).map((name) => [SECRET_SPECS[name].envVar, this.secretName(name)])),
      ...(access.stripe ? { [STRIPE_KEY_ENV_VAR]: this.stripeKeyName(access.stripe) } : {}),
    };
  }

  /** Exactly what the route/job table declares, nothing more. */
  private grantAccess(fn: ApiFunction, access: Access): void {
    if (access.table) {
      // The actions of lib/grants.ts, nothing from the table's grant helpers (they add Scan, streams, BatchWrite...).
      fn.fn.addToRolePolicy(
        new PolicyStatement({ actions: [...TABLE_ACTIONS[access.table]], resources: [this.table.tableArn] }),
      );
      fn.fn.addToRolePolicy(
        new PolicyStatement({ actions: [...INDEX_ACTIONS], resources: [`${this.table.tableArn}/index/*`] }),
      );
      Validations.of(fn.role).acknowledge({
        // A function in a nested stack reads the table's ARN from its parent as a parameter named after it.
        id: `AwsSolutions-IAM5[Resource::<${Stack.of(fn).nested ? `referenceto${Names.uniqueId(this.table.node.defaultChild as CfnTable)}Arn` : `${this.tableLogicalId()}.Arn`}>/index/*]`,
        reason: `Queries on the GSIs of this one table (${TABLE_SCHEMA.globalSecondaryIndexes.map((i) => i.indexName).join(', ')}); the wildcard covers index names of this table only.`,
      });
    }
    for (const secret of access.secrets ?? []) this.secrets[secret].grantRead(fn.fn);
    if (access.stripe) this.stripeKeys[access.stripe].grantRead(fn.fn);
    if (access.payoutQueue === 'send') this.payoutQueue.grantSendMessages(fn.fn);
    if (access.eventDeliveryQueue === 'send') this.eventDeliveryQueue.grantSendMessages(fn.fn);
    if (access.reconciliationQueue === 'send') this.reconciliationQueue.grantSendMessages(fn.fn);
    if (access.eventBus === 'put') this.eventBus.grantPutEventsTo(fn.fn);
    if (access.email === 'send') {
      // The sender's identity: the address itself, or its domain when the domain is what SES verified.
      const address = this.config.sesFromEmail ?? 'no-sender-configured@invalid';
      const identity = (name: string) =>
        `arn:aws:ses:${this.config.sesRegion ?? this.region}:${this.account}:identity/${name}`;
      fn.fn.addToRolePolicy(
        new PolicyStatement({
          actions: ['ses:SendEmail'],
          resources: [identity(address), identity(address.split('@')[1] ?? address)],
        }),
      );
    }
    if (access.userPool === 'read') {
      fn.fn.addToRolePolicy(
        new PolicyStatement({
          actions: ['cognito-idp:AdminGetUser', 'cognito-idp:ListUsers'],
          resources: [this.userPool.userPoolArn],
        }),
      );
    }
    if (this.config.tracing) {
      Validations.of(fn.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'X-Ray PutTraceSegments/PutTelemetryRecords do not support resource-level permissions.',
      });
    }
  }

  private tableLogicalId(): string {
    return this.getLogicalId(this.table.node.defaultChild as CfnTable);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Alarms and outputs

  /**
   * Where every alarm goes: an existing topic (alarmTopicArn, e.g. the on-call tool's) or a topic of this stack with
   * an email subscription (alarmEmail). prod refuses to synthesize with neither (lib/stage-config.ts).
   */
  private createAlarmTopic(): ITopic {
    if (this.config.alarmTopicArn) {
      const imported = Topic.fromTopicArn(this, 'AlarmTopic', this.config.alarmTopicArn);
      if (this.config.alarmEmail) imported.addSubscription(new EmailSubscription(this.config.alarmEmail));
      return imported;
    }
    const topic = new Topic(this, 'AlarmTopic', {
      displayName: `connect-payouts ${this.config.stage} alarms`,
      enforceSSL: true,
    });
    if (this.config.alarmEmail) topic.addSubscription(new EmailSubscription(this.config.alarmEmail));
    Validations.of(topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'Alarm notifications carry only alarm names and states, no customer data; CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed SNS key, and a customer key is not warranted for this content.',
    });
    return topic;
  }

  /** An alarm when the metric goes over the threshold in one period; no data is fine (nothing happened). */
  private overThreshold(
    id: string,
    props: Omit<AlarmProps, 'comparisonOperator' | 'evaluationPeriods' | 'treatMissingData'>,
    options: { ok?: boolean; scope?: ConstructScope } = {},
  ): Alarm {
    return this.alarm(
      id,
      {
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        ...props,
      },
      options,
    );
  }

  /** An alarm that notifies the alarm topic when it fires and, unless `ok: false`, when it recovers. */
  private alarm(
    id: string,
    props: AlarmProps,
    { ok = true, scope = this }: { ok?: boolean; scope?: ConstructScope } = {},
  ): Alarm {
    const alarm = new Alarm(scope, id, props);
    const action = new SnsAction(this.alarmTopic);
    alarm.addAlarmAction(action);
    if (ok) alarm.addOkAction(action);
    this.alarms.set(id, alarm);
    return alarm;
  }

  /** Alarms on what the per-function alarms cannot see: the API as clients see it, our own metrics, the table. */
  private createServiceAlarms(routes: readonly RouteDefinition[]): void {
    const apiDimensions = { ApiName: this.api.restApiName, Stage: this.config.stage };
    const apiMetric = (metricName: string, statistic: string) =>
      new Metric({
        namespace: 'AWS/ApiGateway',
        metricName,
        dimensionsMap: apiDimensions,
        period: Duration.minutes(5),
        statistic,
      });
    this.alarm('Api5xxAlarm', {
      alarmDescription: `More than ${ALARM_THRESHOLDS.api5xxRate * 100} % of API answers were 5xx for 10 minutes (errors caught by httpHandler included).`,
      metric: apiMetric('5XXError', Stats.AVERAGE),
      threshold: ALARM_THRESHOLDS.api5xxRate,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 2,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.alarm('ApiLatencyAlarm', {
      alarmDescription: `API p99 latency above ${ALARM_THRESHOLDS.apiLatencyP99Ms} ms for 15 minutes.`,
      metric: apiMetric('Latency', Stats.p(99)),
      threshold: ALARM_THRESHOLDS.apiLatencyP99Ms,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    const ownMetric = (metricName: string) =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        // Powertools Metrics adds the service dimension to every metric.
        dimensionsMap: { service: SERVICE_NAME },
        period: Duration.minutes(5),
        statistic: 'Sum',
      });
    this.alarm('UnhandledErrorAlarm', {
      alarmDescription:
        'A route answered 500 for an unexpected exception (httpHandler metric UnhandledError): see the function logs.',
      metric: ownMetric('UnhandledError'),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    const webhookFns = routes
      .filter((route) => route.auth === 'webhook')
      .map((route) => this.functions.get(route.name));
    if (webhookFns.length > 0) {
      const invocations = Object.fromEntries(
        webhookFns.map((fn, index) => [
          `invocations${index}`,
          fn!.fn.metricInvocations({ period: Duration.minutes(5), statistic: 'Sum' }),
        ]),
      );
      // FILL: a function with no invocation in a period has no data point, which would blank the whole sum.
      const total = Object.keys(invocations)
        .map((id) => `FILL(${id}, 0)`)
        .join(' + ');
      this.alarm('WebhookRejectedAlarm', {
        alarmDescription: `More than ${ALARM_THRESHOLDS.webhookRejectedRate * 100} % of Stripe deliveries were refused (signature or payload) for 10 minutes: a wrong webhook secret?`,
        metric: new MathExpression({
          expression: `IF((${total}) >= 5, FILL(rejected, 0) / (${total}), 0)`,
          usingMetrics: { rejected: ownMetric('WebhookRejected'), ...invocations },
          period: Duration.minutes(5),
          label: 'share of webhook deliveries refused',
        }),
        threshold: ALARM_THRESHOLDS.webhookRejectedRate,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 2,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
    }
    const operations = [
      Operation.GET_ITEM,
      Operation.BATCH_GET_ITEM,
      Operation.QUERY,
      Operation.PUT_ITEM,
      Operation.UPDATE_ITEM,
      Operation.DELETE_ITEM,
      Operation.TRANSACT_WRITE_ITEMS,
    ];
    this.alarm('TableThrottleAlarm', {
      alarmDescription: 'DynamoDB throttled requests on the table (on-demand limits or a hot partition).',
      metric: this.table.metricThrottledRequestsForOperations({ operations, period: Duration.minutes(5) }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.alarm('TableSystemErrorsAlarm', {
      alarmDescription: 'DynamoDB answered with system (5xx) errors.',
      metric: this.table.metricSystemErrorsForOperations({ operations, period: Duration.minutes(5) }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }

  private createOutputs(routes: readonly RouteDefinition[]): void {
    new CfnOutput(this, 'ApiUrl', { value: this.apiBaseUrl, description: 'Base URL of the API (API_BASE_URL)' });
    new CfnOutput(this, 'UserPoolId', { value: this.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: this.userPoolClient.userPoolClientId });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'PayoutQueueUrl', { value: this.payoutQueue.queueUrl });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn });
    new CfnOutput(this, 'WebAclArn', { value: this.webAcl.attrArn });
    if (this.stripeEventsQueue) {
      new CfnOutput(this, 'StripeEventsQueueUrl', { value: this.stripeEventsQueue.queueUrl });
    }
    for (const route of routes.filter((r) => r.auth === 'webhook')) {
      new CfnOutput(this, `WebhookUrl${pascal(route.name)}`, {
        value: `${this.apiBaseUrl}${route.path}`,
        description: `Register in the Stripe Dashboard (Developers > Webhooks): ${route.name}`,
      });
    }
    const toSet: [string, string][] = [
      ...(Object.entries(SECRET_SPECS) as [SecretName, SecretSpec][])
        .filter(([, spec]) => !spec.generated)
        .map(([name, spec]): [string, string] => [spec.slug, this.secretName(name)]),
      ...STRIPE_KEYS.map((key): [string, string] => [STRIPE_KEY_SPECS[key].slug, this.stripeKeyName(key)]),
    ];
    for (const [slug, secretName] of toSet) {
      new CfnOutput(this, `${pascal(slug)}SecretName`, {
        value: secretName,
        description: `Set with: aws secretsmanager put-secret-value --secret-id ${secretName} --secret-string <value>`,
      });
    }
  }
}

/** The gateway responses WAF's own blocks answer with (lib/gateway-responses.ts). */
const WAF_RESPONSES = ['ACCESS_DENIED', 'THROTTLED', 'REQUEST_TOO_LARGE'] as const satisfies GatewayResponseKind[];

function blockWith(kind: (typeof WAF_RESPONSES)[number]): CfnWebACL.RuleActionProperty {
  return {
    block: {
      customResponse: {
        responseCode: GATEWAY_RESPONSES[kind].status,
        customResponseBodyKey: kind,
        responseHeaders: Object.entries(SECURITY_HEADERS).map(([name, value]) => ({ name, value })),
      },
    },
  };
}

/** Bodies above the API's limit (webhook bodies excepted: Stripe sizes its events, and the handler verifies them). */
function bodyTooLarge(notWebhook: CfnWebACL.StatementProperty | undefined): CfnWebACL.StatementProperty {
  const size: CfnWebACL.StatementProperty = {
    sizeConstraintStatement: {
      fieldToMatch: { body: { oversizeHandling: 'MATCH' } },
      comparisonOperator: 'GT',
      size: REQUEST_BODY_LIMIT_BYTES,
      textTransformations: [{ priority: 0, type: 'NONE' }],
    },
  };
  return notWebhook ? { andStatement: { statements: [size, notWebhook] } } : size;
}

/**
 * The access log line: who (IP, user agent, the caller's Cognito `sub`), what (method, path, status, size), how long
 * (total and integration latency, integration status) and why it failed (API Gateway's error type and message, WAF).
 */
function accessLogFormat(): AccessLogFormat {
  return AccessLogFormat.custom(
    JSON.stringify({
      requestId: AccessLogField.contextRequestId(),
      requestTime: AccessLogField.contextRequestTime(),
      ip: AccessLogField.contextIdentitySourceIp(),
      userAgent: AccessLogField.contextIdentityUserAgent(),
      sub: AccessLogField.contextAuthorizerClaims('sub'),
      httpMethod: AccessLogField.contextHttpMethod(),
      resourcePath: AccessLogField.contextResourcePath(),
      protocol: AccessLogField.contextProtocol(),
      status: AccessLogField.contextStatus(),
      responseLength: AccessLogField.contextResponseLength(),
      responseLatency: AccessLogField.contextResponseLatency(),
      integrationLatency: AccessLogField.contextIntegrationLatency(),
      integrationStatus: AccessLogField.contextIntegrationStatus(),
      errorType: AccessLogField.contextErrorResponseType(),
      errorMessage: AccessLogField.contextErrorMessage(),
      wafResponseCode: AccessLogField.contextWafResponseCode(),
    }),
  );
}

/**
 * The jobs a stage deploys: all of them, except the Stripe events consumer when the stage receives Stripe events by
 * webhook (the EventBridge channel exists only in stages that chose it).
 */
export function deployedJobs(config: Pick<StageConfig, 'stripeEvents'>, jobs: readonly JobDefinition[] = JOBS) {
  return jobs.filter((job) => job.trigger !== 'stripe-events-queue' || config.stripeEvents === 'eventbridge');
}

/** `send-payout` -> `SendPayout`, for construct ids and output names. */
export function pascal(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part.length > 0)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
}
