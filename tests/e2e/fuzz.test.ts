import { writeFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '#local/dynamodb';
import { signPayload } from '#local/stripe-emulator/index';
import { ROUTES, type RouteDefinition } from '#routes';
import { stripeSdk } from '#tests/connect';
import { api, stackInfo } from '#tests/local';
import {
  buildWorld,
  isErrorShape,
  label,
  pathParams,
  probeOf,
  type RouteRequest,
  scopeOf,
  victimPartners,
  type World,
} from '#tests/route-fixtures';
import { isEmptyDiff, type StateChange, StateTracker, TableWatch } from '#tests/table-snapshot';

/**
 * Fuzzing every route of functions/routes.ts over HTTP with fast-check: generated bodies, query strings, path
 * parameters and headers (wrong types, huge values, unicode and lone surrogates, `__proto__`/`constructor` keys,
 * deep nesting, oversized payloads), sent with the rightful caller's token so they reach the handlers.
 *
 * Every answer: never a 5xx; a refusal is `{ error: { code, message } }` (JSON) — except the two browser-facing
 * onboarding redirects, which answer a bad `state` with an HTML page by design; a refused request writes nothing
 * (the table's stream and the emulator's Stripe write log after each refusal; the stream-fed copy of the
 * table is checked against a full scan after each route). Webhooks: random payloads and
 * signatures → 400, nothing written.
 */

/**
 * The fixed slice `npm test` runs: 15 cases for each of the 60-odd routes (about 1,100 with the webhooks, the size of
 * the slice when the API had half as many routes), so the suite stays within its time; FUZZ_RUNS=<n> runs more
 * (`npm run fuzz -- --runs <total>` sets it, see local/fuzz-cli.ts).
 */
const RUNS_PER_ROUTE = Number(process.env.FUZZ_RUNS ?? 15);
const WEBHOOK_RUNS = Number(process.env.FUZZ_WEBHOOK_RUNS ?? 60);
/** Seeded so a failure is reproducible; FUZZ_SEED=<n> explores other inputs. */
const SEED = Number(process.env.FUZZ_SEED ?? 20_260_705);
/**
 * A route whose cases do not all finish in time fails (rather than passing on the few that ran): a slow machine
 * must not turn the fuzzer into a handful of cases. The counts per route are asserted after each run as well. The
 * budget grows with the number of cases (3 s each, at least 45 s), the test's timeout with it.
 */
const TIME_BUDGET_MS = Math.max(45_000, 3_000 * Math.max(RUNS_PER_ROUTE, WEBHOOK_RUNS));
const TIME_LIMIT = { interruptAfterTimeLimit: TIME_BUDGET_MS, markInterruptAsFailure: true } as const;
const TEST_TIMEOUT_MS = TIME_BUDGET_MS + 15_000;
/** Where the run's figures are written as JSON for `npm run fuzz` (unset in `npm test`). */
const REPORT_FILE = process.env.FUZZ_REPORT;
/** Routes whose refusal of a bad `state` is an HTML page for the partner's browser (docs/onboarding.md). */
const HTML_ROUTES = new Set(['connect-refresh', 'connect-return']);

let world: World;
let table: TableWatch;
const cases = new Map<string, { runs: number; statuses: Map<number, number> }>();

beforeAll(async () => {
  world = await buildWorld('fuzz');
  table = await TableWatch.start();
}, 60_000);

/** Answers of 5xx, and refusals that changed the table or called Stripe (both must stay 0; the checks fail on the first). */
const violations = { serverErrors: 0, refusedButWrote: 0 };
const startedAt = performance.now();

afterAll(() => {
  const lines = [...cases].map(([name, { runs, statuses }]) => {
    const histogram = [...statuses].sort(([a], [b]) => a - b).map(([status, n]) => `${status}×${n}`);
    return `  ${name.padEnd(26)} ${String(runs).padStart(4)} cases   ${histogram.join(' ')}`;
  });
  const total = [...cases.values()].reduce((sum, { runs }) => sum + runs, 0);
  console.log(`fuzz cases per route (seed ${SEED}):\n${lines.join('\n')}\n  total ${total}`);
  if (REPORT_FILE) {
    const report = {
      seed: SEED,
      runsPerRoute: RUNS_PER_ROUTE,
      webhookRuns: WEBHOOK_RUNS,
      routes: cases.size,
      cases: total,
      ...violations,
      seconds: (performance.now() - startedAt) / 1000,
      perRoute: Object.fromEntries(
        [...cases].map(([name, { runs, statuses }]) => [name, { runs, statuses: Object.fromEntries(statuses) }]),
      ),
    };
    writeFileSync(REPORT_FILE, JSON.stringify(report, null, 2));
  }
});

function count(route: string, status: number) {
  const entry = cases.get(route) ?? { runs: 0, statuses: new Map<number, number>() };
  cases.set(route, entry);
  entry.runs += 1;
  entry.statuses.set(status, (entry.statuses.get(status) ?? 0) + 1);
}

// ---------------------------------------------------------------------------------------------------------------
// Generators

const NASTY = [
  '',
  ' ',
  '\u0000',
  '\ud800',
  '\udfff',
  'a\ud83d',
  '\u202e\u0646\u0635',
  '💸🏦',
  'Ω≈ç√∫',
  'ptn_000000000000000000000000',
  'ptn_FFFFFFFFFFFFFFFFFFFFFFFF',
  'ord_000000000000000000000000',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4shell-style payload, meant literally
  '${jndi:ldap://x}',
  '%00',
  '%ZZ',
  'null',
  'undefined',
  'NaN',
  'Infinity',
  '-1',
  '0',
  '1e309',
  '99999999999999999999999',
  '0x10',
  'true',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  'admin',
];

const weirdString = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 60 }) },
  { weight: 1, arbitrary: fc.integer({ min: 200, max: 60_000 }).map((n) => 'é'.repeat(n)) },
);

