import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signatures of our webhook deliveries to the platform, in Stripe's scheme: header
 * `Connect-Payouts-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`. During a secret
 * rotation the header carries one `v1` per active secret. A receiver recomputes the HMAC over the raw body with its
 * secret, compares in constant time, and refuses timestamps older than its tolerance (replays).
 */
export const SIGNATURE_HEADER = 'Connect-Payouts-Signature';

const hmac = (secret: string, timestamp: number, body: string) =>
  createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');

export function signatureHeader(secrets: readonly string[], body: string, at: Date): string {
  const timestamp = Math.floor(at.getTime() / 1000);
  return [`t=${timestamp}`, ...secrets.map((secret) => `v1=${hmac(secret, timestamp, body)}`)].join(',');
}

export type SignatureCheck = 'valid' | 'malformed' | 'mismatch' | 'expired';

/** What a platform's receiver does (also used by our tests as the reference receiver). */
export function verifySignature(
  header: string | undefined,
  body: string,
  secret: string,
  now: Date,
  toleranceSeconds = 300,
): SignatureCheck {
  if (!header) return 'malformed';
  const parts = header.split(',').map((part) => part.trim().split('='));
  const timestamp = Number(parts.find(([key]) => key === 't')?.[1]);
  const signatures = parts.filter(([key]) => key === 'v1').map(([, value]) => value ?? '');
  if (!Number.isInteger(timestamp) || signatures.length === 0) return 'malformed';
  const expected = Buffer.from(hmac(secret, timestamp, body), 'hex');
  const matches = signatures.some((signature) => {
    const given = Buffer.from(signature, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) return 'mismatch';
  return Math.abs(now.getTime() / 1000 - timestamp) > toleranceSeconds ? 'expired' : 'valid';
}
