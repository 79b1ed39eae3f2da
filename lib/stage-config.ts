import { z } from 'zod';
import { StripeRateLimitsSchema } from '#config';
import { isCurrency } from '#core/money';
import { EMBEDDED_COMPONENTS } from '#core/onboarding';
import { RETURN_TARGET_ENTRY_HINT, returnTargetEntry } from '#core/return-targets';

/**
 * Stage configuration, read from CDK context and validated once, before any construct exists, so a typo in
 * `-c platformFeeBps=1o0` fails the synth with a message naming the key instead of deploying a wrong value.
 *
 * Precedence for every key: `-c key=value` on the command line (or a top-level key in cdk.json) >
 * `stages.<stage>.<key>` in cdk.json > the stage default below. docs/configuration.md documents each key.
 */
export const STAGES = ['dev', 'prod'] as const;
export type StageName = (typeof STAGES)[number];

/** Context values arrive as strings from `-c`, and as JSON values from cdk.json: accept both. */
const bool = z.union([z.boolean(), z.enum(['true', 'false']).transform((value) => value === 'true')]);

const csvList = z.union([
  z.array(z.string()),
  z.string().transform((value) =>
    value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  ),
]);

/** EventBridge cron: six fields (minutes hours day-of-month month day-of-week year), without the `cron(...)`. */
const eventBridgeCron = z
  .string()
  .trim()
  .refine((value) => value.split(/\s+/).length === 6, {
    message: 'expected an EventBridge cron with 6 fields, e.g. "0 6 1 * ? *" (minutes hours day month weekday year)',
  });

