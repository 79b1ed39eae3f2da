import type { IncomingHttpHeaders } from 'node:http';
import { DEFAULT_API_VERSION, type EmulatorCore } from './core.ts';
import {
  accountInaccessible,
  apiError,
  idempotencyEndpointMismatch,
  idempotencyInProgress,
  idempotencyMismatch,
  invalidRequest,
  maskKey,
  rateLimited,
  StripeApiError,
} from './errors.ts';
import { applyExpand } from './expand.ts';
import type { FaultInjector } from './faults.ts';
import { canonicalParams, decodeForm } from './form.ts';
import type { IdempotencyStore, StoredResponse } from './idempotency.ts';
import { Params } from './params.ts';
import { keyModeOf, type RateLimiter } from './rate-limiter.ts';
import type { RequestLog, RequestLogEntry } from './request-log.ts';
import { registerAccountLinkRoutes } from './resources/account-links.ts';
import { registerAccountSessionRoutes } from './resources/account-sessions.ts';
import { registerAccountRoutes } from './resources/accounts.ts';
import { registerBalanceRoutes } from './resources/balance.ts';
import { registerCheckoutRoutes } from './resources/checkout.ts';
import { registerDisputeRoutes } from './resources/disputes.ts';
import { registerEventRoutes } from './resources/events.ts';
import { registerPaymentRoutes } from './resources/payments.ts';
import { registerPayoutRoutes } from './resources/payouts.ts';
import { registerRefundRoutes } from './resources/refunds.ts';
import { registerTransferRoutes } from './resources/transfers.ts';
import { Router } from './router.ts';
import { PLATFORM } from './store.ts';

export function buildRouter(): Router {
  const r = new Router();
  registerAccountRoutes(r);
  registerAccountLinkRoutes(r);
  registerAccountSessionRoutes(r);
  registerBalanceRoutes(r);
  registerTransferRoutes(r);
  registerPaymentRoutes(r);
  registerCheckoutRoutes(r);
  registerRefundRoutes(r);
  registerDisputeRoutes(r);
  registerPayoutRoutes(r);
  registerEventRoutes(r);
  return r;
}

