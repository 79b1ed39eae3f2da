import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  ApplicationLogLevel,
  Architecture,
  type IDestination,
  LoggingFormat,
  RecursiveLoop,
  Runtime,
  SystemLogLevel,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { LAMBDA_BUNDLING } from '../bundling.ts';

/** Repository root: handler paths in functions/routes.ts are relative to it. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The Lambda runtime of every function; tests run on the same Node major (package.json pins node 24). */
export const LAMBDA_RUNTIME = Runtime.NODEJS_24_X;

export interface ApiFunctionProps {
  /** Stable name from the route/job table; used in the construct id, the log group and metrics. */
  readonly name: string;
  /** Entry file relative to the repository root (exports `handler`). */
  readonly entry: string;
  readonly environment: Record<string, string>;
  readonly timeout: Duration;
  readonly memorySize?: number;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  readonly tracing: boolean;
  readonly description?: string;
  /** Lambda's application log level; the same as POWERTOOLS_LOG_LEVEL, so neither filters the other. */
  readonly logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** Reserved concurrency: both a guaranteed share of the account's concurrency and a cap. */
  readonly reservedConcurrentExecutions?: number;
  /** Lambda's recursive loop detection; only a function that re-queues bounded work to its own trigger sets Allow. */
  readonly recursiveLoop?: RecursiveLoop;
  /** Asynchronous invocations (EventBridge): where an event goes after its retries failed. */
  readonly onFailure?: IDestination;
  readonly retryAttempts?: number;
}

/**
 * One Lambda with our defaults: Node 24 on arm64, a minified ESM bundle with the AWS SDK bundled and tree-shaken
 * (NodejsFunction leaves `@aws-sdk/*` out by default), built locally by the installed esbuild (never Docker),
 * its own log group with a retention, and its own role that starts with no permissions at all: the stack grants
 * exactly what the route/job table declares.
 */
export class ApiFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ApiFunctionProps) {
    super(scope, id);

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });

    // An explicit role instead of the default one with AWSLambdaBasicExecutionRole (a managed policy that may write
    // to any log group): this role may only write to this function's own log group.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `connect-payouts ${props.name}`,
    });
    this.logGroup.grantWrite(this.role);

    this.fn = new NodejsFunction(this, 'Function', {
      entry: path.join(REPO_ROOT, props.entry),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      runtime: LAMBDA_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      tracing: props.tracing ? Tracing.ACTIVE : Tracing.DISABLED,
      // JSON: Lambda's own platform lines are JSON too, and the application level is enforced by Lambda.
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel[props.logLevel],
      systemLogLevelV2: SystemLogLevel.WARN,
      recursiveLoop: props.recursiveLoop ?? RecursiveLoop.TERMINATE,
      ...(props.reservedConcurrentExecutions === undefined
        ? {}
        : { reservedConcurrentExecutions: props.reservedConcurrentExecutions }),
      ...(props.onFailure ? { onFailure: props.onFailure } : {}),
      ...(props.retryAttempts === undefined ? {} : { retryAttempts: props.retryAttempts }),
      description: props.description ?? `connect-payouts ${props.name}`,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        // The options of lib/bundling.ts, which the bundle test and the cold-start bench use too.
        format: OutputFormat.ESM,
        minify: LAMBDA_BUNDLING.minify,
        sourceMap: LAMBDA_BUNDLING.sourcemap,
        sourcesContent: LAMBDA_BUNDLING.sourcesContent,
        target: LAMBDA_BUNDLING.target,
        mainFields: [...LAMBDA_BUNDLING.mainFields],
        bundleAwsSDK: true,
        externalModules: [],
        banner: LAMBDA_BUNDLING.banner,
        forceDockerBundling: false,
        // Only problems: the per-file size lines of 20+ bundles drown the synth and test output.
        logLevel: LogLevel.WARNING,
      },
    });
  }
}