export const StageConfigSchema = z
  .object({
    stage: z.enum(STAGES),
    /** The platform's web app; partners return here after onboarding and it is the only CORS origin. */
    appUrl: z.union([z.url({ protocol: /^https?$/ }), z.literal('')]),
    /** The API's public base URL when a custom domain fronts it; otherwise derived from the RestApi. */
    apiBaseUrl: z.url({ protocol: /^https$/ }).optional(),
    platformFeeBps: z.coerce.number().int().min(0).max(10_000),
    payoutScheduleCron: eventBridgeCron,
    defaultCountry: z
      .string()
      .length(2)
      .transform((value) => value.toUpperCase()),
    defaultCurrency: z
      .string()
      .length(3)
      .transform((value) => value.toLowerCase()),
    allowedCountries: csvList.pipe(
      z
        .array(
          z
            .string()
            .length(2)
            .transform((value) => value.toUpperCase()),
        )
        .min(1),
    ),
    apiThrottleRateLimit: z.coerce.number().positive(),
    apiThrottleBurstLimit: z.coerce.number().int().positive(),
    alarmEmail: z.email().optional(),
    /** An existing SNS topic (e.g. the account's on-call topic) that receives every alarm, instead of or with alarmEmail. */
    alarmTopicArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, 'expected an SNS topic ARN')
      .optional(),
    /** Source addresses Stripe sends webhooks from (docs.stripe.com/ips); the WAF lets only these reach the webhooks. */
    stripeWebhookIps: csvList.pipe(
      z
        .array(
          z
            .string()
            .regex(/^\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?$/, 'expected an IPv4 address or CIDR, e.g. 3.18.12.63')
            .transform((value) => (value.includes('/') ? value : `${value}/32`)),
        )
        .min(1),
    ),
    /** WAF: requests per IP in any 5 minutes before that IP is blocked (Stripe's webhook addresses are exempt). */
    wafRateLimitPerIp: z.coerce.number().int().min(10).max(2_000_000_000),
    /** Per-method throttling of the public routes (health, onboarding redirects), requests/s and burst. */
    publicThrottleRateLimit: z.coerce.number().positive(),
    publicThrottleBurstLimit: z.coerce.number().int().positive(),
    /** Per-method throttling of each Stripe webhook route. */
    webhookThrottleRateLimit: z.coerce.number().positive(),
    webhookThrottleBurstLimit: z.coerce.number().int().positive(),
    /**
     * Reserved concurrency: the payout worker keeps payoutWorkerMaxConcurrency, each webhook webhookReservedConcurrency
     * and each public route is capped at publicReservedConcurrency. false for accounts whose concurrency quota is too
     * small to reserve any (new accounts start at 10).
     */
    reservedConcurrency: bool,
    webhookReservedConcurrency: z.coerce.number().int().min(1).max(1000),
    publicReservedConcurrency: z.coerce.number().int().min(1).max(1000),
    /** A custom domain for the API (TLS 1.2 minimum); the default execute-api endpoint is then turned off. */
    domainName: z
      .string()
      .regex(
        /^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
        'expected a domain name, e.g. api.example.com',
      )
      .optional(),
    /** ACM certificate for domainName, in the stack's region. */
    domainCertificateArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/, 'expected an ACM certificate ARN')
      .optional(),
    /**
     * Cognito's mail and the partner emails are sent through SES from this verified address (the default Cognito
     * sender has a small daily quota; without it partner emails cannot be sent and land in their dead-letter queue).
     */
    sesFromEmail: z.email().optional(),
    /** The platform's name in partner emails. */
    platformName: z.string().min(1).max(100).default('connect-payouts'),
    /** Region of the SES identity of sesFromEmail. */
    sesRegion: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected a region, e.g. eu-west-1')
      .optional(),
    /** Cognito MFA: `required` satisfies AwsSolutions-COG2; `optional` lets users opt in to TOTP. */
    mfa: z.enum(['optional', 'required']),
    /** Cognito feature plan; `plus` turns on threat protection (AwsSolutions-COG8) at a per-user cost. */
    cognitoFeaturePlan: z.enum(['essentials', 'plus']),
    /** Let anyone register in the user pool; off means operators invite partners. */
    selfSignUp: bool,
    /** X-Ray active tracing on every function. */
    tracing: bool,
    /** Upper bound of concurrent payout workers (Stripe rate budget); SQS event sources accept 2..1000. */
    payoutWorkerMaxConcurrency: z.coerce.number().int().min(2).max(1000),
    logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']),
    /** The platform's own country; connected accounts elsewhere get the cross-border recipient agreement. */
    platformCountry: z
      .string()
      .length(2)
      .transform((value) => value.toUpperCase()),
    /** Floor of every platform fee, in minor units of the charge currency (0 = none). */
    platformMinimumFee: z.coerce.number().int().min(0).max(99_999_999),
    /** Commission of a referring partner named in a platform charge's metadata, in basis points. */
    commissionBps: z.coerce.number().int().min(0).max(10_000),
    /**
     * Customer-set amounts (`POST /payments/intents` with `amount`, for tips and donations). Off by default: with it
     * on, any signed-in customer chooses what a partner is paid.
     */
    openAmounts: bool,
    /**
     * Host the web app (web/): a private S3 bucket behind CloudFront, config.json written at deploy, Cognito
     * managed login (authorization code + PKCE) for it. Without an appUrl, the distribution's URL is the app's.
     */
    webApp: bool,
    /** The managed login domain prefix (`<prefix>.auth.<region>.amazoncognito.com`); default from stage and account. */
    authDomainPrefix: z
      .string()
      .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'lower-case letters, digits and hyphens')
      .optional(),
    /** Extra origins Checkout success/cancel URLs may point to; empty = only appUrl's and the API's origins. */
    allowedRedirectOrigins: csvList.pipe(
      z.array(
        z
          .url({ protocol: /^https?$/ })
          .refine(
            (value) => new URL(value).origin === value.replace(/\/+$/, ''),
            'expected an origin, e.g. https://shop.example.com',
          ),
      ),
    ),
    /**
     * Where the platform's own apps may ask onboarding to end, per request (`returnTo`/`refreshTo` of
     * `POST /connect/onboarding-link` and `POST /connect/account-session`): exact https origins and app schemes,
     * e.g. `https://partners.example.com,umuvepro://`. Empty: no app may name a target.
     */
    allowedReturnTargets: csvList.pipe(
      z.array(
        z
          .string()
          .refine((value) => returnTargetEntry(value) !== null, RETURN_TARGET_ENTRY_HINT)
          .transform((value) => returnTargetEntry(value) ?? value),
      ),
    ),
    /** `GET /connect/status?refresh=true` reads Stripe at most once per this many seconds per partner. */
    statusRefreshIntervalSeconds: z.coerce.number().int().min(1).max(3600),
    /** Lifetime of the signed state in onboarding refresh/return URLs. */
    onboardingStateTtlSeconds: z.coerce.number().int().min(60).max(3_600),
    /** `/connect/refresh` mints at most one Account Link per partner per this many seconds. */
    onboardingRefreshIntervalSeconds: z.coerce.number().int().min(1).max(3_600),
    /** Days after which platform-held earnings become available to a payout run. */
    holdingPeriodDays: z.coerce.number().int().min(0).max(365),
    /** Minimum payout per currency, `usd:1000,eur:1000` (minor units); other currencies use payoutDefaultMinimum. */
    payoutMinimums: csvList.pipe(
      z.array(
        z
          .string()
          .regex(/^[a-z]{3}:\d+$/i, 'expected currency:amount in minor units, e.g. usd:1000')
          .transform((value) => value.toLowerCase())
          .refine(
            (value) => isCurrency(value.split(':')[0] ?? ''),
            'unsupported currency (see functions/core/money.ts)',
          ),
      ),
    ),
    payoutDefaultMinimum: z.coerce.number().int().min(1),
    /**
     * Currencies the platform holds balances in and can send Transfers in, besides each partner's own currency:
     * earnings and adjustments in any other currency are refused (`currency_not_payable`). Empty: only the partner's.
     */
    payoutCurrencies: csvList.pipe(
      z.array(
        z
          .string()
          .transform((value) => value.toLowerCase())
          .refine((value) => isCurrency(value), 'unsupported currency (see functions/core/money.ts)'),
      ),
    ),
    /** Who bears Stripe's dispute fee when a dispute is lost: the platform absorbs it, or the partner pays it. */
    disputeFeePayer: z.enum(['platform', 'partner']),
    /** Runs wait as awaiting_approval until an admin approves them. */
    payoutRequireApproval: bool,
    /**
     * Stripe's rate limits for the account once Stripe raised them: `{ global?, endpoints?, interactiveShare? }`
     * (a JSON object in cdk.json, or a JSON string with `-c`). Unset = Stripe's documented defaults.
     */
    stripeRateLimits: z
      .unknown()
      .transform((value, ctx) => {
        if (typeof value !== 'string') return value;
        try {
          return JSON.parse(value) as unknown;
        } catch {
          ctx.addIssue({ code: 'custom', message: 'expected JSON, e.g. {"endpoints":{"POST /v1/transfers":100}}' });
          return z.NEVER;
        }
      })
      .pipe(StripeRateLimitsSchema)
      .optional(),
    /** The platform's launch month: payout runs name periods from it to the month after the current one. */
    launchMonth: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'expected a month, YYYY-MM'),
    /** Partners planned per planner message; each page is one short invocation. */
    payoutPlanningPageSize: z.coerce.number().int().min(1).max(1_000),
    /** Keep data (table, user pool, secrets, logs) when the stack is deleted, and turn on deletion protection. */
    retainData: bool,
    /** Connected accounts' controller: who pays Stripe's fees (`application` = the platform, `account` = partner). */
    connectFeesPayer: z.enum(['account', 'application']),
    /** Who bears negative balances the account cannot repay (`application` = the platform, or `stripe`). */
    connectLossesPayments: z.enum(['application', 'stripe']),
    /** Account Links collect `currently_due` only, or `eventually_due` (everything, fewer interruptions later). */
    onboardingCollectFields: z.enum(['currently_due', 'eventually_due']),
    /** Account Links also collect requirements Stripe announced ahead of their deadline. */
    onboardingFutureRequirements: z.enum(['include', 'omit']),
    /** `GET /admin/partners?attention=due_soon`: requirements deadlines within this many days. */
    requirementsDueSoonDays: z.coerce.number().int().min(1).max(365),
    /** Connect embedded components partners may open through `POST /connect/account-session`. */
    accountSessionComponents: csvList.pipe(z.array(z.enum(EMBEDDED_COMPONENTS)).min(1)),
    /** Publishable key for Connect.js (not a secret); empty turns embedded components off. */
    stripePublishableKey: z.union([z.string().regex(/^pk_(test|live)_[A-Za-z0-9_]+$/), z.literal('')]),
    /** How Stripe events arrive: signed webhooks, or Stripe's partner event source on EventBridge (then SQS). */
    stripeEvents: z.enum(['webhooks', 'eventbridge']),
    /** The partner event source Stripe created in the account, `aws.partner/stripe.com/ed_…` (eventbridge only). */
    stripeEventSourceName: z
      .string()
      .regex(/^aws\.partner\/stripe\.com\/[A-Za-z0-9_.-]+$/, 'expected aws.partner/stripe.com/<destination id>')
      .optional(),
  })
  .refine((config) => config.allowedCountries.includes(config.defaultCountry), {
    path: ['allowedCountries'],
    message: 'must include defaultCountry',
  })
  .superRefine((config, ctx) => {
    if ((config.domainName === undefined) !== (config.domainCertificateArn === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['domainName'],
        message: 'domainName and domainCertificateArn go together',
      });
    }
    if ((config.sesFromEmail === undefined) !== (config.sesRegion === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['sesFromEmail'], message: 'sesFromEmail and sesRegion go together' });
    }
    if (config.stage !== 'prod') return;
    // A production stack must reach a human and send partners back to a real app.
    if (config.alarmEmail === undefined && config.alarmTopicArn === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['alarmEmail'],
        message:
          'prod needs an alarm destination: -c alarmEmail=ops@example.com or -c alarmTopicArn=arn:aws:sns:<region>:<account>:<topic>',
      });
    }
    if (config.appUrl === '') {
      ctx.addIssue({
        code: 'custom',
        path: ['appUrl'],
        message: "prod needs the platform's web app: -c appUrl=https://app.example.com",
      });
    }
  })
  .refine((config) => config.stripeEvents === 'webhooks' || config.stripeEventSourceName !== undefined, {
    path: ['stripeEventSourceName'],
    message: 'required when stripeEvents is eventbridge (the partner event source Stripe created)',
  });

