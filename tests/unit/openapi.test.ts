import { readFileSync } from 'node:fs';
import path from 'node:path';
import { lintFromString, loadConfig } from '@redocly/openapi-core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isErrorCode } from '#core/error-catalog';
import { statusOf } from '#middleware/error-mapper';
import { ROUTES } from '#routes';
import { breakingChanges } from '../../local/openapi/breaking.ts';
import {
  buildOpenApi,
  loadContracts,
  OPENAPI_DOCUMENT_MODULE,
  openApiDocumentModule,
} from '../../local/openapi/build.ts';
import { clientTypes } from '../../local/openapi/client-types.ts';
import { contractViolation } from '../../local/openapi/enforce.ts';
import { readExamples, redact } from '../../local/openapi/examples.ts';

const root = path.resolve(import.meta.dirname, '../..');
const committed = readFileSync(path.join(root, 'openapi.json'), 'utf8');
const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };

describe('the API contract', () => {
  it('is generated: the committed openapi.json, its served copy and client types are what `npm run openapi` produces', async () => {
    const document = buildOpenApi(ROUTES, await loadContracts(ROUTES), { version, examples: readExamples() });
    expect(`${JSON.stringify(document, null, 2)}\n`).toBe(committed);
    expect(await clientTypes(document)).toBe(readFileSync(path.join(root, 'local/api-types.ts'), 'utf8'));
    expect(openApiDocumentModule(document)).toBe(readFileSync(path.join(root, OPENAPI_DOCUMENT_MODULE), 'utf8'));
    // It imports every handler module and compiles every schema to TypeScript: seconds on a busy machine.
  }, 60_000);

  it('documents every route of the route table, once, with its auth', () => {
    const document = JSON.parse(committed) as { paths: Record<string, Record<string, { security: unknown[] }>> };
    const operations = Object.entries(document.paths).flatMap(([p, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ key: `${method.toUpperCase()} ${p}`, operation })),
    );
    expect(operations.map((o) => o.key).sort()).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
    for (const route of ROUTES) {
      const operation = document.paths[route.path]?.[route.method.toLowerCase()];
      const secured = route.auth === 'partner' || route.auth === 'admin';
      expect(operation?.security, route.name).toEqual(secured ? [{ cognitoIdToken: [] }] : []);
    }
  });

  it('lists the error codes each route can answer, per status (x-error-codes), each at its own status', () => {
    type Responses = Record<string, { 'x-error-codes'?: string[] }>;
    const document = JSON.parse(committed) as { paths: Record<string, Record<string, { responses: Responses }>> };
    for (const route of ROUTES) {
      const responses = document.paths[route.path]?.[route.method.toLowerCase()]?.responses ?? {};
      const errors = Object.entries(responses).filter(([status]) => Number(status) >= 400);
      expect(errors.length, route.name).toBeGreaterThan(0);
      for (const [status, response] of errors) {
        // Every envelope answer lists its codes (a route's own HTML error page may have none of its status).
        const codes = response['x-error-codes'] ?? [];
        if (!('text/html; charset=utf-8' in ((response as { content?: object }).content ?? {}))) {
          expect(codes.length, `${route.name} ${status}`).toBeGreaterThan(0);
        }
        for (const code of codes) {
          if (!isErrorCode(code)) throw new Error(`${route.name} lists ${code}, which is not in the error catalog`);
          expect(statusOf(code), `${route.name} ${code}`).toBe(Number(status));
        }
      }
    }
    const status = document.paths['/connect/status']?.get?.responses ?? {};
    expect(status['404']?.['x-error-codes']).toEqual(['partner_not_found']);
    expect(status['429']?.['x-error-codes']).toContain('refresh_rate_limited');
    // A route answers only its own codes: health has nothing to find, nobody to refuse.
    expect(document.paths['/health']?.get?.responses['404']).toBeUndefined();
    expect(document.paths['/health']?.get?.responses['403']).toBeUndefined();
  });

  it("passes Redocly's linter (recommended rules plus redocly.yaml) without errors", async () => {
    const config = await loadConfig({ configPath: path.join(root, 'redocly.yaml') });
    const problems = await lintFromString({ source: committed, absoluteRef: path.join(root, 'openapi.json'), config });
    const errors = problems.filter((problem) => problem.severity === 'error');
    expect(errors.map((e) => `${e.ruleId}: ${e.message} at ${e.location[0]?.pointer}`)).toEqual([]);
  });

  it('the lint configuration refuses an operation without a success or redirect answer (positive control)', async () => {
    const config = await loadConfig({ configPath: path.join(root, 'redocly.yaml') });
    const document = JSON.parse(committed) as { paths: Record<string, Record<string, { responses: object }>> };
    const health = document.paths['/health']?.get;
    if (!health) throw new Error('GET /health is not in the contract');
    health.responses = { '500': { $ref: '#/components/responses/Error500' } };
    const problems = await lintFromString({
      source: JSON.stringify(document),
      absoluteRef: path.join(root, 'openapi.json'),
      config,
    });
    expect(problems.filter((p) => p.severity === 'error').map((p) => p.ruleId)).toContain(
      'rule/success-response-documented',
    );
  });

  it('every route declares a summary and at least one success (2xx) or redirect (3xx) answer', async () => {
    const contracts = await loadContracts(ROUTES);
    for (const route of ROUTES) {
      const contract = contracts.get(route.name);
      expect(contract?.summary, route.name).toBeTruthy();
      const statuses = Object.keys(contract?.responses ?? {}).map(Number);
      expect(
        statuses.some((status) => status >= 200 && status < 400),
        `${route.name} declares ${statuses.join(', ') || 'nothing'}`,
      ).toBe(true);
    }
  });
});

