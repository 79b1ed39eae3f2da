import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { fail } from '#core/errors';
import type { MappedError } from './error-mapper.ts';

/**
 * What every API answer shares, whichever handler factory built it (`httpHandler`, `bareHandler`): reading the raw
 * event, the JSON body checks and the response with its security headers. Nothing here loads zod, middy or
 * Powertools, so the smallest handlers stay small.
 */

/** Largest JSON body we accept. API Gateway allows 10 MB; nothing here needs more than a few KB. */
export const MAX_BODY_BYTES = 64 * 1024;

export interface HandlerResult {
  status: number;
  /** Serialized as JSON unless `contentType` says otherwise (then it must be a string). */
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
}

const SECURITY_HEADERS: Record<string, string> = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

/** What a handler reads of the raw event: its headers (lower-cased names) and its body exactly as received. */
export const requestOf = (event: APIGatewayProxyEvent) => ({
  headers: lowerCaseHeaders(event),
  rawBody: rawBodyOf(event),
});

/** Request headers with lower-cased names. */
export function lowerCaseHeaders(event: APIGatewayProxyEvent): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (typeof value === 'string') headers[name.toLowerCase()] = value;
  }
  return headers;
}

/** The body exactly as received (decoded when API Gateway sent it base64-encoded). */
export function rawBodyOf(event: APIGatewayProxyEvent): string {
  if (event.body === null || event.body === undefined) return '';
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

/** The parsed JSON body (`{}` when empty): too large, not JSON by its content type, or malformed is refused. */
export function parseJsonBody(raw: string, headers: Record<string, string>): unknown {
  if (Buffer.byteLength(raw, 'utf8') > MAX_BODY_BYTES) {
    fail('payload_too_large', `The body must be at most ${MAX_BODY_BYTES} bytes.`);
  }
  if (raw.trim() === '') return {};
  const contentType = headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(contentType)) {
    fail('unsupported_media_type');
  }
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    fail('invalid_json');
  }
}

export function toResponse(result: HandlerResult): APIGatewayProxyResult {
  const contentType = result.contentType ?? 'application/json; charset=utf-8';
  const body =
    result.body === undefined
      ? ''
      : typeof result.body === 'string' && result.contentType !== undefined
        ? result.body
        : JSON.stringify(result.body);
  return {
    statusCode: result.status,
    headers: { ...SECURITY_HEADERS, 'content-type': contentType, ...result.headers },
    body,
  };
}

/** The answer to a refused or failed request (`mapError`'s status, envelope and headers). */
export const errorResponse = (mapped: MappedError): APIGatewayProxyResult =>
  toResponse({ status: mapped.status, body: mapped.body, headers: mapped.headers });