export type StageConfig = z.infer<typeof StageConfigSchema>;
export type StageConfigInput = z.input<typeof StageConfigSchema>;
export const CONTEXT_KEYS = Object.keys(StageConfigSchema.shape).filter((key) => key !== 'stage');

const COMMON_DEFAULTS = {
  appUrl: '',
  platformFeeBps: 1_000,
  // 06:00 UTC on the 1st of every month.
  payoutScheduleCron: '0 6 1 * ? *',
  defaultCountry: 'US',
  defaultCurrency: 'usd',
  allowedCountries: ['US'],
  cognitoFeaturePlan: 'essentials',
  selfSignUp: false,
  tracing: true,
  // Stripe's published webhook source addresses (docs.stripe.com/ips, ips_webhooks.txt); refresh before going live.
  stripeWebhookIps: [
    '3.18.12.63',
    '3.69.109.8',
    '3.120.168.93',
    '3.130.192.231',
    '13.235.14.237',
    '13.235.122.149',
    '18.211.135.69',
    '35.154.171.200',
    '35.157.207.129',
    '52.15.183.38',
    '54.88.130.119',
    '54.88.130.237',
    '54.187.174.169',
    '54.187.205.235',
    '54.187.216.72',
  ],
  reservedConcurrency: true,
  // 5 workers x 10 records in flight / ~0.3-0.4 s per Stripe call + our writes ≈ 125-165 requests/s of capacity: enough
  // to keep a raised transfers limit (100/s) busy; the shared rate budgets, not the concurrency, hold the pace.
  payoutWorkerMaxConcurrency: 5,
  platformCountry: 'US',
  platformMinimumFee: 0,
  commissionBps: 1_000,
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
  launchMonth: '2026-01',
  connectFeesPayer: 'application',
  connectLossesPayments: 'application',
  onboardingCollectFields: 'eventually_due',
  onboardingFutureRequirements: 'include',
  requirementsDueSoonDays: 14,
  accountSessionComponents: ['account_onboarding', 'notification_banner'],
  stripePublishableKey: '',
  stripeEvents: 'webhooks',
} satisfies Partial<StageConfigInput>;