describe('breaking-change check', () => {
  const op = (schema: object, extra: object = {}) => ({
    paths: {
      '/things': {
        post: {
          requestBody: { required: true, content: { 'application/json': { schema } } },
          responses: { '200': { content: { 'application/json': { schema } } } },
          ...extra,
        },
      },
    },
  });
  const base = op({
    type: 'object',
    properties: { name: { type: 'string', maxLength: 100 }, kind: { type: 'string', enum: ['a', 'b'] } },
    required: ['name', 'kind'],
    additionalProperties: false,
  });

  it('finds nothing between a contract and itself, or when an optional field is added', () => {
    expect(breakingChanges(base, base)).toEqual([]);
    const added = structuredClone(base);
    const schema = added.paths['/things'].post.requestBody.content['application/json'].schema as {
      properties: Record<string, unknown>;
    };
    schema.properties.note = { type: 'string' };
    expect(breakingChanges(base, added)).toEqual([]);
  });

  it('finds a removed operation, a narrowed input, a removed field and a new required input', () => {
    expect(breakingChanges(base, { paths: {} })).toEqual(['POST /things: removed']);
    const narrowed = op({
      type: 'object',
      properties: { name: { type: 'string', maxLength: 50 }, kind: { type: 'string', enum: ['a'] } },
      required: ['name', 'kind'],
      additionalProperties: false,
    });
    const changes = breakingChanges(base, narrowed);
    expect(changes).toContain('POST /things body.name: maxLength 100 → 50');
    expect(changes).toContain('POST /things body.kind: no longer accepts "b"');
    const removed = op({
      type: 'object',
      properties: { name: { type: 'string', maxLength: 100 }, size: { type: 'integer' } },
      required: ['name', 'size'],
      additionalProperties: false,
    });
    const removedChanges = breakingChanges(base, removed);
    expect(removedChanges).toContain('POST /things body.kind: removed');
    expect(removedChanges).toContain('POST /things body.size: now required');
    expect(removedChanges).toContain('POST /things 200.kind: removed');
  });
});

