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

/** Secrets a function may read (Secrets Manager in AWS); see functions/config.ts. Stripe keys are `Access.stripe`. */
export type SecretName = 'platformWebhookSecret' | 'connectWebhookSecret' | 'stateSigningKey';

/**
 * The restricted Stripe key a function uses, one per capability, each its own secret (docs/runbooks/secret-rotation.md
 * lists the Stripe permissions of each):
 * - onboarding: create Express accounts, Account Links and login links, read accounts
 * - payments:   create PaymentIntents and Checkout Sessions
 * - transfers:  create and list Transfers (the payout worker)
 * - readonly:   read accounts, PaymentIntents, charges, Checkout Sessions (webhook re-reads, status)
 * - settlement: the platform webhook: the reads above, plus the transfers it makes as payments settle (one per seller
 *               of a multi-seller cart) and their reversals (refunds, lost disputes)
 * The function sees its key as STRIPE_API_KEY_SECRET_NAME; the local stack gives every capability the same key.
 */
export type StripeKey = 'onboarding' | 'payments' | 'transfers' | 'readonly' | 'settlement';
export const STRIPE_KEYS = [
  'onboarding',
  'payments',
  'transfers',
  'readonly',
  'settlement',
] as const satisfies readonly StripeKey[];

/**
 * DynamoDB access: `read` (GetItem, BatchGetItem, Query, ConditionCheckItem), `readwrite` (adds PutItem and UpdateItem,
 * which with ConditionCheckItem is all a TransactWriteItems of puts, updates and checks needs), `readwrite-delete`
 * (adds DeleteItem). lib/grants.ts holds the exact action sets.
 */
export type TableAccess = 'read' | 'readwrite' | 'readwrite-delete';

/** What a function may touch. The stack grants exactly this and nothing else (least privilege per function). */
export interface Access {
  readonly table?: TableAccess;
  readonly secrets?: readonly SecretName[];
  /** The one restricted Stripe key this function calls Stripe with; none = the function never calls Stripe. */
  readonly stripe?: StripeKey;
  readonly payoutQueue?: 'send';
  /** Read users of the user pool (no route needs it today: members join by invitation). */
  readonly userPool?: 'read';
  /** Send to the event delivery queue (operators' redelivery). */
  readonly eventDeliveryQueue?: 'send';
  /** Send to the reconciliation queue (each step queues the next). */
  readonly reconciliationQueue?: 'send';
  /** Put domain events on the stage's event bus (the outbox publisher). */
  readonly eventBus?: 'put';
  /** Send email through SES from the configured sender (partner emails). */
  readonly email?: 'send';
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
  {
    name: 'get-openapi',
    method: 'GET',
    path: '/openapi.json',
    handler: 'functions/api/get-openapi.ts',
    auth: 'public',
    access: {},
  },
  ...partnerRoutes(),
  ...paymentRoutes(),
  ...salesRoutes(),
  ...payoutRunRoutes(),
  ...eventRoutes(),
  {
    name: 'get-notification-preferences',
    method: 'GET',
    path: '/partners/me/notifications',
    handler: 'functions/api/get-notification-preferences.ts',
    auth: 'partner',
    access: { table: 'read' },
  },
  {
    name: 'set-notification-preferences',
    method: 'PUT',
    path: '/partners/me/notifications',
    handler: 'functions/api/set-notification-preferences.ts',
    auth: 'partner',
    access: { table: 'readwrite' },
  },
  ...operatorRoutes(),
];

