import { ERROR_CATALOG, type ErrorCode } from '#core/error-catalog';
import { DomainError, type ErrorKind } from '#core/errors';

/** The one table from error kind to HTTP status. */
export const STATUS_BY_KIND: Readonly<Record<ErrorKind, number>> = {
  validation: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  business_rule: 422,
  rate_limited: 429,
  internal: 500,
  upstream: 502,
};

/** The status a catalog code is answered with. */
export const statusOf = (code: ErrorCode): number => STATUS_BY_KIND[ERROR_CATALOG[code].kind];

/** A rate-limited answer without a delay of its own asks the client to wait this long. */
export const DEFAULT_RETRY_AFTER_SECONDS = 1;

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
}

export interface MappedError {
  status: number;
  body: ErrorBody;
  /** Response headers the error calls for (`retry-after` on a rate-limited answer). */
  headers: Record<string, string>;
  /** Only unexpected errors are logged at error level; refusals are ordinary traffic. */
  unexpected: boolean;
}

/**
 * `Retry-After` (seconds) comes from the error's `details.retryAfterSeconds` (the throttle that refused the request
 * knows when its slot frees up); a rate-limited error without one asks for `DEFAULT_RETRY_AFTER_SECONDS`.
 */
function retryAfterOf(error: DomainError): number | undefined {
  const seconds = error.details?.retryAfterSeconds;
  if (typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0) return Math.ceil(seconds);
  return error.kind === 'rate_limited' ? DEFAULT_RETRY_AFTER_SECONDS : undefined;
}

export function mapError(error: unknown): MappedError {
  if (error instanceof DomainError) {
    const body: ErrorBody = { error: { code: error.code, message: error.message } };
    if (error.details) body.error.details = error.details;
    const retryAfter = retryAfterOf(error);
    return {
      status: STATUS_BY_KIND[error.kind],
      body,
      headers: retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) },
      unexpected: false,
    };
  }
  // Anything else is a bug or an outage: never leak its message or stack.
  return {
    status: STATUS_BY_KIND.internal,
    body: { error: { code: 'internal_error', message: ERROR_CATALOG.internal_error.message } },
    headers: {},
    unexpected: true,
  };
}
