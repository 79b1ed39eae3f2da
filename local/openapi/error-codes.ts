import { z } from 'zod';
import { codes, type ErrorCode } from '#core/error-catalog';
import type { HandlerContract } from '#middleware/contract';
import { statusOf } from '#middleware/error-mapper';
import type { RouteDefinition } from '#routes';

/**
 * The error codes a route can answer: the ones its handler declares (`errors` in its contract: its use case's own
 * refusals) and the ones every route of its kind can answer, derived here from the route table and the contract.
 * The OpenAPI contract lists them per route and status; the local stack (tests) refuses any other code.
 */

/** Any route: API Gateway's throttling and its own 5xx, and the mapper's answer to anything unexpected. */
export const EVERY_ROUTE = codes('rate_limited', 'internal_error', 'gateway_error');
/** A route that parses a request (every route but the webhooks): the schema refusals. */
export const PARSED_REQUEST = codes('validation_error', 'invalid_json');
/** A route that takes a body (not GET): its size and content type. */
export const BODY = codes('payload_too_large', 'unsupported_media_type');
/** A route behind the Cognito authorizer. */
export const SIGNED_IN = codes('unauthenticated');
/** An operator route: the admin group. */
export const ADMIN = codes('forbidden');
/** A Stripe webhook: the signature. */
export const WEBHOOK = codes('missing_signature', 'invalid_signature');
/** A route with a Stripe key: Stripe's failures, as the one table in adapters/stripe/errors.ts maps them. */
export const STRIPE = codes(
  'stripe_error',
  'stripe_invalid_request',
  'stripe_permission_denied',
  'stripe_rate_limited',
);
/** A route whose Stripe key writes (every key but `readonly`): a retried write with other parameters. */
export const STRIPE_WRITE = codes('idempotency_conflict');
/** A paginated route (a `cursor` in its query or body). */
export const PAGINATED = codes('invalid_cursor');

const takesCursor = (schema: z.ZodType | undefined): boolean =>
  schema instanceof z.ZodObject && Object.hasOwn(schema.shape, 'cursor');

export function errorCodesOf(route: RouteDefinition, contract: HandlerContract): ErrorCode[] {
  const all = new Set<ErrorCode>([...EVERY_ROUTE, ...contract.errors]);
  const add = (list: readonly ErrorCode[]) => {
    for (const code of list) all.add(code);
  };
  if (route.auth === 'webhook') add(WEBHOOK);
  else add(PARSED_REQUEST);
  if (route.auth !== 'webhook' && route.method !== 'GET') add(BODY);
  if (route.auth === 'partner' || route.auth === 'admin') add(SIGNED_IN);
  if (route.auth === 'admin') add(ADMIN);
  if (route.access.stripe) add(STRIPE);
  if (route.access.stripe && route.access.stripe !== 'readonly') add(STRIPE_WRITE);
  if (takesCursor(contract.query) || takesCursor(contract.body)) add(PAGINATED);
  return [...all].sort();
}

/** A route's codes by status, statuses ascending. */
export function errorCodesByStatus(codesOfRoute: readonly ErrorCode[]): Map<number, ErrorCode[]> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codesOfRoute) {
    const status = statusOf(code);
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return new Map([...byStatus].sort(([a], [b]) => a - b));
}