export const STAGE_DEFAULTS: Record<StageName, Omit<StageConfigInput, 'stage'>> = {
  dev: {
    ...COMMON_DEFAULTS,
    apiThrottleRateLimit: 10,
    apiThrottleBurstLimit: 20,
    publicThrottleRateLimit: 2,
    publicThrottleBurstLimit: 5,
    webhookThrottleRateLimit: 5,
    webhookThrottleBurstLimit: 10,
    wafRateLimitPerIp: 300,
    webhookReservedConcurrency: 5,
    publicReservedConcurrency: 2,
    mfa: 'optional',
    logLevel: 'DEBUG',
    retainData: false,
  },
  prod: {
    ...COMMON_DEFAULTS,
    apiThrottleRateLimit: 100,
    apiThrottleBurstLimit: 200,
    publicThrottleRateLimit: 10,
    publicThrottleBurstLimit: 20,
    webhookThrottleRateLimit: 50,
    webhookThrottleBurstLimit: 100,
    wafRateLimitPerIp: 1_000,
    webhookReservedConcurrency: 25,
    publicReservedConcurrency: 5,
    mfa: 'required',
    logLevel: 'INFO',
    retainData: true,
  },
};

/** The subset of a construct node this module needs, so tests can pass a plain object. */
export interface ContextSource {
  tryGetContext(key: string): unknown;
}

