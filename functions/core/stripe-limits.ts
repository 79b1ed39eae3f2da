/**
 * Stripe's rate limits and the budgets we derive from them.
 *
 * Stripe limits an account's requests per second twice: a **global** limit over every request (100/s in live mode,
 * 25/s in a sandbox or with test keys) and a limit **per endpoint** (25/s unless Stripe raised it for the account),
 * where every named operation is its own endpoint: `POST /v1/transfers`, `GET /v1/transfers` and
 * `GET /v1/accounts/:id` are three. Stripe raises either on request; a stage declares raised limits in
 * `stripeRateLimits` and the budgets follow.
 *
 * Every request we send takes a start time from two budgets (each 95 % of its limit): its endpoint's, then one lane
 * of the global budget. The global budget is split in two lanes that add up to it: `interactive` (API routes a
 * person waits on) gets a reserved share, `background` (payout workers, webhook handlers' re-reads) the rest, so a
 * payout run or a webhook storm can use the whole background lane without ever making a partner wait behind it,
 * and the two together never exceed the global budget. A background job that reads in bulk (reconciliation) also
 * takes its start times from a **share** of its own, a slice of the background lane it cannot go beyond: however much
 * it has to read, it never takes more of the lane from the payout run and the webhooks than that.
 */

/** What Stripe documents (requests per second). */
export const STRIPE_DOCUMENTED_LIMITS = {
  global: { live: 100, test: 25 },
  endpoint: 25,
} as const;

/** We budget this share of every limit: headroom for clock skew and the odd request outside the budgets. */
export const BUDGET_SHARE = 0.95;

/** Share of the global budget reserved for interactive requests unless the stage says otherwise. */
export const DEFAULT_INTERACTIVE_SHARE = 0.2;

/** Share of the background lane reconciliation may use unless the stage says otherwise. */
export const DEFAULT_RECONCILIATION_SHARE = 0.2;

export type KeyMode = 'live' | 'test';
export type StripeLane = 'interactive' | 'background';
/** A job with a share of its own inside the background lane (see `StripeBudgetPlan.shares`). */
export type StripeShare = 'reconciliation';

/** Limits a stage declares (Stripe's limits for its account, not budgets); anything unset is Stripe's default. */
export interface DeclaredStripeLimits {
  /** The account's global limit, requests/s; unset = Stripe's default for the key's mode. */
  global?: number;
  /** Raised limits per endpoint, e.g. `{ 'POST /v1/transfers': 100 }`; every other endpoint is 25/s. */
  endpoints?: Record<string, number>;
  /** Every endpoint not in `endpoints` (Stripe's default 25/s unless raised account-wide). */
  endpointDefault?: number;
  /** Share of the global budget reserved for interactive requests (0..0.5). */
  interactiveShare?: number;
  /** Share of the background lane reconciliation may use (0..1). */
  reconciliationShare?: number;
}

export interface StripeBudgetPlan {
  mode: KeyMode;
  /** Requests/s of each global lane; they add up to 95 % of the global limit. */
  lanes: Record<StripeLane, number>;
  /** Requests/s of each job's own share; its requests take a start time from it and then from their lane. */
  shares: Record<StripeShare, number>;
  /** Requests/s budgeted for an endpoint (95 % of its limit). */
  endpoint(name: string): number;
  /** The limits the plan was made from (for logs and docs). */
  limits: { global: number; endpoint(name: string): number };
}

/** `sk_live_…`/`rk_live_…` are live keys; everything else (`sk_test_…`, `rk_test_…`) is test mode. */
export function keyMode(apiKey: string): KeyMode {
  return /^(sk|rk)_live_/.test(apiKey) ? 'live' : 'test';
}

/** The budgets for a key's mode and the stage's declared limits. */
export function planStripeBudgets(mode: KeyMode, declared: DeclaredStripeLimits = {}): StripeBudgetPlan {
  const global = declared.global ?? STRIPE_DOCUMENTED_LIMITS.global[mode];
  const share = declared.interactiveShare ?? DEFAULT_INTERACTIVE_SHARE;
  if (!(share > 0 && share <= 0.5)) throw new RangeError('interactiveShare must be in (0, 0.5]');
  const reconciliationShare = declared.reconciliationShare ?? DEFAULT_RECONCILIATION_SHARE;
  if (!(reconciliationShare > 0 && reconciliationShare <= 1))
    throw new RangeError('reconciliationShare must be in (0, 1]');
  const endpointLimit = (name: string) =>
    declared.endpoints?.[name] ?? declared.endpointDefault ?? STRIPE_DOCUMENTED_LIMITS.endpoint;
  const globalBudget = global * BUDGET_SHARE;
  const background = globalBudget * (1 - share);
  return {
    mode,
    lanes: { interactive: globalBudget * share, background },
    shares: { reconciliation: background * reconciliationShare },
    endpoint: (name) => endpointLimit(name) * BUDGET_SHARE,
    limits: { global, endpoint: endpointLimit },
  };
}

/**
 * Stripe's name for the endpoint of a request: the method and the path with object ids replaced by `:id`, so every
 * `GET /v1/accounts/acct_…` counts against one `GET /v1/accounts/:id`. A segment is an id when it carries an
 * underscore-separated prefix and a digit or capital (`acct_1…`, `tr_…`, `cs_test_…`); resource names
 * (`account_links`, `login_links`) are lower-case words only and stay as they are.
 */
export function stripeEndpoint(method: string, path: string): string {
  const bare = path.split('?')[0] ?? '';
  const segments = bare.split('/').map((segment) => (isObjectId(segment) ? ':id' : segment));
  return `${method.toUpperCase()} ${segments.join('/')}`;
}

function isObjectId(segment: string): boolean {
  return /^[a-z]+_[A-Za-z0-9_]+$/.test(segment) && /\d|[A-Z]/.test(segment);
}
