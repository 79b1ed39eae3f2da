import * as z from 'zod';
import { EMBEDDED_COMPONENTS } from '#core/onboarding';
import type { Period } from '#core/period';
import { RETURN_TARGET_ENTRY_HINT, returnTargetEntry } from '#core/return-targets';

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
 * every other endpoint is `endpointDefault`, 25/s unless set), `interactiveShare` (of the global budget, reserved for
 * API routes; default 0.2) and `reconciliationShare` (of the background lane, the most reconciliation may use; default
 * 0.2).
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
  reconciliationShare: z.number().gt(0).max(1).optional(),
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
    /**
     * Lifetime of the signed state in onboarding refresh/return URLs: minutes, long enough for one sitting at Stripe
     * (an expired state sends the partner back to the app, which asks for a fresh link).
     */
    ONBOARDING_STATE_TTL_SECONDS: z.coerce.number().int().min(60).max(3_600).default(900),
    /** `/connect/refresh` mints at most one new Account Link per partner per this many seconds. */
    ONBOARDING_REFRESH_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(3_600).default(5),
    /** Floor of every platform fee, in minor units of the charge currency (0 = no floor). */
    PLATFORM_MINIMUM_FEE: z.coerce.number().int().min(0).max(99_999_999).default(0),
    /**
     * Return targets apps may name per onboarding request (`returnTo`, `refreshTo`): exact https origins and app
     * schemes (`https://partners.example.com,umuvepro://`), canonicalised. Empty: no app may name one.
     */
    ALLOWED_RETURN_TARGETS: csv.default([]).pipe(
      z.array(
        z.string().transform((value, ctx) => {
          const entry = returnTargetEntry(value);
          if (entry === null) {
            ctx.addIssue({ code: 'custom', message: `${value}: ${RETURN_TARGET_ENTRY_HINT}` });
            return z.NEVER;
          }
          return entry;
        }),
      ),
    ),
    /**
     * Origins Checkout success/cancel URLs may point to (`https://shop.example.com`). Empty: the origins of APP_URL
     * and API_BASE_URL, i.e. only sites this deployment owns.
     */
    ALLOWED_REDIRECT_ORIGINS: csv.default([]),
    /** Platform-held earnings (commissions, admin-recorded) become available for a payout this many days later. */
    HOLDING_PERIOD_DAYS: z.coerce.number().int().min(0).max(365).default(7),
    /** Commission for a referring partner named in a platform charge's metadata, in basis points of the charge. */
    COMMISSION_BPS: z.coerce.number().int().min(0).max(10_000).default(1_000),
    /** Who bears Stripe's dispute fee when a dispute is lost: `platform` (absorbs it) or `partner` (netted). */
    DISPUTE_FEE_PAYER: z.enum(['platform', 'partner']).default('platform'),
    /**
     * Currencies the platform can send Transfers in besides each partner's own (its settlement currencies): money
     * recorded for a partner in any other currency is refused (`currency_not_payable`).
     */
    PAYOUT_CURRENCIES: csv.default([]),
    /**
     * Customer-set amounts (`POST /payments/intents` with `amount`: tips, donations). Off by default: anyone could
     * pay any amount, so prices come from listings and payment requests.
     */
    OPEN_AMOUNTS: z
      .enum(['true', 'false'])
      .default('false')
      .transform((value) => value === 'true'),
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
    /** The custom event bus domain events are published to (the outbox publisher). */
    EVENT_BUS_NAME: z.string().min(1).optional(),
    /** The queue of event deliveries to the platform's webhook endpoints (worker, and operators' redelivery). */
    EVENT_DELIVERY_QUEUE_URL: z.string().min(1).optional(),
    /** The queue of reconciliation steps (the daily schedule's start, then one message per step). */
    RECONCILIATION_QUEUE_URL: z.string().min(1).optional(),
    /** Local stack only: a fixed delay between delivery attempts instead of the 1 min … 6 h backoff. */
    EVENT_DELIVERY_RETRY_SECONDS: z.coerce.number().int().min(0).max(900).optional(),
    EVENTBRIDGE_ENDPOINT: z.url().optional(),
    /** The platform's name and the sender of partner emails (an SES-verified identity in AWS). */
    PLATFORM_NAME: z.string().min(1).max(100).default('connect-payouts'),
    EMAIL_FROM: z.string().min(3).max(254).default('payouts@example.com'),
    /** Local stack only: send email over SMTP (the capturing server) instead of SES. */
    SMTP_URL: z
      .string()
      .regex(/^smtps?:\/\//)
      .optional(),
    /**
     * The platform's launch month (`YYYY-MM`): payout runs name periods from it to the month after the current one.
     * Deployed stages always set it (stage key `launchMonth`); the default serves the local stack.
     */
    PLATFORM_LAUNCH_MONTH: z
      .string()
      .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'expected a month, YYYY-MM')
      .transform((value) => value as Period)
      .default('2000-01' as Period),
    /** Controller properties of new connected accounts: who pays Stripe's fees, who bears negative balances. */
    CONNECT_FEES_PAYER: z.enum(['account', 'application']).default('application'),
    CONNECT_LOSSES_PAYMENTS: z.enum(['application', 'stripe']).default('application'),
    /** Account Link `collection_options`: collect eventually_due fields and announced future requirements too. */
    ONBOARDING_COLLECT_FIELDS: z.enum(['currently_due', 'eventually_due']).default('eventually_due'),
    ONBOARDING_FUTURE_REQUIREMENTS: z.enum(['include', 'omit']).default('include'),
    /** `GET /admin/partners?attention=due_soon`: requirements deadlines within this many days. */
    REQUIREMENTS_DUE_SOON_DAYS: z.coerce.number().int().min(1).max(365).default(14),
    /** Embedded components partners may open through `POST /connect/account-session`. */
    ACCOUNT_SESSION_COMPONENTS: csv
      .default(['account_onboarding', 'notification_banner'])
      .pipe(z.array(z.enum(EMBEDDED_COMPONENTS))),
    /** Stripe publishable key (pk_…) handed to Connect.js; not a secret. Empty: embedded components are off. */
    STRIPE_PUBLISHABLE_KEY: z.union([z.string().regex(/^pk_(test|live)_[A-Za-z0-9_]+$/), z.literal('')]).default(''),
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
