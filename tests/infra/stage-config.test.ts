import { describe, expect, it } from 'vitest';
import { loadStageConfig } from '#infra/stage-config';

const context = (values: Record<string, unknown>) => ({ tryGetContext: (key: string) => values[key] });

describe('stage configuration', () => {
  it('defaults to dev with documented defaults', () => {
    expect(loadStageConfig(context({}))).toEqual({
      stage: 'dev',
      appUrl: '',
      platformFeeBps: 1000,
      payoutScheduleCron: '0 6 1 * ? *',
      defaultCountry: 'US',
      defaultCurrency: 'usd',
      allowedCountries: ['US'],
      apiThrottleRateLimit: 10,
      apiThrottleBurstLimit: 20,
      publicThrottleRateLimit: 2,
      publicThrottleBurstLimit: 5,
      webhookThrottleRateLimit: 5,
      webhookThrottleBurstLimit: 10,
      wafRateLimitPerIp: 300,
      stripeWebhookIps: expect.arrayContaining(['3.18.12.63/32', '54.187.216.72/32']),
      reservedConcurrency: true,
      webhookReservedConcurrency: 5,
      publicReservedConcurrency: 2,
      mfa: 'optional',
      cognitoFeaturePlan: 'essentials',
      selfSignUp: false,
      tracing: true,
      payoutWorkerMaxConcurrency: 5,
      logLevel: 'DEBUG',
      retainData: false,
      platformCountry: 'US',
      platformMinimumFee: 0,
      commissionBps: 1000,
      openAmounts: false,
      webApp: false,
      allowedRedirectOrigins: [],
      allowedReturnTargets: [],
      statusRefreshIntervalSeconds: 10,
      onboardingStateTtlSeconds: 900,
      onboardingRefreshIntervalSeconds: 5,
      holdingPeriodDays: 7,
      payoutMinimums: [],
      payoutCurrencies: [],
      disputeFeePayer: 'platform',
      payoutDefaultMinimum: 100,
      payoutRequireApproval: false,
      payoutPlanningPageSize: 100,
      platformName: 'connect-payouts',
      launchMonth: '2026-01',
      connectFeesPayer: 'application',
      connectLossesPayments: 'application',
      onboardingCollectFields: 'eventually_due',
      onboardingFutureRequirements: 'include',
      requirementsDueSoonDays: 14,
      accountSessionComponents: ['account_onboarding', 'notification_banner'],
      stripePublishableKey: '',
      stripeEvents: 'webhooks',
    });
  });

  it('reads the Connect keys: controller, collection, components, publishable key, events channel', () => {
    const config = loadStageConfig(
      context({
        connectLossesPayments: 'stripe',
        onboardingCollectFields: 'currently_due',
        accountSessionComponents: 'account_onboarding,payouts,documents',
        stripePublishableKey: 'pk_live_abc123',
        stripeEvents: 'eventbridge',
        stripeEventSourceName: 'aws.partner/stripe.com/ed_61abc',
      }),
    );
    expect(config).toMatchObject({
      connectLossesPayments: 'stripe',
      onboardingCollectFields: 'currently_due',
      accountSessionComponents: ['account_onboarding', 'payouts', 'documents'],
      stripePublishableKey: 'pk_live_abc123',
      stripeEvents: 'eventbridge',
      stripeEventSourceName: 'aws.partner/stripe.com/ed_61abc',
    });
    expect(() => loadStageConfig(context({ accountSessionComponents: 'balances' }))).toThrow(
      /accountSessionComponents/,
    );
    expect(() => loadStageConfig(context({ stripePublishableKey: 'sk_live_secret' }))).toThrow(/stripePublishableKey/);
    expect(() => loadStageConfig(context({ stripeEvents: 'eventbridge' }))).toThrow(/stripeEventSourceName/);
  });

  it('retains data, requires MFA and throttles higher in prod', () => {
    const prod = { stage: 'prod', alarmEmail: 'ops@example.com', appUrl: 'https://app.example.com' };
    expect(loadStageConfig(context(prod))).toMatchObject({
      stage: 'prod',
      retainData: true,
      mfa: 'required',
      apiThrottleRateLimit: 100,
      logLevel: 'INFO',
    });
  });

  it('coerces -c strings and lets them override the stages block of cdk.json', () => {
    const config = loadStageConfig(
      context({
        stage: 'prod',
        stages: {
          prod: { platformFeeBps: 500, appUrl: 'https://from-cdk-json.example.com', alarmEmail: 'ops@example.com' },
        },
        platformFeeBps: '250',
        allowedCountries: 'us, gb,DE',
        defaultCurrency: 'EUR',
        defaultCountry: 'de',
        tracing: 'true',
      }),
    );
    expect(config).toMatchObject({
      platformFeeBps: 250,
      appUrl: 'https://from-cdk-json.example.com',
      allowedCountries: ['US', 'GB', 'DE'],
      defaultCountry: 'DE',
      defaultCurrency: 'eur',
      tracing: true,
    });
  });

  it('refuses a prod stage that alarms nobody or has no app URL, naming the keys to pass', () => {
    expect(() => loadStageConfig(context({ stage: 'prod', appUrl: 'https://app.example.com' }))).toThrow(
      /alarmEmail: prod needs an alarm destination: -c alarmEmail=.* or -c alarmTopicArn=/,
    );
    expect(() => loadStageConfig(context({ stage: 'prod', alarmEmail: 'ops@example.com' }))).toThrow(
      /appUrl: prod needs the platform's web app: -c appUrl=/,
    );
    expect(() => loadStageConfig(context({ stage: 'prod', alarmEmail: '', appUrl: '' }))).toThrow(
      /alarmEmail: .*; appUrl: /,
    );
    // Positive controls: either destination is enough, and dev needs neither.
    const topic = 'arn:aws:sns:eu-west-1:123456789012:on-call';
    expect(
      loadStageConfig(context({ stage: 'prod', alarmTopicArn: topic, appUrl: 'https://app.example.com' })),
    ).toMatchObject({ stage: 'prod', alarmTopicArn: topic });
    expect(loadStageConfig(context({ stage: 'dev' }))).toMatchObject({ stage: 'dev', appUrl: '' });
  });

  it('treats an empty -c value as unset for optional keys', () => {
    expect(loadStageConfig(context({ alarmEmail: '', apiBaseUrl: '' }))).not.toHaveProperty('alarmEmail');
    expect(loadStageConfig(context({ stripeRateLimits: '' }))).not.toHaveProperty('stripeRateLimits');
  });

  it('reads stripeRateLimits as an object from cdk.json', () => {
    expect(
      loadStageConfig(
        context({ stages: { dev: { stripeRateLimits: { global: 200, endpoints: { 'GET /v1/accounts/:id': 50 } } } } }),
      ),
    ).toMatchObject({ stripeRateLimits: { global: 200, endpoints: { 'GET /v1/accounts/:id': 50 } } });
  });

  it('reads the payout run keys from -c strings and cdk.json values', () => {
    expect(
      loadStageConfig(
        context({
          stages: { dev: { payoutMinimums: ['USD:1000'], payoutRequireApproval: true } },
          holdingPeriodDays: '14',
          payoutDefaultMinimum: '500',
          stripeRateLimits: '{"endpoints":{"POST /v1/transfers":100}}',
          allowedRedirectOrigins: 'https://shop.example.com, https://www.example.com',
          allowedReturnTargets: 'https://Partners.example.com/, umuvepro://',
        }),
      ),
    ).toMatchObject({
      holdingPeriodDays: 14,
      payoutMinimums: ['usd:1000'],
      payoutDefaultMinimum: 500,
      payoutRequireApproval: true,
      stripeRateLimits: { endpoints: { 'POST /v1/transfers': 100 } },
      allowedRedirectOrigins: ['https://shop.example.com', 'https://www.example.com'],
      allowedReturnTargets: ['https://partners.example.com', 'umuvepro://'],
    });
  });

  it.each([
    [{ stage: 'staging' }, /stage/],
    [{ platformFeeBps: '12.5' }, /platformFeeBps/],
    [{ platformFeeBps: '10001' }, /platformFeeBps/],
    [{ payoutScheduleCron: '0 6 1 * *' }, /payoutScheduleCron/],
    [{ appUrl: 'not a url' }, /appUrl/],
    [{ apiBaseUrl: 'http://api.example.com' }, /apiBaseUrl/],
    [{ alarmEmail: 'ops' }, /alarmEmail/],
    [{ allowedCountries: 'GB' }, /allowedCountries: must include defaultCountry/],
    [{ tracing: 'yes' }, /tracing/],
    [{ holdingPeriodDays: '-1' }, /holdingPeriodDays/],
    [{ payoutMinimums: 'usd=1000' }, /payoutMinimums/],
    [{ payoutMinimums: 'xyz:1000' }, /payoutMinimums.*unsupported currency/],
    [{ payoutRequireApproval: 'maybe' }, /payoutRequireApproval/],
    [{ stripeRateLimits: '{"global":0}' }, /stripeRateLimits/],
    [{ stripeRateLimits: '{"endpoints":{"/v1/transfers":100}}' }, /stripeRateLimits\.endpoints/],
    [{ stripeRateLimits: '{"interactiveShare":0.9}' }, /stripeRateLimits/],
    [{ stripeRateLimits: '{"reconciliationShare":0}' }, /stripeRateLimits/],
    [{ stripeRateLimits: '{"reconciliationShare":1.5}' }, /stripeRateLimits/],
    [{ stripeRateLimits: 'global=100' }, /stripeRateLimits.*JSON/],
    [{ stripeRequestsPerSecond: '60' }, /stripeRequestsPerSecond was replaced by stripeRateLimits/],
    [{ stages: { dev: { stripeRequestsPerSecond: 60 } } }, /stripeRequestsPerSecond was replaced by stripeRateLimits/],
    [{ allowedRedirectOrigins: 'https://shop.example.com/checkout' }, /allowedRedirectOrigins/],
    [{ allowedReturnTargets: 'http://partners.example.com' }, /allowedReturnTargets.*https origin/],
    [{ allowedReturnTargets: 'https://partners.example.com/back' }, /allowedReturnTargets/],
    [{ allowedReturnTargets: 'javascript://' }, /allowedReturnTargets/],
    [{ payoutPlanningPageSize: '5000' }, /payoutPlanningPageSize/],
    [{ stages: { prod: { platformFee: 5 } } }, /Unknown key\(s\) in context "stages.prod": platformFee/],
    [{ stripeWebhookIps: '3.18.12' }, /stripeWebhookIps/],
    [{ alarmTopicArn: 'ops-topic' }, /alarmTopicArn/],
    [{ domainName: 'api.example.com' }, /domainName and domainCertificateArn go together/],
    [{ sesFromEmail: 'no-reply@example.com' }, /sesFromEmail and sesRegion go together/],
    [{ wafRateLimitPerIp: '5' }, /wafRateLimitPerIp/],
  ])('rejects %o', (values, message) => {
    expect(() => loadStageConfig(context(values))).toThrow(message);
  });
});
