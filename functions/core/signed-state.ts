import { createHmac, timingSafeEqual } from 'node:crypto';
import { domainError, fail } from './errors.ts';

/**
 * The `state` carried by the onboarding refresh/return URLs. Those routes are public (Stripe redirects the browser
 * there without our token), so the state proves which partner the redirect is for, which member asked for it, at
 * which of the partner's state versions, until when, and — when the app named them — where onboarding ends:
 * `base64url(JSON {p: partnerId, s: member sub, v: state version, e: expiry epoch seconds, r?: return target,
 * f?: refresh target}) "." base64url(HMAC)`. The targets were checked against the allow-list when the state was
 * minted; being signed, they cannot be swapped on the way.
 * The routes then check the member still belongs to the partner with a role that may onboard, and that the
 * partner's state version has not moved (it does when any member leaves or is removed).
 *
 * The MAC input is prefixed with a purpose label, so the same key can never be used to forge another kind of token
 * (and states of the earlier format, without a member, no longer verify).
 */
const PURPOSE = 'connect-payouts/onboarding-state/v2';
const MAX_TOKEN_LENGTH = 2_048;

export interface OnboardingStatePayload {
  partnerId: string;
  /** The member whose request minted the state. */
  userSub: string;
  /** The partner's state version when it was minted. */
  stateVersion: number;
  /** Epoch seconds. */
  expiresAt: number;
  /** Where `/connect/return` ends (an allowed app target); absent: the stage's app URL or a page. */
  returnTo?: string;
  /** Where `/connect/refresh` ends when the app handles expired links itself; absent: a fresh Stripe link. */
  refreshTo?: string;
}

function mac(key: string, payload: string): Buffer {
  return createHmac('sha256', key).update(`${PURPOSE}.${payload}`).digest();
}

export function signOnboardingState(key: string, payload: OnboardingStatePayload): string {
  const body = Buffer.from(
    JSON.stringify({
      p: payload.partnerId,
      s: payload.userSub,
      v: payload.stateVersion,
      e: payload.expiresAt,
      ...(payload.returnTo === undefined ? {} : { r: payload.returnTo }),
      ...(payload.refreshTo === undefined ? {} : { f: payload.refreshTo }),
    }),
  ).toString('base64url');
  return `${body}.${mac(key, body).toString('base64url')}`;
}

const invalid = () => domainError('invalid_state');

/** Checks the MAC in constant time, then the expiry. Throws `invalid_state` or `expired_state`. */
export function verifyOnboardingState(key: string, token: string, now: Date): OnboardingStatePayload {
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) throw invalid();
  const [body, signature, extra] = token.split('.');
  if (!body || !signature || extra !== undefined) throw invalid();
  const expected = mac(key, body);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();

  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const { p, s, v, e, r, f } = (decoded ?? {}) as Record<'p' | 's' | 'v' | 'e' | 'r' | 'f', unknown>;
  if (typeof p !== 'string' || p.length === 0 || typeof s !== 'string' || s.length === 0) throw invalid();
  if ((r !== undefined && typeof r !== 'string') || (f !== undefined && typeof f !== 'string')) throw invalid();
  if (typeof v !== 'number' || !Number.isInteger(v) || typeof e !== 'number' || !Number.isInteger(e)) throw invalid();
  if (e <= Math.floor(now.getTime() / 1000)) {
    fail('expired_state');
  }
  return {
    partnerId: p,
    userSub: s,
    stateVersion: v,
    expiresAt: e,
    ...(typeof r === 'string' ? { returnTo: r } : {}),
    ...(typeof f === 'string' ? { refreshTo: f } : {}),
  };
}
