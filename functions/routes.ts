/**
 * The API's route table: the single source for API Gateway (lib/payouts-stack.ts) and the local API server
 * (local/api-gateway.ts). One route = one Lambda. `handler` is the entry file relative to the repository root;
 * every entry exports `handler`.
 *
 * auth:
 * - public:  no authorizer (health, onboarding redirects)
 * - webhook: no authorizer; the handler verifies the Stripe signature on the raw body
 * - partner: Cognito User Pools authorizer; any signed-in user
 * - admin:   Cognito User Pools authorizer; the handler also requires the `admin` group
 */
export type RouteAuth = 'public' | 'webhook' | 'partner' | 'admin';
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Secrets a function may read (Secrets Manager in AWS); see functions/config.ts. */
export type SecretName = 'stripeApiKey' | 'platformWebhookSecret' | 'connectWebhookSecret' | 'stateSigningKey';

/** What a function may touch. The stack grants exactly this and nothing else (least privilege per function). */
export interface Access {
  readonly table?: 'read' | 'readwrite';
  readonly secrets?: readonly SecretName[];
  readonly payoutQueue?: 'send';
  /** Read users of the user pool (e.g. to add a team member by email). */
  readonly userPool?: 'read';
}

export interface RouteDefinition {
  /** Stable name, used for the Lambda's construct id and metrics. */
  readonly name: string;
  readonly method: HttpMethod;
  /** API Gateway resource path, `{param}` for path parameters. */
  readonly path: string;
  readonly handler: string;
  readonly auth: RouteAuth;
  readonly access: Access;
}

export const ROUTES: readonly RouteDefinition[] = [
  { name: 'health', method: 'GET', path: '/health', handler: 'functions/api/health.ts', auth: 'public', access: {} },
  { name: 'get-me', method: 'GET', path: '/me', handler: 'functions/api/get-me.ts', auth: 'partner', access: {} },
];

/** Scheduled and queue-driven functions (not behind API Gateway). */
export interface JobDefinition {
  readonly name: string;
  readonly handler: string;
  readonly trigger: 'schedule' | 'payout-queue';
  readonly access: Access;
}

export const JOBS: readonly JobDefinition[] = [
  {
    name: 'plan-monthly-payouts',
    handler: 'functions/jobs/plan-monthly-payouts.ts',
    trigger: 'schedule',
    access: { table: 'readwrite', payoutQueue: 'send' },
  },
  {
    name: 'send-payout',
    handler: 'functions/jobs/send-payout.ts',
    trigger: 'payout-queue',
    access: { table: 'readwrite', secrets: ['stripeApiKey'] },
  },
];
