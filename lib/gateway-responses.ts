/**
 * API Gateway's own refusals (no route, missing/invalid token, throttling, oversized body) answered in the
 * project's error shape `{ error: { code, message } }` instead of API Gateway's `{ message }`.
 * The stack installs these as Gateway Responses; the local API server answers with the same status and body.
 * Codes come from the error catalog, and each status is its code's (tests/unit/error-catalog.test.ts).
 */
import type { ErrorCode } from '#core/error-catalog';

export type GatewayResponseKind =
  | 'MISSING_AUTHENTICATION_TOKEN'
  | 'UNAUTHORIZED'
  | 'ACCESS_DENIED'
  | 'THROTTLED'
  | 'REQUEST_TOO_LARGE'
  | 'BAD_REQUEST_BODY'
  | 'DEFAULT_4XX'
  | 'DEFAULT_5XX';

export interface GatewayResponseDefinition {
  readonly status: number;
  readonly code: ErrorCode;
  readonly message: string;
}

export const GATEWAY_RESPONSES: Readonly<Record<GatewayResponseKind, GatewayResponseDefinition>> = {
  // API Gateway answers an unknown path (or method) with this response; we make it a plain 404.
  MISSING_AUTHENTICATION_TOKEN: { status: 404, code: 'route_not_found', message: 'No such route.' },
  UNAUTHORIZED: { status: 401, code: 'unauthenticated', message: 'A valid Cognito ID token is required.' },
  ACCESS_DENIED: { status: 403, code: 'forbidden', message: 'Access denied.' },
  THROTTLED: { status: 429, code: 'rate_limited', message: 'Too many requests; retry later.' },
  REQUEST_TOO_LARGE: { status: 413, code: 'payload_too_large', message: 'The request is too large.' },
  BAD_REQUEST_BODY: { status: 400, code: 'validation_error', message: 'The request body is invalid.' },
  DEFAULT_4XX: { status: 400, code: 'bad_request', message: 'The request was refused.' },
  DEFAULT_5XX: { status: 502, code: 'gateway_error', message: 'The service is temporarily unavailable.' },
};

export function gatewayResponseBody(kind: GatewayResponseKind): string {
  const { code, message } = GATEWAY_RESPONSES[kind];
  return JSON.stringify({ error: { code, message } });
}
