import { describe, expect, it } from 'vitest';
import { parseConfig } from '#config';

const valid = {
  STAGE: 'dev',
  TABLE_NAME: 'table',
  USER_POOL_ID: 'us-east-1_abc',
  PAYOUT_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/1/q',
  API_BASE_URL: 'https://api.example.com/prod',
  STRIPE_API_KEY_SECRET_NAME: 'stripe/api-key',
};

describe('config', () => {
  it('parses a complete environment with documented defaults', () => {
    const config = parseConfig(valid);
    expect(config).toMatchObject({
      PLATFORM_FEE_BPS: 1000,
      DEFAULT_CURRENCY: 'usd',
      ALLOWED_COUNTRIES: ['US'],
      SECRETS_PROVIDER: 'secretsmanager',
    });
  });

  it('splits comma-separated lists and lower-cases the currency', () => {
    expect(parseConfig({ ...valid, ALLOWED_COUNTRIES: 'US, CA ,GB', DEFAULT_CURRENCY: 'EUR' })).toMatchObject({
      ALLOWED_COUNTRIES: ['US', 'CA', 'GB'],
      DEFAULT_CURRENCY: 'eur',
    });
  });

  it('fails at once, naming every missing or malformed variable', () => {
    expect(() => parseConfig({ ...valid, TABLE_NAME: undefined, PLATFORM_FEE_BPS: '12.5' })).toThrow(
      /TABLE_NAME.*PLATFORM_FEE_BPS|PLATFORM_FEE_BPS.*TABLE_NAME/,
    );
  });

  it('reads the declared Stripe rate limits as JSON, and names the variable when they are malformed', () => {
    expect(
      parseConfig({ ...valid, STRIPE_RATE_LIMITS: '{"global":200,"endpoints":{"POST /v1/transfers":100}}' })
        .STRIPE_RATE_LIMITS,
    ).toEqual({ global: 200, endpoints: { 'POST /v1/transfers': 100 } });
    expect(parseConfig(valid).STRIPE_RATE_LIMITS).toBeUndefined();
    for (const bad of ['global=200', '{"global":-1}', '{"endpoints":{"transfers":100}}', '{"burst":5}'])
      expect(() => parseConfig({ ...valid, STRIPE_RATE_LIMITS: bad }), bad).toThrow(/STRIPE_RATE_LIMITS/);
  });

  it('refuses secret values in the environment outside the local stage', () => {
    expect(() => parseConfig({ ...valid, SECRETS_PROVIDER: 'env' })).toThrow(/SECRETS_PROVIDER/);
    expect(parseConfig({ ...valid, STAGE: 'local', SECRETS_PROVIDER: 'env' }).SECRETS_PROVIDER).toBe('env');
  });
});
