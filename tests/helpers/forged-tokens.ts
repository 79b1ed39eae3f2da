import { createPrivateKey, createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * Tokens an attacker (or a bug) could present. Some are signed with cognito-local's own key — shipped in its
 * package — so that the *only* thing wrong with them is the claim under test (expiry, audience, issuer).
 */
const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

function cognitoLocalKey(): KeyObject {
  const require = createRequire(import.meta.url);
  const file = require.resolve('cognito-local/lib/keys/cognitoLocal.private.json');
  const { jwk } = JSON.parse(readFileSync(file, 'utf8')) as { jwk: import('node:crypto').JsonWebKey };
  return createPrivateKey({ key: jwk, format: 'jwk' });
}

export function decodePayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

export function signRs256(
  payload: Record<string, unknown>,
  key: KeyObject = cognitoLocalKey(),
  kid = 'CognitoLocal',
): string {
  const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid }));
  const body = base64url(JSON.stringify(payload));
  const signature = createSign('RSA-SHA256').update(`${header}.${body}`).sign(key);
  return `${header}.${body}.${base64url(signature)}`;
}

/**
 * The positive control for the re-signed forgeries: the genuine token's claims, unchanged, signed the same way. It
 * must be accepted — otherwise every re-signed variant would be refused for its signature alone ("wrong key"), not
 * for the claim it changes, and its test would prove nothing.
 */
export function resignedUnchanged(genuine: string): string {
  return signRs256(decodePayload(genuine));
}

/** Every way a token can be wrong, derived from a genuine token for the same user. */
export function forgedVariants(genuine: string): Record<string, string> {
  const claims = decodePayload(genuine);
  const now = Math.floor(Date.now() / 1000);
  const [header, , signature] = genuine.split('.');
  const { privateKey: strangerKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    'alg none': `${base64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${base64url(JSON.stringify(claims))}.`,
    'wrong key': signRs256(claims, strangerKey),
    expired: signRs256({ ...claims, iat: now - 7_200, exp: now - 3_600 }),
    'wrong audience': signRs256({ ...claims, aud: 'some-other-client' }),
    'wrong issuer': signRs256({ ...claims, iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_attacker' }),
    'access token instead of ID token': signRs256({ ...claims, token_use: 'access' }),
    'tampered claims': `${header}.${base64url(JSON.stringify({ ...claims, sub: 'someone-else', email: 'attacker@example.com' }))}.${signature}`,
    garbage: 'not-a-jwt',
  };
}