const weirdNumber = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(2 ** 53 + 1, -(2 ** 53) - 1, 1e308, -1e308, 0.1, 5e-324, -0, 99_999_999, 100_000_000, 0, -1),
);

/** Any JSON value, leaning towards the shapes that break validators. */
const weirdValue: fc.Arbitrary<unknown> = fc.oneof(
  weirdString,
  weirdNumber,
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 3 }),
  fc.array(weirdString, { maxLength: 5 }),
);

const SPECIAL_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'sub',
  'groups',
];

/** JSON text written by hand, so `__proto__` stays an own key and duplicate keys are possible. */
function objectText(entries: ReadonlyArray<readonly [string, unknown]>): string {
  return `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value) ?? 'null'}`).join(',')}}`;
}

const nested = fc
  .tuple(fc.integer({ min: 10, max: 12_000 }), fc.constantFrom('array', 'object'))
  .map(([depth, kind]) =>
    kind === 'array' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
  );

interface BodyCase {
  text: string;
  contentType: string | null;
}

function bodyCase(base: unknown): fc.Arbitrary<BodyCase> {
  const baseEntries = base && typeof base === 'object' && !Array.isArray(base) ? Object.entries(base) : [];
  const keys = [...baseEntries.map(([key]) => key), ...SPECIAL_KEYS, 'unexpected'];
  const json = (text: fc.Arbitrary<string>) => text.map((t) => ({ text: t, contentType: 'application/json' }));
  return fc.oneof(
    // The fixture with one field replaced, added or removed.
    {
      weight: 5,
      arbitrary: json(
        fc
          .tuple(fc.constantFrom(...keys), weirdValue, fc.boolean())
          .map(([key, value, remove]) =>
            objectText([
              ...baseEntries.filter(([k]) => k !== key),
              ...(remove && baseEntries.some(([k]) => k === key) ? [] : [[key, value] as const]),
            ]),
          ),
      ),
    },
    // Prototype pollution next to a valid body.
    {
      weight: 2,
      arbitrary: json(
        fc
          .constantFrom<ReadonlyArray<readonly [string, unknown]>>(
            [['__proto__', { isAdmin: true, groups: ['admin'] }]],
            [['constructor', { prototype: { isAdmin: true } }]],
            [['prototype', { sub: 'someone-else' }]],
            [
              ['__proto__', { toString: 'x', valueOf: 1 }],
              ['__proto__', null],
            ],
          )
          .map((pollution) => objectText([...pollution, ...baseEntries])),
      ),
    },
    { weight: 2, arbitrary: json(fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value) ?? 'null')) },
    { weight: 1, arbitrary: json(nested) },
    // Oversized: just over the 64 KiB limit, or well over it.
    {
      weight: 1,
      arbitrary: json(
        fc
          .integer({ min: 64 * 1024, max: 1024 * 1024 })
          .map((n) => objectText([...baseEntries, ['pad', 'x'.repeat(n)]])),
      ),
    },
    // Not JSON at all, or JSON under another content type.
    {
      weight: 2,
      arbitrary: fc.record({
        text: fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.constant(objectText(baseEntries))),
        contentType: fc.constantFrom(
          'application/json',
          'application/json; charset=utf-16',
          'APPLICATION/JSON',
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/octet-stream',
          'application/jsonp',
          null,
        ),
      }),
    },
    { weight: 1, arbitrary: fc.constant({ text: '', contentType: null }) },
  );
}

function queryCase(base: Record<string, string> | undefined): fc.Arbitrary<Record<string, string>> {
  const keys = [...Object.keys(base ?? {}), 'partnerId', 'cursor', 'limit', 'refresh', 'status', 'state', 'currency'];
  const value = fc.oneof(
    weirdString.filter((s) => s.length < 1_500),
    weirdNumber.map(String),
  );
  return fc.oneof(
    fc.tuple(fc.constantFrom(...keys, ...SPECIAL_KEYS), value).map(([key, v]) => ({ ...base, [key]: v })),
    fc.dictionary(fc.oneof(fc.constantFrom(...keys, ...SPECIAL_KEYS), fc.string({ maxLength: 10 })), value, {
      maxKeys: 4,
    }),
  );
}

const HEADER_NAMES = [
  '__proto__',
  'constructor',
  'toString',
  'x-fuzz',
  'origin',
  'referer',
  'x-forwarded-for',
  'x-forwarded-host',
  'cookie',
  'accept',
  'accept-language',
  'idempotency-key',
  'stripe-signature',
  'x-amzn-trace-id',
  'x-http-method-override',
];
/** Header values must be Latin-1 without control characters to be sent at all. */
function printable(value: string): string {
  return [...value].filter((c) => c.charCodeAt(0) >= 0x20 && c.charCodeAt(0) !== 0x7f).join('');
}

/** Header values must be Latin-1 without control characters to be sent at all. */
const headerValue = fc.oneof(
  fc.string({ unit: 'binary-ascii', maxLength: 200 }).map(printable),
  fc.constantFrom('admin', '*', 'null', 'https://evil.example', '127.0.0.1, 10.0.0.1', 'DELETE', 'a'.repeat(6_000)),
);
const headersCase = fc.dictionary(fc.constantFrom(...HEADER_NAMES), headerValue, { maxKeys: 3 });

/** Lone surrogates cannot be percent-encoded (URIError): such strings are sent in bodies and queries only. */
function encodable(value: string): boolean {
  try {
    encodeURIComponent(value);
    return true;
  } catch {
    return false;
  }
}

/** A path parameter: any string (sent percent-encoded), or a raw segment (malformed or encoded separators). */
const pathValue = fc.oneof(
  weirdString.filter((s) => s.length < 2_000 && encodable(s)).map((s) => ({ raw: false, s })),
  fc.constantFrom('%ZZ', '%2F', '%2e%2e', '..', '.', '%00', '%E0%A4%A', 'a;b', '%252F').map((s) => ({ raw: true, s })),
);

interface FuzzCase {
  body?: BodyCase;
  query?: Record<string, string>;
  path?: Record<string, { raw: boolean; s: string }>;
  headers: Record<string, string>;
  /** Authorized routes: sometimes spoil the token. */
  spoilToken: boolean;
}

function caseFor(route: RouteDefinition, request: RouteRequest): fc.Arbitrary<FuzzCase> {
  const params = pathParams(route);
  const hasBody = route.method !== 'GET';
  return fc.record({
    body: hasBody ? fc.option(bodyCase(request.body), { freq: 4, nil: undefined }) : fc.constant(undefined),
    query: fc.option(queryCase(request.query), { freq: 2, nil: undefined }),
    path:
      params.length > 0
        ? fc.option(fc.record(Object.fromEntries(params.map((name) => [name, pathValue]))), { freq: 2, nil: undefined })
        : fc.constant(undefined),
    headers: headersCase,
    spoilToken: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  });
}

function urlFor(route: RouteDefinition, request: RouteRequest, fuzz: FuzzCase): string {
  const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = fuzz.path?.[name];
    if (value) return value.raw ? value.s : encodeURIComponent(value.s);
    return encodeURIComponent(request.path?.[name] ?? '');
  });
  const query = new URLSearchParams(fuzz.query ?? request.query ?? {}).toString();
  return query ? `${path}?${query}` : path;
}

// ---------------------------------------------------------------------------------------------------------------
// Checks

const wrote = (change: StateChange) => !isEmptyDiff(change.table) || change.stripeWrites.length > 0;

function tokenFor(route: RouteDefinition): string | undefined {
  if (route.auth === 'admin') return world.admin.idToken;
  if (route.auth !== 'partner') return undefined;
  return scopeOf(route) === 'caller' ? world.mate.idToken : world.victim.idToken;
}

async function expectWellBehaved(route: RouteDefinition, response: Awaited<ReturnType<typeof api>>, what: string) {
  expect(response.status, `${what} → ${response.status} ${response.text.slice(0, 300)}`).toBeLessThan(500);
  if (response.status >= 400) {
    const html = HTML_ROUTES.has(route.name) && /text\/html/.test(response.headers.get('content-type') ?? '');
    if (!html) {
      expect(response.headers.get('content-type') ?? '', what).toMatch(/^application\/json/);
      expect(isErrorShape(response.body), `${what} → ${response.text.slice(0, 300)}`).toBe(true);
    }
  }
}

const describeText = (fuzz: FuzzCase, url: string) =>
  JSON.stringify({
    url: url.slice(0, 300),
    body: fuzz.body
      ? { contentType: fuzz.body.contentType, text: fuzz.body.text.slice(0, 200), bytes: fuzz.body.text.length }
      : undefined,
    headers: Object.fromEntries(Object.entries(fuzz.headers).map(([k, v]) => [k, v.slice(0, 60)])),
    spoilToken: fuzz.spoilToken,
  });

describe('the "nothing written" detector', () => {
  it('sees a put, an update and a delete of an item, and a Stripe write (positive control)', async () => {
    const info = stackInfo();
    const documents = DynamoDBDocumentClient.from(
      new DynamoDBClient({ endpoint: info.dynamoEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }),
    );
    const tracker = new StateTracker(table);
    await tracker.start();
    const Key = { PK: `FUZZ_CONTROL#${SEED}`, SK: 'ITEM' };
    const id = `${Key.PK}|${Key.SK}`;
    const empty = { added: [], removed: [], changed: [] };
    try {
      expect(await tracker.next(), 'nothing done').toEqual({ table: empty, stripeWrites: [] });
      await documents.send(new PutCommand({ TableName: info.tableName, Item: { ...Key, n: 1 } }));
      expect((await tracker.next()).table, 'a put').toEqual({ ...empty, added: [id] });
      await documents.send(
        new UpdateCommand({
          TableName: info.tableName,
          Key,
          UpdateExpression: 'SET n = :n',
          ExpressionAttributeValues: { ':n': 2 },
        }),
      );
      expect((await tracker.next()).table, 'an update').toEqual({ ...empty, changed: [id] });
      await documents.send(new DeleteCommand({ TableName: info.tableName, Key }));
      expect((await tracker.next()).table, 'a delete').toEqual({ ...empty, removed: [id] });
      await stripeSdk().accounts.createLoginLink(world.victim.accountId);
      expect((await tracker.next()).stripeWrites, 'a Stripe write').toEqual([
        { method: 'POST', path: `/v1/accounts/${world.victim.accountId}/login_links`, status: 200 },
      ]);
      await table.verify();
    } finally {
      documents.destroy();
    }
  });
});