export interface ApiRequest {
  method: string;
  path: string;
  query: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** What the HTTP layer must do: write a response, or drop the connection after committing (ambiguous failure). */
export type ApiOutcome =
  | { kind: 'respond'; status: number; headers: Record<string, string>; body: string }
  | { kind: 'drop' };

export interface ApiDeps {
  core: EmulatorCore;
  router: Router;
  limiter: RateLimiter;
  faults: FaultInjector;
  idempotency: IdempotencyStore;
  log: RequestLog;
  /** Accepted secret-key prefixes (`sk_test_`, `sk_live_`). */
  apiKeyPrefixes: string[];
}

function header(headers: IncomingHttpHeaders, name: string): string | null {
  const v = headers[name];
  if (Array.isArray(v)) return v[0] ?? null;
  return v ?? null;
}

/** Bearer or Basic (key as the user name), as Stripe accepts; only keys with an accepted prefix. */
function authenticate(headers: IncomingHttpHeaders, prefixes: string[]): string {
  const auth = header(headers, 'authorization');
  if (!auth) {
    throw invalidRequest(
      "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.",
      { status: 401 },
    );
  }
  let key = '';
  const [scheme, value = ''] = auth.split(' ', 2);
  if (scheme?.toLowerCase() === 'bearer') key = value.trim();
  else if (scheme?.toLowerCase() === 'basic') key = Buffer.from(value, 'base64').toString('utf8').split(':')[0] ?? '';
  else {
    throw invalidRequest(
      "Invalid authorization header. Use Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
      { status: 401 },
    );
  }
  const prefix = prefixes.find((p) => key.startsWith(p));
  if (!prefix || key.length <= prefix.length || /\s/.test(key)) {
    throw invalidRequest(`Invalid API Key provided: ${maskKey(key)}`, { status: 401 });
  }
  return key;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The /v1 pipeline, in Stripe's order: authenticate, route, rate-limit, connected-account check, injected faults,
 * idempotency, then the endpoint itself. Only what the endpoint produced is stored for idempotent replay.
 */
export async function handleApi(deps: ApiDeps, req: ApiRequest): Promise<ApiOutcome> {
  const { core, router, limiter, faults, idempotency, log } = deps;
  const started = performance.now();
  const requestId = `req_${core.ids.chars(14)}`;
  const apiVersion = header(req.headers, 'stripe-version') ?? DEFAULT_API_VERSION;
  const idempotencyKey = header(req.headers, 'idempotency-key');
  const account = header(req.headers, 'stripe-account');
  const baseHeaders: Record<string, string> = {
    'content-type': 'application/json',
    'request-id': requestId,
    'stripe-version': apiVersion,
  };
  if (idempotencyKey) baseHeaders['idempotency-key'] = idempotencyKey;
  const entry: RequestLogEntry = {
    requestId,
    at: core.clock.nowMs(),
    method: req.method,
    path: req.path,
    endpoint: null,
    account,
    idempotencyKey,
    status: 0,
    replayed: false,
    fault: null,
    rateLimited: null,
    durationMs: 0,
  };
  const finish = (outcome: ApiOutcome, error?: StripeApiError): ApiOutcome => {
    entry.status = outcome.kind === 'respond' ? outcome.status : 0;
    if (error) {
      entry.errorType = error.body.type;
      if (error.body.code) entry.errorCode = error.body.code;
    }
    entry.durationMs = Math.round((performance.now() - started) * 100) / 100;
    log.add(entry);
    return outcome;
  };
  const errorOutcome = (e: StripeApiError): ApiOutcome =>
    finish(
      {
        kind: 'respond',
        status: e.status,
        headers: { ...baseHeaders, ...e.headers },
        body: JSON.stringify(e.toJSON(), null, 2),
      },
      e,
    );

  let stored: { scope: string; key: string } | null = null;
  try {
    const apiKey = authenticate(req.headers, deps.apiKeyPrefixes);
    const matched = router.match(req.method, req.path);
    if (!matched) {
      throw invalidRequest(
        `Unrecognized request URL (${req.method}: ${req.path}). This endpoint is not implemented by the connect-payouts Stripe emulator (local/stripe-emulator); see docs/stripe-emulator.md for what it covers.`,
        { status: 404 },
      );
    }
    const { route, pathParams } = matched;
    entry.endpoint = route.name;
    // Live and test mode have separate limits, as at Stripe.
    entry.mode = keyModeOf(apiKey);
    entry.arrivedMs = performance.timeOrigin + performance.now();
    const limitedBy = limiter.check(route.name, entry.mode, entry.arrivedMs);
    if (limitedBy) {
      entry.rateLimited = limitedBy;
      throw rateLimited(limitedBy);
    }
    if (account) {
      const meta = core.store.accountMeta.get(account);
      if (!core.store.accounts.get(account, PLATFORM) || !meta || meta.deleted || meta.deauthorized) {
        throw accountInaccessible(apiKey, account);
      }
      if (route.platformOnly) {
        throw invalidRequest(
          `This endpoint cannot be called on a connected account (Stripe-Account: ${account}); call it as the platform.`,
          { status: 403 },
        );
      }
    }
    const decision = faults.decide(route.name);
    if (decision.before === 'rate_limit') {
      entry.fault = 'rate_limit';
      throw rateLimited('global-rate');
    }
    if (decision.before === 'server_error') {
      entry.fault = 'server_error';
      if (decision.latencyMs) await sleep(decision.latencyMs);
      throw apiError('An error occurred while processing your request (injected by the Stripe emulator).');
    }
    const data = decodeForm(req.method === 'POST' ? req.body : req.query);
    const owner = account ?? PLATFORM;
    if (req.method === 'POST' && idempotencyKey) {
      if (idempotencyKey.length > 255) {
        throw invalidRequest('Idempotency-Key must be at most 255 characters long.', { param: 'Idempotency-Key' });
      }
      const lookup = idempotency.begin(owner, idempotencyKey, `${req.method} ${req.path}`, canonicalParams(data));
      switch (lookup.kind) {
        case 'replay': {
          if (decision.latencyMs) await sleep(decision.latencyMs);
          entry.replayed = true;
          if (decision.ambiguous) {
            entry.fault = 'ambiguous';
            return finish({ kind: 'drop' });
          }
          const r = lookup.response;
          return finish({
            kind: 'respond',
            status: r.status,
            headers: { ...r.headers, ...baseHeaders, 'idempotent-replayed': 'true', 'original-request': r.requestId },
            body: r.body,
          });
        }
        case 'mismatch':
          throw idempotencyMismatch(idempotencyKey);
        case 'endpoint_mismatch':
          throw idempotencyEndpointMismatch(idempotencyKey, lookup.originalEndpoint.split(' ')[1] ?? '', req.path);
        case 'in_progress':
          throw idempotencyInProgress();
        case 'new':
          stored = { scope: owner, key: idempotencyKey };
      }
    }
    if (decision.latencyMs) await sleep(decision.latencyMs);

    // From here on the endpoint runs: its result, success or error, is what idempotent retries get back.
    let outcome: { status: number; headers: Record<string, string>; body: string };
    let failure: StripeApiError | undefined;
    try {
      const params = new Params(data);
      const expand = params.stringArray('expand') ?? [];
      core.settle();
      core.currentRequest = { id: requestId, idempotencyKey, apiVersion };
      const result = route.handler({
        core,
        params,
        pathParams,
        account,
        owner,
        apiKey,
        method: req.method,
        path: req.path,
      });
      params.done();
      const body = applyExpand(result, expand, (id) => core.store.findById(id));
      outcome = { status: 200, headers: baseHeaders, body: JSON.stringify(body, null, 2) };
    } catch (e) {
      failure = e instanceof StripeApiError ? e : internalError(core, e);
      outcome = {
        status: failure.status,
        headers: { ...baseHeaders, ...failure.headers },
        body: JSON.stringify(failure.toJSON(), null, 2),
      };
    } finally {
      core.currentRequest = null;
    }
    if (stored) {
      const { 'request-id': _, ...keep } = outcome.headers;
      const response: StoredResponse = { status: outcome.status, body: outcome.body, headers: keep, requestId };
      idempotency.complete(stored.scope, stored.key, response);
    }
    if (decision.ambiguous) {
      entry.fault = 'ambiguous';
      return finish({ kind: 'drop' }, failure);
    }
    return finish({ kind: 'respond', ...outcome }, failure);
  } catch (e) {
    if (stored) idempotency.abandon(stored.scope, stored.key);
    return errorOutcome(e instanceof StripeApiError ? e : internalError(core, e));
  }
}

function internalError(core: EmulatorCore, e: unknown): StripeApiError {
  core.log(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  return apiError('An unknown error occurred in the Stripe emulator. This is a bug in the emulator.');
}