/** The platform's webhook endpoints and the domain events delivered to them (admin group). */
function eventRoutes(): RouteDefinition[] {
  const endpoints = '/admin/webhook-endpoints';
  const route = (name: string, method: HttpMethod, path: string, access: Access): RouteDefinition => ({
    name,
    method,
    path,
    handler: `functions/api/${name}.ts`,
    auth: 'admin',
    access,
  });
  return [
    route('create-webhook-endpoint', 'POST', endpoints, { table: 'readwrite' }),
    route('list-webhook-endpoints', 'GET', endpoints, { table: 'read' }),
    route('delete-webhook-endpoint', 'DELETE', `${endpoints}/{endpointId}`, { table: 'readwrite-delete' }),
    route('rotate-webhook-secret', 'POST', `${endpoints}/{endpointId}/rotate-secret`, { table: 'readwrite' }),
    route('list-events-admin', 'GET', '/admin/events', { table: 'read' }),
    route('get-event-admin', 'GET', '/admin/events/{eventId}', { table: 'read' }),
    route('redeliver-event', 'POST', '/admin/events/{eventId}/redeliver', {
      table: 'read',
      eventDeliveryQueue: 'send',
    }),
    // The daily reconciliation's report and discrepancies for one day (`?format=csv`: the discrepancies).
    route('get-reconciliation', 'GET', '/admin/reconciliation/{date}', { table: 'read' }),
  ];
}

/**
 * What partners sell at their own prices: listings (public reads), payment requests (readable with their id), and
 * the customer's own orders. Stripe's key only where a payment request is paid.
 */
function salesRoutes(): RouteDefinition[] {
  const route = (name: string, method: HttpMethod, path: string, auth: RouteAuth, access: Access): RouteDefinition => ({
    name,
    method,
    path,
    handler: `functions/api/${name}.ts`,
    auth,
    access,
  });
  return [
    // read-write: the caller's personal partner is created on first use (as on every partner route)
    route('create-listing', 'POST', '/listings', 'partner', { table: 'readwrite' }),
    route('get-listing', 'GET', '/listings/{listingId}', 'public', { table: 'read' }),
    route('update-listing', 'PATCH', '/listings/{listingId}', 'partner', { table: 'readwrite' }),
    route('archive-listing', 'DELETE', '/listings/{listingId}', 'partner', { table: 'readwrite' }),
    route('list-partner-listings', 'GET', '/partners/{partnerId}/listings', 'public', { table: 'read' }),
    route('get-order', 'GET', '/orders/{orderId}', 'partner', { table: 'read' }),
    route('create-payment-request', 'POST', '/payment-requests', 'partner', { table: 'readwrite' }),
    route('list-payment-requests', 'GET', '/payment-requests', 'partner', { table: 'readwrite' }),
    route('get-payment-request', 'GET', '/payment-requests/{paymentRequestId}', 'public', { table: 'read' }),
    route('cancel-payment-request', 'POST', '/payment-requests/{paymentRequestId}/cancel', 'partner', {
      table: 'readwrite',
    }),
    route('pay-payment-request-checkout', 'POST', '/payment-requests/{paymentRequestId}/checkout', 'partner', {
      table: 'readwrite',
      stripe: 'payments',
    }),
    route('pay-payment-request-intent', 'POST', '/payment-requests/{paymentRequestId}/intent', 'partner', {
      table: 'readwrite',
      stripe: 'payments',
    }),
  ];
}

/**
 * Operator controls over a partner's money (admin group): payout holds, adjustments, excluding a payout before it is
 * sent, keeping a reversed payout's money. Each writes the change and the record of who did it and why.
 */
function operatorRoutes(): RouteDefinition[] {
  const route = (name: string, method: HttpMethod, path: string, table: 'read' | 'readwrite'): RouteDefinition => ({
    name,
    method,
    path,
    handler: `functions/api/${name}.ts`,
    auth: 'admin',
    access: { table },
  });
  return [
    route('get-partner-admin', 'GET', '/admin/partners/{partnerId}', 'read'),
    route('set-payout-hold', 'PUT', '/admin/partners/{partnerId}/payout-hold', 'readwrite'),
    route('lift-payout-hold', 'DELETE', '/admin/partners/{partnerId}/payout-hold', 'readwrite'),
    route('record-adjustment', 'POST', '/admin/adjustments', 'readwrite'),
    route('exclude-payout', 'POST', '/admin/payouts/{payoutId}/exclude', 'readwrite'),
    route('keep-payout-reversal', 'POST', '/admin/payouts/{payoutId}/reversal-final', 'readwrite'),
  ];
}

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

/**
 * Payments, the platform webhook, the ledger and earnings. Stripe's key only where Stripe is called
 * (creating payments, and the webhook, which re-reads each payment); reads are read-only on the table.
 */
