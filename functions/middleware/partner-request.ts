import * as z from 'zod';
import { type PartnerGrants, partnerDeps } from '#adapters/partner-deps';
import type { Caller, Log, PartnerDeps } from '#core/partner-access';
import type { Identity } from './identity.ts';
import { logger } from './observability.ts';

/** Shared request pieces of the partner routes. */

const log: Log = {
  info: (message, details) => logger.info(message, details ?? {}),
  warn: (message, details) => logger.warn(message, details ?? {}),
};

/**
 * The partner use cases' dependencies: the table's, plus the ports the route's `access` grants, passed by the
 * handler (`deps({ stripe: stripeConnect })`); a port not passed throws when reached, and its client is not bundled.
 */
export const deps = (grants: PartnerGrants = {}): PartnerDeps => partnerDeps(log, grants);

/** Our partner ids: `ptn_` + 24 lower-case hex characters. */
export const PartnerId = z.string().regex(/^ptn_[a-f0-9]{24}$/, 'expected a partner id (ptn_…)');

/** `?partnerId=` names a team partner the caller belongs to; without it the caller acts on their personal partner. */
export const PartnerQuery = z.strictObject({ partnerId: PartnerId.optional() });

export const Country = z
  .string()
  .regex(/^[A-Za-z]{2}$/, 'expected an ISO 3166-1 alpha-2 country code')
  .transform((value) => value.toUpperCase());

/** Body of `POST /connect/account` and `POST /connect/onboarding-link`. */
export const AccountBody = z.strictObject({
  country: Country.optional(),
  businessType: z.enum(['individual', 'company', 'non_profit', 'government_entity']).optional(),
});

/**
 * A return target an app names for onboarding (`umuvepro://stripe-return`, `https://partners.example.com/back`):
 * checked against the stage's allow-list by the use case (400 `return_target_not_allowed`).
 */
export const ReturnTarget = z.string().min(1).max(512);

/** Body of `POST /connect/onboarding-link`: the account's country and type, and the app's own return targets. */
export const OnboardingLinkBody = AccountBody.extend({
  returnTo: ReturnTarget.optional().describe(
    'Where the partner lands after Stripe, with `?status=active|pending|restricted` (an allowed return target).',
  ),
  refreshTo: ReturnTarget.optional().describe(
    'When a link expired: send the partner here with `?status=link_expired` instead of a fresh Stripe link; the app then asks for a new link (an allowed return target).',
  ),
});

export const Cursor = z
  .string()
  .max(512)
  .regex(/^[A-Za-z0-9_-]+$/, 'expected a cursor from a previous page');

export const Limit = z.coerce.number().int().min(1).max(100).default(25);

export function callerOf(identity: Identity): Caller {
  return { sub: identity.sub, email: identity.email ?? null, emailVerified: identity.emailVerified };
}

const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/**
 * The error statuses the browser-facing onboarding routes answer with an HTML page (a bad or expired state, a
 * disconnected account, Stripe busy or failing), as documented responses.
 */
export const ONBOARDING_ERROR_PAGES = Object.fromEntries(
  ([400, 409, 429, 502] as const).map((status) => [
    status,
    { contentType: 'text/html; charset=utf-8', description: 'A page saying why onboarding cannot continue.' },
  ]),
) as Readonly<Record<400 | 409 | 429 | 502, { contentType: string; description: string }>>;

/** A minimal self-contained page for the browser-facing onboarding redirects (`headers`: e.g. the error's `retry-after`). */
export function htmlPage(status: number, title: string, message: string, headers: Record<string, string> = {}) {
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title></head>
<body style="font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem">
<h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></body></html>`;
  return {
    status,
    contentType: 'text/html; charset=utf-8',
    body,
    headers: {
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
      'referrer-policy': 'no-referrer',
      ...headers,
    } as Record<string, string>,
  };
}
