import type { APIGatewayProxyEvent } from 'aws-lambda';
import { fail } from '#core/errors';

/** Who is calling, as proven by the Cognito authorizer (API Gateway) — never taken from the body or path. */
export interface Identity {
  readonly sub: string;
  readonly email: string | undefined;
  /** `email_verified`: the pool proved the address belongs to the user (API Gateway passes it as "true"). */
  readonly emailVerified: boolean;
  readonly groups: readonly string[];
}

export const ADMIN_GROUP = 'admin';

/**
 * API Gateway (REST, Cognito User Pools authorizer) passes claims as strings; `cognito:groups` arrives as
 * `"admin"`, `"a,b"` or `"[a b]"` depending on the path it took, so all forms are accepted.
 */
export function parseGroups(raw: unknown): string[] {
  if (Array.isArray(raw)) return raw.filter((g): g is string => typeof g === 'string' && g.length > 0);
  if (typeof raw !== 'string') return [];
  return raw
    .replace(/^\[|\]$/g, '')
    .split(/[\s,]+/)
    .map((group) => group.trim())
    .filter((group) => group.length > 0);
}

export function identityFromEvent(event: APIGatewayProxyEvent): Identity {
  const claims: Record<string, unknown> | undefined = event.requestContext?.authorizer?.claims;
  const sub = claims?.sub;
  if (typeof sub !== 'string' || sub.length === 0) {
    fail('unauthenticated');
  }
  if (claims?.token_use !== undefined && claims.token_use !== 'id') {
    fail('unauthenticated', 'An ID token is required.');
  }
  const email = typeof claims?.email === 'string' ? claims.email : undefined;
  const emailVerified = claims?.email_verified === true || claims?.email_verified === 'true';
  return { sub, email, emailVerified, groups: parseGroups(claims?.['cognito:groups']) };
}

export function requireAdmin(identity: Identity): void {
  if (!identity.groups.includes(ADMIN_GROUP)) {
    fail('forbidden', 'This operation requires the admin group.');
  }
}