function paymentRoutes(): RouteDefinition[] {
  return [
    {
      name: 'create-payment-intent',
      method: 'POST',
      path: '/payments/intents',
      handler: 'functions/api/create-payment-intent.ts',
      auth: 'partner',
      access: { table: 'readwrite', stripe: 'payments' },
    },
    {
      name: 'create-checkout-session',
      method: 'POST',
      path: '/payments/checkout-sessions',
      handler: 'functions/api/create-checkout-session.ts',
      auth: 'partner',
      access: { table: 'readwrite', stripe: 'payments' },
    },
    {
      name: 'platform-webhook',
      method: 'POST',
      path: '/webhooks/stripe',
      handler: 'functions/webhooks/platform.ts',
      auth: 'webhook',
      access: { table: 'readwrite', stripe: 'settlement', secrets: ['platformWebhookSecret'], payoutQueue: 'send' },
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
      name: 'list-orders-admin',
      method: 'GET',
      path: '/admin/orders',
      handler: 'functions/api/list-orders-admin.ts',
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
      // delete: clearing the override removes the partner's fee policy item
      access: { table: 'readwrite-delete' },
    },
  ];
}

/**
 * Partners, teams, onboarding. Grants: partner data is read-write for routes that may create the personal
 * partner on first use; Stripe's key only where Stripe is called; the state key only where onboarding URLs are
 * signed or verified. Members join by invitation (no route looks users up in the pool).
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
      name: 'set-contact-email',
      method: 'PUT',
      path: '/partners/{partnerId}/contact-email',
      handler: 'functions/api/set-contact-email.ts',
      auth: 'partner',
      access: { table },
    },
    {
      name: 'create-invitation',
      method: 'POST',
      path: '/partners/{partnerId}/invitations',
      handler: 'functions/api/create-invitation.ts',
      auth: 'partner',
      access: { table },
    },
    {
      name: 'list-invitations',
      method: 'GET',
      path: '/partners/{partnerId}/invitations',
      handler: 'functions/api/list-invitations.ts',
      auth: 'partner',
      access: { table: 'read' },
    },
    {
      name: 'revoke-invitation',
      method: 'DELETE',
      path: '/partners/{partnerId}/invitations/{invitationId}',
      handler: 'functions/api/revoke-invitation.ts',
      auth: 'partner',
      access: { table },
    },
    {
      name: 'accept-invitation',
      method: 'POST',
      path: '/invitations/{token}/accept',
      handler: 'functions/api/accept-invitation.ts',
      auth: 'partner',
      access: { table },
    },
    {
      name: 'remove-partner-member',
      method: 'DELETE',
      path: '/partners/{partnerId}/members/{userSub}',
      handler: 'functions/api/remove-partner-member.ts',
      auth: 'partner',
      access: { table: 'readwrite-delete' },
    },
    {
      name: 'create-connect-account',
      method: 'POST',
      path: '/connect/account',
      handler: 'functions/api/create-connect-account.ts',
      auth: 'partner',
      access: { table, stripe: 'onboarding' },
    },
    {
      name: 'create-onboarding-link',
      method: 'POST',
      path: '/connect/onboarding-link',
      handler: 'functions/api/create-onboarding-link.ts',
      auth: 'partner',
      access: { table, stripe: 'onboarding', secrets: ['stateSigningKey'] },
    },
    {
      name: 'create-account-session',
      method: 'POST',
      path: '/connect/account-session',
      handler: 'functions/api/create-account-session.ts',
      auth: 'partner',
      // the state key: with `returnTo`, the answer carries a signed return URL
      access: { table, stripe: 'onboarding', secrets: ['stateSigningKey'] },
    },
    {
      name: 'connect-refresh',
      method: 'GET',
      path: '/connect/refresh',
      handler: 'functions/api/connect-refresh.ts',
      auth: 'public',
      // read-write: the per-partner refresh rate limit takes its slot with a conditional write, and every Stripe
      // request reserves its start time in the rate budgets kept in the table
      access: { table, stripe: 'onboarding', secrets: ['stateSigningKey'] },
    },
    {
      name: 'connect-return',
      method: 'GET',
      path: '/connect/return',
      handler: 'functions/api/connect-return.ts',
      auth: 'public',
      // re-reads the account only: the read-only key
      access: { table, stripe: 'readonly', secrets: ['stateSigningKey'] },
    },
    {
      name: 'get-connect-status',
      method: 'GET',
      path: '/connect/status',
      handler: 'functions/api/get-connect-status.ts',
      auth: 'partner',
      access: { table, stripe: 'readonly' },
    },
    {
      name: 'create-dashboard-link',
      method: 'POST',
      path: '/connect/dashboard-link',
      handler: 'functions/api/create-dashboard-link.ts',
      auth: 'partner',
      access: { table, stripe: 'onboarding' },
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
      access: { table, stripe: 'readonly', secrets: ['connectWebhookSecret'] },
    },
  ];
}

/** Scheduled and queue-driven functions (not behind API Gateway). */
export interface JobDefinition {
  readonly name: string;
  readonly handler: string;
  /**
   * `stripe-events-queue`: the SQS queue fed by the EventBridge rule on Stripe's partner event source; deployed
   * only when the stage receives Stripe events through EventBridge (`stripeEvents: eventbridge`).
   */
  readonly trigger:
    | 'schedule'
    | 'reconciliation-queue'
    | 'sweep-schedule'
    | 'payout-queue'
    | 'table-stream'
    | 'event-delivery-queue'
    | 'email-queue'
    | 'stripe-events-queue';
  readonly access: Access;
}