/** The former single budget key: refused with a pointer to its replacement rather than silently ignored. */
const LEGACY_RATE_KEY = 'stripeRequestsPerSecond';

/** Reads `stage` and every key of the schema from context, applies stage defaults, and validates. */
export function loadStageConfig(context: ContextSource): StageConfig {
  const stage = z.enum(STAGES).safeParse(context.tryGetContext('stage') ?? 'dev');
  if (!stage.success) {
    throw new Error(`Invalid context "stage": expected one of ${STAGES.join(', ')}`);
  }
  if (
    context.tryGetContext(LEGACY_RATE_KEY) !== undefined ||
    legacyInStages(context.tryGetContext('stages'), stage.data)
  ) {
    throw new Error(
      `Invalid stage configuration for "${stage.data}": ${LEGACY_RATE_KEY} was replaced by stripeRateLimits, which declares Stripe's limits (not a budget): e.g. {"global":100,"endpoints":{"POST /v1/transfers":100}} — see docs/configuration.md`,
    );
  }
  const perStage = readStagesBlock(context.tryGetContext('stages'))[stage.data] ?? {};
  const input: Record<string, unknown> = { ...STAGE_DEFAULTS[stage.data], ...perStage, stage: stage.data };
  for (const key of CONTEXT_KEYS) {
    const value = context.tryGetContext(key);
    if (value !== undefined) input[key] = value;
  }
  // `-c alarmEmail=` is the way to unset an optional value from the command line.
  for (const key of [
    'alarmEmail',
    'alarmTopicArn',
    'apiBaseUrl',
    'stripeRateLimits',
    'domainName',
    'domainCertificateArn',
    'sesFromEmail',
    'sesRegion',
    'stripeEventSourceName',
  ]) {
    if (input[key] === '') delete input[key];
  }
  const result = StageConfigSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new Error(`Invalid stage configuration for "${stage.data}": ${problems.join('; ')}`);
  }
  return result.data;
}

function legacyInStages(value: unknown, stage: StageName): boolean {
  const block = (value as Record<string, Record<string, unknown> | undefined> | undefined)?.[stage];
  return typeof block === 'object' && block !== null && LEGACY_RATE_KEY in block;
}

function readStagesBlock(value: unknown): Partial<Record<StageName, Record<string, unknown>>> {
  if (value === undefined) return {};
  const parsed = z.partialRecord(z.enum(STAGES), z.record(z.string(), z.unknown())).safeParse(value);
  if (!parsed.success) {
    throw new Error('Invalid context "stages": expected { "dev": { ... }, "prod": { ... } }');
  }
  for (const [stage, values] of Object.entries(parsed.data)) {
    const unknown = Object.keys(values ?? {}).filter((key) => !CONTEXT_KEYS.includes(key));
    if (unknown.length > 0) {
      throw new Error(`Unknown key(s) in context "stages.${stage}": ${unknown.join(', ')}`);
    }
  }
  return parsed.data;
}