const HTTP_ROUTES = ROUTES.filter((route) => route.auth !== 'webhook');

describe('fuzzing every route: no 5xx, the error shape, nothing written when refused', () => {
  it.each(HTTP_ROUTES.map((route) => [label(route), route] as const))(
    '%s',
    { timeout: TEST_TIMEOUT_MS },
    async (_name, route) => {
      const partnerId = route.auth === 'partner' ? (victimPartners(route, world)[0] ?? '') : world.victim.partnerId;
      const request = probeOf(route, world, partnerId);
      const token = tokenFor(route);
      const tracker = new StateTracker(table);
      await tracker.start();
      await fc.assert(
        fc.asyncProperty(caseFor(route, request), async (fuzz) => {
          const url = urlFor(route, request, fuzz);
          const headers: Record<string, string> = { ...fuzz.headers };
          if (fuzz.body?.contentType) headers['content-type'] = fuzz.body.contentType;
          if (token) headers.authorization = fuzz.spoilToken ? `${token}x` : token;
          const response = await api(route.method, url, {
            headers,
            ...(fuzz.body && fuzz.body.text.length > 0 ? { rawBody: fuzz.body.text } : {}),
          });
          count(route.name, response.status);
          const what = describeText(fuzz, url);
          if (response.status >= 500) violations.serverErrors += 1;
          await expectWellBehaved(route, response, what);
          const change = await tracker.next();
          if (response.status >= 400) {
            if (wrote(change)) violations.refusedButWrote += 1;
            const answer = `${response.status} ${response.text.slice(0, 300)}`;
            expect(change.table, `refused (${answer}) but wrote: ${what}`).toEqual({
              added: [],
              removed: [],
              changed: [],
            });
            expect(change.stripeWrites, `refused (${answer}) but called Stripe: ${what}`).toEqual([]);
          }
        }),
        { numRuns: RUNS_PER_ROUTE, seed: SEED, endOnFailure: true, ...TIME_LIMIT },
      );
      expect(cases.get(route.name)?.runs ?? 0, 'every generated case ran').toBeGreaterThanOrEqual(RUNS_PER_ROUTE);
      await table.verify();
    },
  );
});