/** How often the availability sweep runs: an earning's `earning.available` comes at most this long after its time. */
export const EARNINGS_SWEEP_MINUTES = 15;

/** The SQS batch sizes of the payout worker and the Stripe events consumer (functions/batch-sizes.ts). */
export { PAYOUT_BATCH_SIZE, STRIPE_EVENTS_BATCH_SIZE } from './batch-sizes.ts';

export const JOBS: readonly JobDefinition[] = [
  {
    name: 'plan-monthly-payouts',
    handler: 'functions/jobs/plan-monthly-payouts.ts',
    trigger: 'schedule',
    access: { table: 'readwrite', payoutQueue: 'send' },
  },
  {
    // Compares the previous day's Stripe transfers, application fees and open bank payouts with our records (read-only at Stripe),
    // one bounded step per message: the daily schedule puts the start on the reconciliation queue.
    name: 'reconcile',
    handler: 'functions/jobs/reconcile.ts',
    trigger: 'reconciliation-queue',
    access: { table: 'readwrite', stripe: 'readonly', reconciliationQueue: 'send' },
  },
  {
    // Stores the transition to available (with its earning.available event) of held earnings past their holding period.
    name: 'earnings-available',
    handler: 'functions/jobs/earnings-available.ts',
    trigger: 'sweep-schedule',
    access: { table: 'readwrite' },
  },
  {
    name: 'send-payout',
    handler: 'functions/jobs/send-payout.ts',
    trigger: 'payout-queue',
    access: { table: 'readwrite', stripe: 'transfers', payoutQueue: 'send' },
  },
  {
    // The outbox publisher: new domain-event items on the table's stream → the event bus.
    name: 'publish-events',
    handler: 'functions/jobs/publish-events.ts',
    trigger: 'table-stream',
    access: { eventBus: 'put' },
  },
  {
    // Deliveries of domain events to the platform's webhook endpoints (the delivery queue, fed by the bus).
    name: 'deliver-events',
    handler: 'functions/jobs/deliver-events.ts',
    trigger: 'event-delivery-queue',
    access: { table: 'readwrite' },
  },
  {
    // Partner emails (the email queue, fed by the bus with the email-worthy event types).
    name: 'send-partner-emails',
    handler: 'functions/jobs/send-partner-emails.ts',
    trigger: 'email-queue',
    access: { table: 'readwrite-delete', userPool: 'read', email: 'send' },
  },
  {
    // The platform and Connect handlers of the webhooks, fed by EventBridge: Stripe re-reads need the key, and
    // `balance.available` re-queues payouts waiting for funds.
    name: 'stripe-events',
    handler: 'functions/jobs/stripe-events.ts',
    trigger: 'stripe-events-queue',
    access: { table: 'readwrite', stripe: 'settlement', payoutQueue: 'send' },
  },
];
