import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { domainError } from '#core/errors';
import { mapError } from './error-mapper.ts';
import { errorResponse, type HandlerResult, parseJsonBody, requestOf, toResponse } from './http-basics.ts';
import { type Identity, identityFromEvent } from './identity.ts';

/**
 * The handler of a route that takes no input and touches nothing (liveness, the caller's claims, the contract): the
 * answers, headers and errors of `httpHandler` for a route without body, query or path schema, but without middy,
 * Powertools or zod, so its cold start loads next to nothing. Refusals are not logged (Powertools is not loaded);
 * an unexpected error is, on the console. Its contract (the OpenAPI document, the local gateway's enforcement) is in
 * the sibling `<handler>.contract.ts`, which the deployed bundle never imports.
 */
export function bareHandler<A extends 'public' | 'partner'>(
  auth: A,
  run: (identity: A extends 'partner' ? Identity : undefined) => HandlerResult,
): (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult> {
  return async (event) => {
    try {
      const { headers, rawBody } = requestOf(event);
      const identity = (auth === 'partner' ? identityFromEvent(event) : undefined) as A extends 'partner'
        ? Identity
        : undefined;
      requireNoBody(parseJsonBody(rawBody, headers));
      return toResponse(run(identity));
    } catch (error) {
      const mapped = mapError(error);
      if (mapped.unexpected) console.error('Unhandled error', error);
      return errorResponse(mapped);
    }
  };
}

/**
 * The check `NoBody` (`z.strictObject({})`) makes, with zod's messages: only `{}` passes. A test holds the two to
 * the same answers for any JSON value.
 */
export function requireNoBody(body: unknown): void {
  let message: string | undefined;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    const received = body === null ? 'null' : Array.isArray(body) ? 'array' : typeof body;
    message = `Invalid input: expected object, received ${received}`;
  } else {
    const keys = Object.keys(body);
    if (keys.length > 0) {
      message = `Unrecognized key${keys.length > 1 ? 's' : ''}: ${keys.map((key) => `"${key}"`).join(', ')}`;
    }
  }
  if (message !== undefined) {
    throw domainError('validation_error', `body: ${message}`, { issues: [{ path: 'body', message }] });
  }
}