describe('fuzzing the webhooks: random payloads and signatures → 400, nothing written', () => {
  const WEBHOOKS = ROUTES.filter((route) => route.auth === 'webhook');
  const now = () => Math.floor(Date.now() / 1000);
  const payload = fc.oneof(
    fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value) ?? 'null'),
    fc.string({ unit: 'binary', maxLength: 500 }),
    fc.constantFrom(
      JSON.stringify({ id: 'evt_fuzz', object: 'event', type: 'account.updated', data: { object: { id: 'acct_1' } } }),
      JSON.stringify({ id: 'evt_fuzz', object: 'event', type: 'payment_intent.succeeded', data: { object: {} } }),
      '{"__proto__":{"admin":true},"id":"evt_x","type":"charge.refunded"}',
    ),
  );
  const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/);
  /** Every kind of wrong signature: none, garbage, well-formed with a wrong HMAC, the right HMAC with another secret or an old timestamp. */
  const signature = (route: RouteDefinition) =>
    fc.oneof(
      fc.constant(null),
      fc.string({ unit: 'binary-ascii', maxLength: 120 }).map(printable),
      fc.tuple(fc.integer({ min: 0, max: 2 ** 31 }), hex64).map(
        ([t, v1]) =>
          () =>
            `t=${t},v1=${v1}`,
      ),
      hex64.map((v1) => () => `t=${now()},v1=${v1},v0=${v1}`),
      fc.constant((text: string) => signPayload(text, otherSecret(route), now())),
      fc.constant((text: string) => signPayload(text, `whsec_${'0'.repeat(32)}`, now())),
      fc.constant((text: string) => signPayload(text, ownSecret(route), now() - 3_600)),
      fc.constant((text: string) => signPayload(`${text} `, ownSecret(route), now())),
    );

  it.each(WEBHOOKS.map((route) => [label(route), route] as const))(
    '%s',
    { timeout: TEST_TIMEOUT_MS },
    async (_name, route) => {
      const tracker = new StateTracker(table);
      await tracker.start();
      await fc.assert(
        fc.asyncProperty(payload, signature(route), headersCase, async (text, sign, extra) => {
          const header = typeof sign === 'function' ? sign(text) : sign;
          const headers: Record<string, string> = { ...extra, 'content-type': 'application/json' };
          if (header === null) delete headers['stripe-signature'];
          else headers['stripe-signature'] = header;
          const response = await api(route.method, route.path, { headers, rawBody: text });
          count(route.name, response.status);
          const what = JSON.stringify({ text: text.slice(0, 200), header: header?.slice(0, 120) });
          if (response.status >= 500) violations.serverErrors += 1;
          // Every webhook case here is refused: a write after any of them is a refused-but-wrote case.
          const change = await tracker.next();
          if (wrote(change)) violations.refusedButWrote += 1;
          expect(response.status, `${what} → ${response.text}`).toBe(400);
          expect(response.body, what).toMatchObject({
            error: { code: expect.stringMatching(/^(missing_signature|invalid_signature)$/) },
          });
          expect(change.table, `wrote: ${what}`).toEqual({ added: [], removed: [], changed: [] });
          expect(change.stripeWrites, what).toEqual([]);
        }),
        { numRuns: WEBHOOK_RUNS, seed: SEED, endOnFailure: true, ...TIME_LIMIT },
      );
      expect(cases.get(route.name)?.runs ?? 0, 'every generated case ran').toBeGreaterThanOrEqual(WEBHOOK_RUNS);
      await table.verify();
    },
  );
});

function ownSecret(route: RouteDefinition): string {
  const info = stackInfo();
  return route.path === '/webhooks/stripe' ? info.platformWebhookSecret : info.connectWebhookSecret;
}

function otherSecret(route: RouteDefinition): string {
  const info = stackInfo();
  return route.path === '/webhooks/stripe' ? info.connectWebhookSecret : info.platformWebhookSecret;
}
