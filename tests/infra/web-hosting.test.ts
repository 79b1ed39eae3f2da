import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Synthesized, synth } from './synth.ts';

/** The web app's hosting: private bucket, CloudFront with origin access control, strict headers, config at deploy. */
describe('web app hosting (webApp=true)', () => {
  let s: Synthesized;
  let off: Synthesized;
  beforeAll(() => {
    s = synth({ stage: 'dev', webApp: true }, { bundle: false });
    off = synth({ stage: 'dev' }, { bundle: false });
  });

  it('is cdk-nag clean and valid CloudFormation', () => {
    expect(s.nag).toEqual([]);
    expect(s.cfnValidation).toEqual([]);
  });

  it('keeps the files in a private, TLS-only bucket that only the distribution reads (origin access control)', () => {
    const buckets = s.template.findResources('AWS::S3::Bucket');
    expect(Object.keys(buckets).length).toBe(2); // files + access logs
    for (const bucket of Object.values(buckets)) {
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
    }
    s.template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    s.template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Origins: [
          Match.objectLike({ OriginAccessControlId: Match.anyValue(), S3OriginConfig: { OriginAccessIdentity: '' } }),
        ],
        DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'redirect-to-https' }),
        CustomErrorResponses: Match.arrayWith([
          Match.objectLike({ ErrorCode: 403, ResponseCode: 200, ResponsePagePath: '/app/index.html' }),
        ]),
        Logging: Match.anyValue(),
      }),
    });
    const policies = s.template.findResources('AWS::S3::BucketPolicy');
    const statements = Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
    const reads = statements.filter((st) => JSON.stringify(st.Action).includes('s3:GetObject'));
    expect(reads.length).toBeGreaterThan(0);
    for (const read of reads) expect(read.Principal).toEqual({ Service: 'cloudfront.amazonaws.com' });
    expect(
      statements.some((st) => st.Effect === 'Deny' && JSON.stringify(st.Condition).includes('aws:SecureTransport')),
    ).toBe(true);
  });

  it('answers with a strict CSP and security headers', () => {
    const [policy] = Object.values(s.template.findResources('AWS::CloudFront::ResponseHeadersPolicy'));
    const headers = policy?.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    const csp = JSON.stringify(headers.ContentSecurityPolicy.ContentSecurityPolicy);
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "frame-ancestors 'none'",
      "object-src 'none'",
    ]) {
      expect(csp).toContain(directive);
    }
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(csp).toContain('cognito-idp.');
    expect(headers.FrameOptions.FrameOption).toBe('DENY');
    expect(headers.ContentTypeOptions.Override).toBe(true);
    expect(headers.StrictTransportSecurity.AccessControlMaxAgeSec).toBeGreaterThanOrEqual(31_536_000);
  });

  it('deploys the built app with a config.json naming the API and the managed login', () => {
    const [deployment] = Object.values(s.template.findResources('Custom::CDKBucketDeployment'));
    expect(deployment?.Properties.DestinationBucketKeyPrefix).toBe('app/');
    // config.json's values that are only known at deploy: the API, the user pool, its client and login domain.
    const markers = JSON.stringify(deployment?.Properties.SourceMarkers);
    const ref = (type: string) => Object.keys(s.template.findResources(type))[0] ?? 'missing';
    for (const type of [
      'AWS::ApiGateway::RestApi',
      'AWS::Cognito::UserPool',
      'AWS::Cognito::UserPoolClient',
      'AWS::Cognito::UserPoolDomain',
    ]) {
      expect(markers).toContain(`{"Ref":"${ref(type)}"}`);
    }
    expect(deployment?.Properties.DistributionPaths).toEqual(['/app/*']);
  });

  it('signs in with managed login (authorization code, a public client) and returns to the app', () => {
    s.template.resourceCountIs('AWS::Cognito::UserPoolDomain', 1);
    s.template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthScopes: Match.arrayWith(['openid', 'email']),
      CallbackURLs: [Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith(['/app/auth/callback'])]) })],
      LogoutURLs: [Match.anyValue()],
    });
    // APP_URL (onboarding return) and the API's CORS origin are the distribution's.
    const fn = Object.values(s.template.findResources('AWS::Lambda::Function')).find((f) =>
      JSON.stringify(f.Properties.Environment ?? {}).includes('APP_URL'),
    );
    expect(JSON.stringify(fn?.Properties.Environment.Variables.APP_URL)).toContain('DomainName');
  });

  it('adds nothing when off (the default)', () => {
    expect(Object.keys(off.template.findResources('AWS::CloudFront::Distribution'))).toEqual([]);
    off.template.resourceCountIs('AWS::Cognito::UserPoolDomain', 0);
    off.template.hasResourceProperties('AWS::Cognito::UserPoolClient', { AllowedOAuthFlowsUserPoolClient: false });
  });
});
