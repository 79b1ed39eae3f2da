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
  ...partnerRoutes(),
  ...paymentRoutes(),
  ...payoutRunRoutes(),
];

/**
 * Payments, the platform webhook, the ledger and earnings (issue 5). Stripe's key only where Stripe is called
 * (creating payments, and the webhook, which re-reads each payment); reads are read-only on the table.
 */
/** The monthly payout run's operator routes (admin group). */
function payoutRunRoutes(): RouteDefinition[] {
  const path = '/admin/payout-runs';
  return [
    {
      name: 'start-payout-run',
      method: 'POST',
      path,
      handler: 'functions/api/start-payout-run.ts',
      auth: 'admin',
      access: { table: 'readwrite', payoutQueue: 'send' },
    },
    {
      name: 'list-payout-runs',
      method: 'GET',
      path,
      handler: 'functions/api/list-payout-runs.ts',
      auth: 'admin',
      access: { table: 'read' },
    },
    {
      name: 'get-payout-run',
      method: 'GET',
      path: `${path}/{runId}`,
      handler: 'functions/api/get-payout-run.ts',
      auth: 'admin',
      access: { table: 'read' },
    },
    {
      name: 'approve-payout-run',
      method: 'POST',
      path: `${path}/{runId}/approve`,
      handler: 'functions/api/approve-payout-run.ts',
      auth: 'admin',
      access: { table: 'readwrite', payoutQueue: 'send' },
    },
  ];
}

function paymentRoutes(): RouteDefinition[] {
  const stripeKey = ['stripeApiKey'] as const;
  return [
    {
      name: 'create-payment-intent',
      method: 'POST',
      path: '/payments/intents',
      handler: 'functions/api/create-payment-intent.ts',
      auth: 'partner',
      access: { table: 'readwrite', secrets: stripeKey },
    },
    {
      name: 'create-checkout-session',
      method: 'POST',
      path: '/payments/checkout-sessions',
      handler: 'functions/api/create-checkout-session.ts',
      auth: 'partner',
      access: { table: 'readwrite', secrets: stripeKey },
    },
    {
      name: 'platform-webhook',
      method: 'POST',
      path: '/webhooks/stripe',
      handler: 'functions/webhooks/platform.ts',
      auth: 'webhook',
      access: { table: 'readwrite', secrets: ['stripeApiKey', 'platformWebhookSecret'], payoutQueue: 'send' },
    },
    {
      name: 'list-earnings',
      method: 'GET',
      path: '/earnings',
      handler: 'functions/api/list-earnings.ts',
      auth: 'partner',
      // read-write: the caller's personal partner is created on first use (as on every partner route)
      access: { table: 'readwrite' },
    },
    {
      name: 'list-payouts',
      method: 'GET',
      path: '/payouts',
      handler: 'functions/api/list-payouts.ts',
      auth: 'partner',
      access: { table: 'readwrite' },
    },
    {
      name: 'record-earnings',
      method: 'POST',
      path: '/admin/earnings',
      handler: 'functions/api/record-earnings.ts',
      auth: 'admin',
      access: { table: 'readwrite' },
    },
    {
      name: 'list-payments-admin',
      method: 'GET',
      path: '/admin/payments',
      handler: 'functions/api/list-payments-admin.ts',
      auth: 'admin',
      access: { table: 'read' },
    },
    {
      name: 'get-order-admin',
      method: 'GET',
      path: '/admin/orders/{orderId}',
      handler: 'functions/api/get-order-admin.ts',
      auth: 'admin',
      access: { table: 'read' },
    },
    {
      name: 'set-fee-policy',
      method: 'PUT',
      path: '/admin/partners/{partnerId}/fee-policy',
      handler: 'functions/api/set-fee-policy.ts',
      auth: 'admin',
      access: { table: 'readwrite' },
    },
  ];
}

/**
 * Partners, teams, onboarding (issue 4). Grants: partner data is read-write for routes that may create the personal
 * partner on first use; Stripe's key only where Stripe is called; the state key only where onboarding URLs are
 * signed or verified; the user pool only where a member is looked up by email.
 */
