export type StripeErrorType =
  | 'api_error'
  | 'card_error'
  | 'idempotency_error'
  | 'invalid_request_error'
  | 'rate_limit_error';

export interface StripeErrorBody {
  type: StripeErrorType;
  message: string;
  code?: string;
  param?: string;
  decline_code?: string;
  doc_url?: string;
  charge?: string;
  payment_intent?: unknown;
  payment_method?: unknown;
  request_log_url?: string;
}

/** An error answered in Stripe's exact shape: `{"error": {...}}` with the matching HTTP status. */
export class StripeApiError extends Error {
  readonly headers: Record<string, string>;

  constructor(
    readonly status: number,
    readonly body: StripeErrorBody,
    headers: Record<string, string> = {},
  ) {
    super(body.message);
    this.headers = headers;
  }

  toJSON(): { error: StripeErrorBody } {
    return { error: this.body };
  }
}

const docUrl = (code: string): string => `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}`;

export function invalidRequest(message: string, opts: { param?: string; code?: string; status?: number } = {}) {
  const body: StripeErrorBody = { type: 'invalid_request_error', message };
  if (opts.code) {
    body.code = opts.code;
    body.doc_url = docUrl(opts.code);
  }
  if (opts.param) body.param = opts.param;
  return new StripeApiError(opts.status ?? 400, body);
}

export function missingParam(param: string) {
  return invalidRequest(`Missing required param: ${param}.`, { param, code: 'parameter_missing' });
}

export function unknownParam(param: string) {
  return invalidRequest(`Received unknown parameter: ${param}`, { param, code: 'parameter_unknown' });
}

/** Stripe names the resource in its own words ("No such transfer: 'tr_123'"). */
export function resourceMissing(resource: string, id: string, param = 'id', status = 404) {
  return invalidRequest(`No such ${resource}: '${id}'`, { param, code: 'resource_missing', status });
}

export function accountInaccessible(apiKey: string, accountId: string) {
  return new StripeApiError(403, {
    type: 'invalid_request_error',
    code: 'account_invalid',
    doc_url: docUrl('account_invalid'),
    message: `The provided key '${maskKey(apiKey)}' does not have access to account '${accountId}' (or that account does not exist). Application access may have been revoked.`,
  });
}

export function rateLimited(reason: string) {
  return new StripeApiError(
    429,
    {
      type: 'invalid_request_error',
      code: 'rate_limit',
      doc_url: docUrl('rate_limit'),
      message: 'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.',
    },
    { 'Stripe-Rate-Limited-Reason': reason },
  );
}

export function apiError(message = 'An unknown error occurred') {
  return new StripeApiError(500, { type: 'api_error', message }, { 'Stripe-Should-Retry': 'true' });
}

export function balanceInsufficient() {
  return invalidRequest(
    'You have insufficient available funds in your Stripe account. Try adding funds directly to your available balance by creating Charges using the 4000000000000077 test card. See: https://stripe.com/docs/testing#available-balance',
    { code: 'balance_insufficient' },
  );
}

export function idempotencyMismatch(key: string) {
  return new StripeApiError(400, {
    type: 'idempotency_error',
    message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
  });
}

export function idempotencyEndpointMismatch(key: string, original: string, now: string) {
  return new StripeApiError(400, {
    type: 'idempotency_error',
    message: `Keys for idempotent requests can only be used for the same endpoint they were first used for ('${now}' vs '${original}'). Try using a key other than '${key}' if you meant to execute a different request.`,
  });
}

export function idempotencyInProgress() {
  return new StripeApiError(409, {
    type: 'idempotency_error',
    message:
      'There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through). Please try again later.',
  });
}

export function maskKey(key: string): string {
  if (key.length <= 12) return key;
  return `${key.slice(0, 8)}${'*'.repeat(Math.max(4, key.length - 12))}${key.slice(-4)}`;
}
