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
  upstream: 502,
};

export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

export interface MappedError {
  status: number;
  body: ErrorBody;
  /** Only unexpected errors are logged at error level; refusals are ordinary traffic. */
  unexpected: boolean;
}

export function mapError(error: unknown): MappedError {
  if (error instanceof DomainError) {
    const body: ErrorBody = { error: { code: error.code, message: error.message } };
    if (error.details) body.error.details = error.details;
    return { status: STATUS_BY_KIND[error.kind], body, unexpected: false };
  }
  // Anything else is a bug or an outage: never leak its message or stack.
  return {
    status: 500,
    body: { error: { code: 'internal_error', message: 'An unexpected error occurred. It has been logged.' } },
    unexpected: true,
  };
}
