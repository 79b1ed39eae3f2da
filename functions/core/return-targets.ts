import { fail } from './errors.ts';
import type { PartnerStatus } from './partner.ts';

/**
 * Where onboarding ends for the platform's own apps: a target the app names per request (`returnTo`, `refreshTo`),
 * accepted only when the stage's allow-list (`allowedReturnTargets`) names it. An allow-list entry is either
 * - an https origin, `https://partners.example.com` (a port when not 443): a target must have exactly that scheme,
 *   host and port — no user info, no other host that merely starts or ends like it; or
 * - an app scheme, `umuvepro://`: a target must use exactly that scheme (any host and path of the app's own), with
 *   no user info.
 * Targets are compared after URL parsing (WHATWG), and the parsed, re-serialised URL is what the browser is sent
 * to, so what was checked is what is followed.
 */

/** Longest target accepted: it travels in the signed state of Stripe's redirect URLs. */
export const MAX_RETURN_TARGET_LENGTH = 512;

/** Schemes a browser treats specially or that run code: never an app scheme. */
const NOT_APP_SCHEMES = new Set([
  'http',
  'https',
  'ws',
  'wss',
  'ftp',
  'file',
  'data',
  'blob',
  'javascript',
  'vbscript',
  'about',
  'filesystem',
  'intent',
]);

const APP_SCHEME = /^([a-z][a-z0-9+.-]{1,31}):\/\/$/;

/**
 * The canonical form of an allow-list entry (`https://host[:port]` or `scheme://`), or null when the entry is
 * neither (a path, user info, plain http, a browser scheme).
 */
export function returnTargetEntry(entry: string): string | null {
  const value = entry.trim();
  const scheme = APP_SCHEME.exec(value.toLowerCase());
  if (scheme) return NOT_APP_SCHEMES.has(scheme[1] ?? '') ? null : `${scheme[1]}://`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' || url.username !== '' || url.password !== '') return null;
  // An origin only: nothing after the host and port but an optional `/`.
  const rest = value.replace(/\/$/, '').replace(/^https:\/\//i, '');
  if (/[/?#@\\]/.test(rest) || url.pathname !== '/' || url.search !== '' || url.hash !== '') return null;
  return url.origin;
}

export const RETURN_TARGET_ENTRY_HINT =
  'expected an https origin (https://partners.example.com) or an app scheme (myapp://)';

/** Whether `value` is a target the allow-list names; returns the URL to follow (parsed and re-serialised) or null. */
export function allowedReturnTarget(value: string, allowList: readonly string[]): string | null {
  if (value.length === 0 || value.length > MAX_RETURN_TARGET_LENGTH) return null;
  // Control characters, spaces and backslashes are stripped or reinterpreted by parsers: refuse rather than guess.
  if ([...value].some((c) => c.charCodeAt(0) <= 0x20 || c.charCodeAt(0) === 0x7f || c === '\\')) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.username !== '' || url.password !== '') return null;
  const allowed = new Set(allowList.map(returnTargetEntry).filter((entry): entry is string => entry !== null));
  if (url.protocol === 'https:') return allowed.has(url.origin) ? url.href : null;
  const scheme = `${url.protocol}//`;
  // `myapp:path` without `//` is another shape of URL; the target must be written as the entry is.
  if (!value.toLowerCase().startsWith(scheme) || !allowed.has(scheme)) return null;
  return url.href;
}

/** `allowedReturnTarget`, or 400 `return_target_not_allowed` naming the field. */
export function requireReturnTarget(value: string, allowList: readonly string[], field: string): string {
  const target = allowedReturnTarget(value, allowList);
  if (target === null) {
    fail('return_target_not_allowed', `${field} is not one of this platform's allowed return targets.`, { field });
  }
  return target;
}

/** What the app is told about the partner when onboarding ends at its target. */
export type ReturnStatus = 'active' | 'pending' | 'restricted';

const RETURN_STATUS: Readonly<Record<PartnerStatus, ReturnStatus>> = {
  active: 'active',
  pending_verification: 'pending',
  not_set_up: 'pending',
  restricted: 'restricted',
  disconnected: 'restricted',
};

export const returnStatusOf = (status: PartnerStatus): ReturnStatus => RETURN_STATUS[status];

/** The app target with `?status=…` (the target's own query kept). */
export function appTargetWith(target: string, status: ReturnStatus | 'link_expired'): string {
  const url = new URL(target);
  url.searchParams.set('status', status);
  return url.href;
}
