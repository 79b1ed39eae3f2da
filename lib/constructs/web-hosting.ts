import { Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AllowedMethods,
  Distribution,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  PriceClass,
  ResponseHeadersPolicy,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { BlockPublicAccess, Bucket, BucketEncryption, type CfnBucket, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, CacheControl, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { ensureWebBuildSync, WEB_DIST } from '#local/web-app';

/** Stripe's Connect.js, for the embedded onboarding component. */
export const STRIPE_CONNECT_JS_ORIGIN = 'https://connect-js.stripe.com';
export const STRIPE_CONNECT_JS_URL = `${STRIPE_CONNECT_JS_ORIGIN}/v1.0/connect.js`;

/** Where the app lives on its origin: the same `/app/` base as the local stack, so one build serves both. */
export const APP_BASE = '/app/';

/**
 * The web app in AWS: a private bucket (no public access, TLS only) that only this CloudFront distribution may read
 * (origin access control), a response-headers policy with a strict CSP and the usual security headers, and access
 * logs. The files and `config.json` are deployed by {@link WebHosting.deploy} once the API and user pool exist.
 */
export class WebHosting extends Construct {
  readonly bucket: Bucket;
  readonly distribution: Distribution;
  /** `https://<distribution>` */
  readonly origin: string;
  /** `https://<distribution>/app/` */
  readonly appUrl: string;

  constructor(
    scope: Construct,
    id: string,
    props: { removalPolicy: RemovalPolicy; connectSources: string[]; apiOrigin: string },
  ) {
    super(scope, id);
    const logs = new Bucket(this, 'AccessLogs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      // CloudFront standard logging writes with ACLs.
      objectOwnership: ObjectOwnership.OBJECT_WRITER,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: props.removalPolicy,
    });
    Validations.of(logs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket itself (of the app bucket and the distribution).',
    });
    this.bucket = new Bucket(this, 'Files', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: false,
      serverAccessLogsBucket: logs,
      serverAccessLogsPrefix: 'bucket/',
      removalPolicy: props.removalPolicy,
    });

    const headers = new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'connect-payouts web app: strict CSP and security headers',
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          override: true,
          contentSecurityPolicy: [
            "default-src 'self'",
            // Connect.js (embedded onboarding) and its frames come from Stripe.
            `script-src 'self' ${STRIPE_CONNECT_JS_ORIGIN}`,
            `frame-src ${STRIPE_CONNECT_JS_ORIGIN} https://js.stripe.com`,
            "style-src 'self'",
            "img-src 'self' data:",
            `connect-src 'self' ${[props.apiOrigin, ...props.connectSources, 'https://api.stripe.com'].join(' ')}`,
            "frame-ancestors 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "object-src 'none'",
            'upgrade-insecure-requests',
          ].join('; '),
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN, override: true },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(365),
          includeSubdomains: true,
          preload: false,
          override: true,
        },
      },
    });

    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'connect-payouts web app',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        responseHeadersPolicy: headers,
        compress: true,
      },
      // A single-page app: unknown paths under /app/ are its routes (the bucket answers 403 for a missing key).
      errorResponses: [403, 404].map((httpStatus) => ({
        httpStatus,
        responseHttpStatus: 200,
        responsePagePath: `${APP_BASE}index.html`,
        ttl: Duration.seconds(0),
      })),
      minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
      priceClass: PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: logs,
      logFilePrefix: 'cloudfront/',
    });
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR1',
      reason: 'Partners and customers are worldwide; the API enforces who may do what.',
    });
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR2',
      reason:
        'Static files only; a CloudFront web ACL must live in us-east-1. The API behind it has its own regional web ACL.',
    });
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR4',
      reason:
        'The default *.cloudfront.net certificate allows TLSv1 viewers; a custom domain with its certificate gets TLSv1.2_2021 (minimumProtocolVersion).',
    });
    this.origin = `https://${this.distribution.distributionDomainName}`;
    this.appUrl = `${this.origin}${APP_BASE}`;
  }

  /** Uploads the built app under `app/` and writes `app/config.json` (API URL, Cognito settings) next to it. */
  deploy(config: Record<string, unknown>): BucketDeployment {
    // Synth needs the files: built with Vite when web/dist is missing or older than web/.
    ensureWebBuildSync();
    const deployment = new BucketDeployment(this, 'Deploy', {
      destinationBucket: this.bucket,
      destinationKeyPrefix: APP_BASE.slice(1),
      sources: [Source.asset(WEB_DIST, { exclude: ['.built-from'] }), Source.jsonData('config.json', config)],
      cacheControl: [CacheControl.noCache()],
      distribution: this.distribution,
      distributionPaths: [`${APP_BASE}*`],
      prune: true,
      memoryLimit: 512,
    });
    // The deployment's custom-resource function is CDK's own (a singleton per stack, Python runtime it chooses).
    const stack = Stack.of(this);
    for (const child of stack.node.children) {
      if (!child.node.id.startsWith('Custom::CDKBucketDeployment')) continue;
      const ack = (id: string, text: string) => Validations.of(child).acknowledge({ id, reason: text });
      ack(
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        'CDK BucketDeployment custom resource: the basic execution policy for its own logs.',
      );
      ack('AwsSolutions-L1', 'CDK BucketDeployment custom resource: its runtime is the one aws-cdk-lib pins.');
      const files = stack.getLogicalId(this.bucket.node.defaultChild as CfnBucket);
      for (const grant of [
        'Action::s3:Abort*',
        'Action::s3:DeleteObject*',
        'Action::s3:GetBucket*',
        'Action::s3:GetObject*',
        'Action::s3:List*',
        `Resource::<${files}.Arn>/*`,
        'Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*',
        // CloudFront invalidations have no resource-level permissions.
        'Resource::*',
      ]) {
        ack(
          `AwsSolutions-IAM5[${grant}]`,
          'CDK BucketDeployment custom resource: copies the app from the CDK asset bucket into this bucket (prune deletes old files) and invalidates the distribution.',
        );
      }
    }
    return deployment;
  }
}
