import { ERROR_CATALOG, type ErrorCode, type ErrorKind, type KindOf } from './error-catalog.ts';

/**
 * Domain errors carry a stable machine-readable code from the closed catalog (./error-catalog.ts). The HTTP layer
 * maps a code's kind to a status in one table (functions/middleware/error-mapper.ts); the domain never speaks HTTP.
 */
export type { ErrorCode, ErrorKind } from './error-catalog.ts';

export class DomainError<C extends ErrorCode = ErrorCode> extends Error {
  readonly code: C;
  readonly kind: ErrorKind;
  readonly details: Record<string, unknown> | undefined;

  /** The kind must be the catalog's kind of the code (kept as an argument so call sites read as before). */
  constructor(kind: KindOf<C>, code: C, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'DomainError';
    this.kind = kind;
    this.code = code;
    this.details = details;
  }
}

export const isDomainError = (error: unknown): error is DomainError => error instanceof DomainError;

/** The error for a catalog code: its kind from the catalog, its default message unless a more precise one is given. */
export function domainError<C extends ErrorCode>(
  code: C,
  message?: string,
  details?: Record<string, unknown>,
): DomainError<C> {
  return new DomainError<C>(
    ERROR_CATALOG[code].kind as KindOf<C>,
    code,
    message ?? ERROR_CATALOG[code].message,
    details,
  );
}

/** Throws the error for a catalog code (see `domainError`). */
export function fail(code: ErrorCode, message?: string, details?: Record<string, unknown>): never {
  throw domainError(code, message, details);
}

/** The error is this catalog code (a code not in the catalog does not compile). */
export const hasCode = (error: unknown, code: ErrorCode): error is DomainError =>
  error instanceof DomainError && error.code === code;
