/**
 * Domain errors carry a stable machine-readable code. The HTTP layer maps codes to statuses in one table
 * (functions/middleware/error-mapper.ts); the domain never speaks HTTP.
 */
export type ErrorKind =
  | 'validation' // 400: the request itself is malformed
  | 'unauthenticated' // 401
  | 'forbidden' // 403: authenticated, but not allowed
  | 'not_found' // 404
  | 'conflict' // 409: state conflict (already exists, different body for the same key)
  | 'payload_too_large' // 413
  | 'unsupported_media_type' // 415
  | 'business_rule' // 422: well-formed but refused by a rule (partner not onboarded, currency mismatch)
  | 'rate_limited' // 429
  | 'upstream'; // 502: Stripe (or another dependency) failed

export class DomainError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly details: Record<string, unknown> | undefined;

  constructor(kind: ErrorKind, code: string, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'DomainError';
    this.kind = kind;
    this.code = code;
    this.details = details;
  }
}

export const isDomainError = (error: unknown): error is DomainError => error instanceof DomainError;
