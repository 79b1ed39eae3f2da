import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError } from '#core/errors';
import { requireNoBody } from '#middleware/bare-handler';
import { httpHandler, MAX_BODY_BYTES, NoBody, parseWith } from '#middleware/http-handler';
import { lambdaContext, proxyEvent } from '#tests/events';
import { handler as getMe } from '../../functions/api/get-me.ts';
import { handler as getOpenApi } from '../../functions/api/get-openapi.ts';
import { handler as health } from '../../functions/api/health.ts';

/**
 * The bare handlers (health, /me, the contract) answer exactly what `httpHandler` answers with the same options and
 * result: each is compared with an `httpHandler` twin on the same events, byte for byte.
 */
const root = path.resolve(import.meta.dirname, '../..');
const committedContract = JSON.parse(readFileSync(path.join(root, 'openapi.json'), 'utf8')) as unknown;

const twins = {
  health: [health, httpHandler({ auth: 'public' }, async () => ({ status: 200, body: { status: 'ok' } }))],
  getMe: [
    getMe,
    httpHandler({ auth: 'partner' }, async ({ identity }) => ({
      status: 200,
      body: { sub: identity.sub, email: identity.email ?? null, groups: identity.groups },
    })),
  ],
  getOpenApi: [
    getOpenApi,
    httpHandler({ auth: 'public' }, async () => ({
      status: 200,
      body: committedContract,
      headers: { 'cache-control': 'public, max-age=300' },
    })),
  ],
} as const;

const claims = { sub: 'user-1', email: 'a@example.com', token_use: 'id', 'cognito:groups': 'admin' };
const json = { 'content-type': 'application/json' };
const events: Record<string, APIGatewayProxyEvent> = {
  plain: proxyEvent({ claims }),
  'no claims': proxyEvent(),
  'access token': proxyEvent({ claims: { ...claims, token_use: 'access' } }),
  'no email, no groups': proxyEvent({ claims: { sub: 'user-2' } }),
  'empty JSON body': proxyEvent({ claims, headers: json, body: '{}' }),
  'blank body': proxyEvent({ claims, headers: json, body: '  \n' }),
  'a field': proxyEvent({ claims, headers: json, body: '{"status":"down"}' }),
  'two fields': proxyEvent({ claims, headers: { 'Content-Type': 'application/json' }, body: '{"a":1,"b":[2]}' }),
  'an array': proxyEvent({ claims, headers: json, body: '[]' }),
  null: proxyEvent({ claims, headers: json, body: 'null' }),
  'malformed JSON': proxyEvent({ claims, headers: json, body: '{"a":' }),
  'not JSON': proxyEvent({ claims, headers: { 'content-type': 'text/plain' }, body: 'hello' }),
  'too large': proxyEvent({ claims, headers: json, body: JSON.stringify({ a: 'x'.repeat(MAX_BODY_BYTES) }) }),
  base64: proxyEvent({ claims, headers: json, body: Buffer.from('{"a":1}').toString('base64'), isBase64Encoded: true }),
};

describe('bare handlers', () => {
  for (const [name, [bare, twin]] of Object.entries(twins)) {
    it(`${name} answers what its httpHandler twin answers, headers and bytes included`, async () => {
      for (const [label, event] of Object.entries(events)) {
        const [got, expected] = [await bare(event), await twin(event, lambdaContext())];
        expect(got, `${name}: ${label}`).toEqual(expected);
      }
    });
  }

  it('positive control: the comparison sees one header differ', async () => {
    const cached = httpHandler({ auth: 'public' }, async () => ({
      status: 200,
      body: { status: 'ok' },
      headers: { 'cache-control': 'public, max-age=300' },
    }));
    expect(await health(events.plain!)).not.toEqual(await cached(events.plain!, lambdaContext()));
  });

  it('requireNoBody refuses what NoBody refuses, with the same error, for any JSON value', () => {
    const outcome = (check: () => void) => {
      try {
        check();
        return 'passed';
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        return { code: error.code, message: error.message, details: error.details };
      }
    };
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.dictionary(fc.string(), fc.jsonValue())), (value) => {
        expect(outcome(() => requireNoBody(value))).toEqual(outcome(() => parseWith(NoBody, value, 'body')));
      }),
      { numRuns: 500 },
    );
    expect(outcome(() => requireNoBody({}))).toBe('passed');
    expect(outcome(() => requireNoBody(JSON.parse('{"__proto__":1,"a":2}')))).toEqual(
      outcome(() => parseWith(NoBody, JSON.parse('{"__proto__":1,"a":2}'), 'body')),
    );
  });
});
