import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { ERROR_CATALOG, ERROR_CODES } from '#core/error-catalog';
import { DomainError } from '#core/errors';
import { STATUS_BY_KIND } from '#middleware/error-mapper';
import { httpHandler, MAX_BODY_BYTES } from '#middleware/http-handler';
import { parseGroups } from '#middleware/identity';
import { lambdaContext, proxyEvent } from '#tests/events';

const Body = z.strictObject({ amount: z.number().int().positive(), currency: z.string().length(3) });
const json = { 'content-type': 'application/json' };

const echo = httpHandler({ auth: 'partner', body: Body }, async ({ body, identity }) => ({
  status: 201,
  body: { ...body, sub: identity.sub },
}));
const claims = { sub: 'user-1', email: 'a@example.com', token_use: 'id' };

async function call(handler: typeof echo, event: Parameters<typeof echo>[0]) {
  const result = await handler(event, lambdaContext());
  return { status: result.statusCode, body: JSON.parse(result.body) as unknown, headers: result.headers };
}

describe('httpHandler', () => {
  it('gives the use case a validated body and the identity from the claims', async () => {
    const res = await call(
      echo,
      proxyEvent({ claims, headers: json, body: JSON.stringify({ amount: 100, currency: 'usd' }) }),
    );
    expect(res).toMatchObject({ status: 201, body: { amount: 100, currency: 'usd', sub: 'user-1' } });
  });

  it('decodes base64 bodies as API Gateway sends them', async () => {
    const body = Buffer.from(JSON.stringify({ amount: 5, currency: 'eur' })).toString('base64');
    const res = await call(echo, proxyEvent({ claims, headers: json, body, isBase64Encoded: true }));
    expect(res.status).toBe(201);
  });

  it('refuses unknown fields, wrong types and missing fields with 400 validation_error naming the field', async () => {
    for (const payload of [
      { amount: 1, currency: 'usd', extra: 1 },
      { amount: '1', currency: 'usd' },
      { currency: 'usd' },
    ]) {
      const res = await call(echo, proxyEvent({ claims, headers: json, body: JSON.stringify(payload) }));
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: { code: 'validation_error', message: expect.stringMatching(/^body/) } });
    }
  });

  it('refuses malformed JSON with 400 invalid_json', async () => {
    const res = await call(echo, proxyEvent({ claims, headers: json, body: '{"amount":' }));
    expect(res).toEqual({
      status: 400,
      body: { error: { code: 'invalid_json', message: 'The body is not valid JSON.' } },
      headers: expect.any(Object),
    });
  });

  it('refuses non-JSON content with 415 and oversized bodies with 413', async () => {
    const text = await call(echo, proxyEvent({ claims, headers: { 'content-type': 'text/plain' }, body: 'amount=1' }));
    expect(text.status).toBe(415);
    const big = await call(
      echo,
      proxyEvent({ claims, headers: json, body: JSON.stringify({ pad: 'x'.repeat(MAX_BODY_BYTES) }) }),
    );
    expect(big.status).toBe(413);
  });

  it('keeps __proto__ keys inert: they are refused as unknown fields, not merged into objects', async () => {
    const res = await call(
      echo,
      proxyEvent({ claims, headers: json, body: '{"amount":1,"currency":"usd","__proto__":{"polluted":true}}' }),
    );
    expect(res.status).toBe(400);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('answers 401 when the authorizer passed no claims (defence in depth)', async () => {
    const res = await call(echo, proxyEvent({ headers: json, body: '{}' }));
    expect(res.status).toBe(401);
  });

  it('refuses non-admins on admin handlers with 403', async () => {
    const admin = httpHandler({ auth: 'admin' }, async () => ({ status: 200, body: { ok: true } }));
    expect((await call(admin, proxyEvent({ claims }))).status).toBe(403);
    expect((await call(admin, proxyEvent({ claims: { ...claims, 'cognito:groups': 'admin' } }))).status).toBe(200);
  });

  it('maps every domain error kind to its status, with code and message', async () => {
    for (const [kind, status] of Object.entries(STATUS_BY_KIND)) {
      // Every kind has a code in the catalog.
      const code = ERROR_CODES.find((c) => ERROR_CATALOG[c].kind === kind);
      if (!code) throw new Error(`no catalog code of kind ${kind}`);
      const failing = httpHandler({ auth: 'public' }, async () => {
        throw new DomainError(ERROR_CATALOG[code].kind, code, `message ${kind}`);
      });
      const res = await call(failing, proxyEvent());
      expect(res).toMatchObject({ status, body: { error: { code, message: `message ${kind}` } } });
    }
  });

  it('turns an unexpected error into a generic 500 without its message or stack', async () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const failing = httpHandler({ auth: 'public' }, async () => {
      throw new Error('db password is hunter2');
    });
    const res = await call(failing, proxyEvent());
    expect(res.status).toBe(500);
    expect(JSON.stringify(res.body)).not.toContain('hunter2');
    expect(res.body).toEqual({ error: { code: 'internal_error', message: expect.any(String) } });
    spy.mockRestore();
  });

  it('validates query and path parameters with their own schemas', async () => {
    const handler = httpHandler(
      {
        auth: 'public',
        query: z.strictObject({ limit: z.coerce.number().int().max(100) }),
        path: z.strictObject({ id: z.string().regex(/^p_/) }),
      },
      async ({ query, path }) => ({ status: 200, body: { limit: query.limit, id: path.id } }),
    );
    const ok = await call(
      handler,
      proxyEvent({ queryStringParameters: { limit: '10' }, pathParameters: { id: 'p_1' } }),
    );
    expect(ok).toMatchObject({ status: 200, body: { limit: 10, id: 'p_1' } });
    const bad = await call(
      handler,
      proxyEvent({ queryStringParameters: { limit: '1000' }, pathParameters: { id: 'p_1' } }),
    );
    expect(bad.body).toMatchObject({
      error: { code: 'validation_error', message: expect.stringMatching(/^query\.limit/) },
    });
  });

  it('sets no-store and nosniff on every response', async () => {
    const res = await call(echo, proxyEvent({ claims, headers: json, body: '{"amount":1,"currency":"usd"}' }));
    expect(res.headers).toMatchObject({ 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  });
});

describe('parseGroups', () => {
  it.each([
    ['admin', ['admin']],
    ['admin,ops', ['admin', 'ops']],
    ['[admin ops]', ['admin', 'ops']],
    ['', []],
    [undefined, []],
    [['admin'], ['admin']],
  ])('%j -> %j', (raw, expected) => {
    expect(parseGroups(raw)).toEqual(expected);
  });
});