function partnerRoutes(): RouteDefinition[] {
  const table = 'readwrite' as const;
  return [
    {
      name: 'list-my-partners',
      method: 'GET',
      path: '/partners',
      handler: 'functions/api/list-my-partners.ts',
      auth: 'partner',
      access: { table },
    },
    {
      name: 'create-team-partner',
      method: 'POST',
      path: '/partners',
      handler: 'functions/api/create-team-partner.ts',
      auth: 'partner',
      access: { table },
    },
    {
      name: 'get-my-partner',
      method: 'GET',
      path: '/partners/me',
      handler: 'functions/api/get-my-partner.ts',
      auth: 'partner',
      access: { table },
    },
    {
      name: 'set-payout-preference',
      method: 'PUT',
      path: '/partners/me/payout-preference',
      handler: 'functions/api/set-payout-preference.ts',
      auth: 'partner',
      access: { table },
    },
    {
      name: 'list-partner-members',
      method: 'GET',
      path: '/partners/{partnerId}/members',
      handler: 'functions/api/list-partner-members.ts',
      auth: 'partner',
      access: { table: 'read' },
    },
    {
      name: 'add-partner-member',
      method: 'POST',
      path: '/partners/{partnerId}/members',
      handler: 'functions/api/add-partner-member.ts',
      auth: 'partner',
      access: { table, userPool: 'read' },
    },
    {
      name: 'remove-partner-member',
      method: 'DELETE',
      path: '/partners/{partnerId}/members/{userSub}',
      handler: 'functions/api/remove-partner-member.ts',
      auth: 'partner',
      access: { table },
    },
    {
      name: 'create-connect-account',
      method: 'POST',
      path: '/connect/account',
      handler: 'functions/api/create-connect-account.ts',
      auth: 'partner',
      access: { table, secrets: ['stripeApiKey'] },
    },
    {
      name: 'create-onboarding-link',
      method: 'POST',
      path: '/connect/onboarding-link',
      handler: 'functions/api/create-onboarding-link.ts',
      auth: 'partner',
      access: { table, secrets: ['stripeApiKey', 'stateSigningKey'] },
    },
    {
      name: 'connect-refresh',
      method: 'GET',
      path: '/connect/refresh',
      handler: 'functions/api/connect-refresh.ts',
      auth: 'public',
      // readwrite: every Stripe request reserves its start time in the rate budgets kept in the table.
      access: { table, secrets: ['stripeApiKey', 'stateSigningKey'] },
    },
    {
      name: 'connect-return',
      method: 'GET',
      path: '/connect/return',
      handler: 'functions/api/connect-return.ts',
      auth: 'public',
      access: { table, secrets: ['stripeApiKey', 'stateSigningKey'] },
    },
    {
      name: 'get-connect-status',
      method: 'GET',
      path: '/connect/status',
      handler: 'functions/api/get-connect-status.ts',
      auth: 'partner',
      access: { table, secrets: ['stripeApiKey'] },
    },
    {
      name: 'create-dashboard-link',
      method: 'POST',
      path: '/connect/dashboard-link',
      handler: 'functions/api/create-dashboard-link.ts',
      auth: 'partner',
      access: { table, secrets: ['stripeApiKey'] },
    },
    {
      name: 'list-connected-payouts',
      method: 'GET',
      path: '/connect/payouts',
      handler: 'functions/api/list-connected-payouts.ts',
      auth: 'partner',
      access: { table },
    },
    {
      name: 'list-partners-admin',
      method: 'GET',
      path: '/admin/partners',
      handler: 'functions/api/list-partners-admin.ts',
      auth: 'admin',
      access: { table: 'read' },
    },
    {
      name: 'connect-webhook',
      method: 'POST',
      path: '/webhooks/stripe/connect',
      handler: 'functions/webhooks/connect.ts',
      auth: 'webhook',
      access: { table, secrets: ['stripeApiKey', 'connectWebhookSecret'] },
    },
  ];
}

/** Scheduled and queue-driven functions (not behind API Gateway). */
export interface JobDefinition {
  readonly name: string;
  readonly handler: string;
  readonly trigger: 'schedule' | 'payout-queue';
  readonly access: Access;
}

/**
 * Payout messages per worker invocation (the SQS event source's batch size). The worker reserves this many Stripe
 * rate-budget start times per write, one per payout of a batch.
 */
export const PAYOUT_BATCH_SIZE = 10;

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
    access: { table: 'readwrite', secrets: ['stripeApiKey'], payoutQueue: 'send' },
  },
];
