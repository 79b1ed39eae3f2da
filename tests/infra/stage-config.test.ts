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
      mfa: 'optional',
      cognitoFeaturePlan: 'essentials',
      selfSignUp: false,
      tracing: false,
      payoutWorkerMaxConcurrency: 2,
      logLevel: 'DEBUG',
      retainData: false,
    });
  });

  it('retains data, requires MFA and throttles higher in prod', () => {
    expect(loadStageConfig(context({ stage: 'prod' }))).toMatchObject({
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
        stages: { prod: { platformFeeBps: 500, appUrl: 'https://from-cdk-json.example.com' } },
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

  it('treats an empty -c value as unset for optional keys', () => {
    expect(loadStageConfig(context({ alarmEmail: '', apiBaseUrl: '' }))).not.toHaveProperty('alarmEmail');
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
    [{ stages: { prod: { platformFee: 5 } } }, /Unknown key\(s\) in context "stages.prod": platformFee/],
  ])('rejects %o', (values, message) => {
    expect(() => loadStageConfig(context(values))).toThrow(message);
  });
});