describe('response enforcement (the local stack, in tests)', () => {
  const contract = {
    auth: 'public' as const,
    body: undefined,
    query: undefined,
    path: undefined,
    summary: 'x',
    responses: { 200: z.strictObject({ status: z.literal('ok') }) },
    errors: [],
  };
  const answer = (statusCode: number, body: unknown) => ({
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(body),
  });

  const codes = ['listing_not_found', 'validation_error', 'invalid_state'] as const;

  it('accepts a documented answer and the error envelope with a documented code', () => {
    expect(contractViolation(contract, answer(200, { status: 'ok' }), codes)).toBeUndefined();
    expect(
      contractViolation(contract, answer(404, { error: { code: 'listing_not_found', message: 'no' } }), codes),
    ).toBeUndefined();
  });

  it('refuses an undocumented field, an undocumented status and a malformed error', () => {
    expect(contractViolation(contract, answer(200, { status: 'ok', secret: 1 }), codes)).toMatch(/does not match/);
    expect(contractViolation(contract, answer(201, { status: 'ok' }), codes)).toMatch(/not documented/);
    expect(contractViolation(contract, answer(400, { message: 'bad' }), codes)).toMatch(/error envelope/);
  });

  it("refuses an error code the route does not document, one outside the catalog, or one at another code's status", () => {
    const error = (status: number, code: string) => answer(status, { error: { code, message: 'no' } });
    expect(contractViolation(contract, error(404, 'order_not_found'), codes)).toMatch(
      /order_not_found is not documented for this route/,
    );
    expect(contractViolation(contract, error(404, 'not_found'), codes)).toMatch(
      /not_found is not in the error catalog/,
    );
    expect(contractViolation(contract, error(409, 'listing_not_found'), codes)).toMatch(
      /answered with 409, documented with 404/,
    );
  });

  it('accepts any documented alternative of a status (JSON or CSV), a body-less 204 and a documented HTML error page', () => {
    const multi = {
      ...contract,
      responses: {
        200: [z.strictObject({ id: z.string() }), { contentType: 'text/csv; charset=utf-8', description: 'CSV' }],
        204: { empty: true as const, description: 'gone' },
        400: { contentType: 'text/html; charset=utf-8', description: 'a page' },
      },
    };
    const text = (statusCode: number, contentType: string, body: string) => ({
      statusCode,
      headers: { 'content-type': contentType },
      body,
    });
    expect(contractViolation(multi, answer(200, { id: 'x' }), codes)).toBeUndefined();
    expect(contractViolation(multi, text(200, 'text/csv; charset=utf-8', 'a,b\r\n'), codes)).toBeUndefined();
    expect(contractViolation(multi, text(204, 'application/json; charset=utf-8', ''), codes)).toBeUndefined();
    expect(contractViolation(multi, text(400, 'text/html; charset=utf-8', '<p>no</p>'), codes)).toBeUndefined();
    expect(
      contractViolation(multi, answer(400, { error: { code: 'invalid_state', message: 'no' } }), codes),
    ).toBeUndefined();
    // Negative controls: a field none of the alternatives documents, another content type, a body on a 204, and an
    // undocumented HTML error.
    expect(contractViolation(multi, answer(200, { id: 'x', extra: 1 }), codes)).toMatch(/does not match/);
    expect(contractViolation(multi, text(200, 'text/html', '<p></p>'), codes)).toMatch(/documented text\/csv/);
    expect(contractViolation(multi, text(204, 'application/json', '{}'), codes)).toMatch(/has a body/);
    expect(contractViolation(multi, text(409, 'text/html', '<p></p>'), codes)).toMatch(/not the error envelope/);
  });
});

describe('response examples', () => {
  it('redacts secrets from recorded answers', () => {
    const redacted = redact({
      secret: 'cpwhsec_abc',
      clientSecret: 'pi_1_secret_2',
      nested: [{ url: 'https://example.com', key: 'sk_test_123' }],
      amount: 100,
    });
    expect(redacted).toEqual({
      secret: '<redacted>',
      clientSecret: '<redacted>',
      nested: [{ url: 'https://example.com', key: '<redacted>' }],
      amount: 100,
    });
  });

  it('the committed examples hold no secret', () => {
    const text = JSON.stringify(readExamples());
    expect(text).not.toMatch(/sk_(test|live)_|whsec_|_secret_[A-Za-z0-9]/);
  });
});
