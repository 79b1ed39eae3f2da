import { z } from 'zod';

/**
 * Runtime configuration, parsed once per cold start. A missing or malformed variable fails the cold start with a
 * message naming it, instead of failing later inside a request.
 *
 * Secrets are never in the environment in AWS: the environment carries the *names* of Secrets Manager secrets
 * (`*_SECRET_NAME`) and functions read the values at runtime through Powertools parameters (cached). Only the local
 * stack (STAGE=local) may pass secret values directly (`SECRETS_PROVIDER=env`), because it has no Secrets Manager.
 */
const csv = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0),
);

/**
 * Stripe's rate limits for the account, as a stage declares them once Stripe raised them: `global` (requests/s over
 * every endpoint; unset = 100 live, 25 test), `endpoints` (per named operation, e.g. `"POST /v1/transfers": 100`;
 * every other endpoint is `endpointDefault`, 25/s unless set) and `interactiveShare` (of the global budget, reserved for API routes; default 0.2).
 * The functions budget 95 % of each limit (`#core/stripe-limits`).
 */
export const StripeRateLimitsSchema = z.strictObject({
  global: z.number().positive().max(100_000).optional(),
  endpoints: z
    .record(
      z.string().regex(/^(GET|POST|DELETE) \/v1\/[a-z0-9_/:]+$/, 'expected an endpoint like "POST /v1/transfers"'),
      z.number().positive().max(100_000),
    )
    .optional(),
  endpointDefault: z.number().positive().max(100_000).optional(),
  interactiveShare: z.number().gt(0).max(0.5).optional(),
});

const jsonObject = z.string().transform((value, ctx) => {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'expected JSON' });
    return z.NEVER;
  }
});

const optionalPort = z.coerce.number().int().min(1).max(65_535).optional();

export const ConfigSchema = z
  .object({
    STAGE: z.string().min(1),
    AWS_REGION: z.string().min(1).default('us-east-1'),
    TABLE_NAME: z.string().min(1),
    USER_POOL_ID: z.string().min(1),
    PAYOUT_QUEUE_URL: z.string().min(1),
    /** Public base URL of the API (used to build onboarding refresh/return URLs). */
    API_BASE_URL: z.url(),
    /** The platform's web app; partners land here after onboarding. Empty: a small HTML page is shown instead. */
    APP_URL: z.union([z.url(), z.literal('')]).default(''),
    PLATFORM_FEE_BPS: z.coerce.number().int().min(0).max(10_000).default(1_000),
    DEFAULT_COUNTRY: z.string().length(2).default('US'),
    DEFAULT_CURRENCY: z
      .string()
      .length(3)
      .transform((c) => c.toLowerCase())
      .default('usd'),
    ALLOWED_COUNTRIES: csv.default(['US']),
    /** The platform's own country: connected accounts elsewhere are cross-border (recipient service agreement). */
    PLATFORM_COUNTRY: z
      .string()
      .length(2)
      .transform((c) => c.toUpperCase())
      .default('US'),
    /** `GET /connect/status?refresh=true` reads from Stripe at most once per this many seconds per partner. */
    STATUS_REFRESH_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(3600).default(10),
    /** Lifetime of the signed state in onboarding refresh/return URLs (the partner may spend a while at Stripe). */
    ONBOARDING_STATE_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(3600),
    /** Floor of every platform fee, in minor units of the charge currency (0 = no floor). */
    PLATFORM_MINIMUM_FEE: z.coerce.number().int().min(0).max(99_999_999).default(0),
    /**
     * Origins Checkout success/cancel URLs may point to (`https://shop.example.com`). Empty: the origins of APP_URL
     * and API_BASE_URL, i.e. only sites this deployment owns.
     */
    ALLOWED_REDIRECT_ORIGINS: csv.default([]),
    /** Platform-held earnings (commissions, admin-recorded) become available for a payout this many days later. */
    HOLDING_PERIOD_DAYS: z.coerce.number().int().min(0).max(365).default(7),
    /** Commission for a referring partner named in a platform charge's metadata, in basis points of the charge. */
    COMMISSION_BPS: z.coerce.number().int().min(0).max(10_000).default(1_000),
    SECRETS_PROVIDER: z.enum(['secretsmanager', 'env']).default('secretsmanager'),
    STRIPE_API_KEY_SECRET_NAME: z.string().min(1).optional(),
    PLATFORM_WEBHOOK_SECRET_NAME: z.string().min(1).optional(),
    CONNECT_WEBHOOK_SECRET_NAME: z.string().min(1).optional(),
    STATE_SIGNING_SECRET_NAME: z.string().min(1).optional(),
    /** Local stack only: point the Stripe SDK at the emulator. Unset in AWS (real Stripe). */
    STRIPE_API_HOST: z.string().min(1).optional(),
    STRIPE_API_PORT: optionalPort,
    STRIPE_API_PROTOCOL: z.enum(['http', 'https']).optional(),
    /** Local DynamoDB / Cognito endpoints (unset in AWS). */
    DYNAMODB_ENDPOINT: z.url().optional(),
    COGNITO_ENDPOINT: z.url().optional(),
    SQS_ENDPOINT: z.url().optional(),
    /** Smallest payout per currency, `usd:1000,eur:1000` (minor units); others use PAYOUT_DEFAULT_MINIMUM. */
    PAYOUT_MINIMUMS: csv
      .default([])
      .pipe(z.array(z.string().regex(/^[a-z]{3}:\d+$/i, 'expected currency:amount, e.g. usd:1000'))),
    PAYOUT_DEFAULT_MINIMUM: z.coerce.number().int().min(1).default(100),
    /** When true, a run waits as awaiting_approval until an admin approves it. */
    PAYOUT_REQUIRE_APPROVAL: z
      .enum(['true', 'false'])
      .default('false')
      .transform((value) => value === 'true'),
    /** Stripe's limits for the account as JSON (`StripeRateLimitsSchema`); unset = Stripe's documented defaults. */
    STRIPE_RATE_LIMITS: jsonObject.pipe(StripeRateLimitsSchema).optional(),
    PAYOUT_PLANNING_PAGE_SIZE: z.coerce.number().int().min(1).max(1_000).default(100),
  })
  .superRefine((env, ctx) => {
    if (env.SECRETS_PROVIDER === 'env' && env.STAGE !== 'local') {
      ctx.addIssue({
        code: 'custom',
        path: ['SECRETS_PROVIDER'],
        message: 'secret values in the environment are only allowed with STAGE=local',
      });
    }
  });

export type Config = z.infer<typeof ConfigSchema>;

let cached: Config | undefined;

export function parseConfig(env: NodeJS.ProcessEnv): Config {
  const result = ConfigSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new Error(`Invalid configuration: ${problems.join('; ')}`);
  }
  return result.data;
}

/** The process configuration, parsed on first use and then reused for the life of the execution environment. */
export function config(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}

/** Tests and the local stack change the environment between runs. */
export function resetConfigForTests(): void {
  cached = undefined;
}
