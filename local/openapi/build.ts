import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { ERROR_CODES } from '#core/error-catalog';
import {
  contractOf,
  type HandlerContract,
  isJsonResponse,
  type ResponseSpec,
  responseAlternatives,
} from '#middleware/contract';
import type { RouteDefinition } from '#routes';
import { errorCodesByStatus, errorCodesOf } from './error-codes.ts';
import type { Examples } from './examples.ts';

/**
 * The API contract (OpenAPI 3.1), generated from the route table and each handler's own zod schemas — never
 * written by hand. `npm run openapi` writes it to `openapi.json`; a test fails when the committed file differs.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type OpenApiDocument = { [key: string]: Json };

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');

/** Imports every route's handler module and reads the contract `httpHandler` attached to it. */
export async function loadContracts(routes: readonly RouteDefinition[]): Promise<Map<string, HandlerContract>> {
  const contracts = new Map<string, HandlerContract>();
  for (const route of routes) {
    const module = (await import(pathToFileURL(path.join(REPO_ROOT, route.handler)).href)) as { handler?: unknown };
    const contract = contractOf(module.handler);
    if (!contract) throw new Error(`${route.handler} does not export a handler built with httpHandler`);
    contracts.set(route.name, contract);
  }
  return contracts;
}

/** JSON Schema (2020-12, OpenAPI 3.1's dialect) of a zod schema, as the client sends it or as we answer it. */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): { [key: string]: Json } {
  const converted = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as {
    [key: string]: Json;
  };
  delete converted.$schema;
  return converted;
}

const ERROR_ENVELOPE = z.strictObject({
  error: z.strictObject({
    code: z
      .enum(ERROR_CODES)
      .describe(
        "Stable machine-readable code from the error catalog (docs/architecture.md); each operation lists the codes it can answer in its error responses' `x-error-codes`.",
      ),
    message: z.string().describe('A human-readable explanation; do not parse it.'),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'The request is malformed (validation, unknown fields, bad JSON).',
  401: 'No valid Cognito ID token.',
  403: 'Authenticated, but not allowed (role, group or ownership).',
  404: 'Not found, or not visible to the caller.',
  409: 'Conflicts with the current state.',
  413: 'The body is larger than 64 KiB.',
  415: 'The body is not JSON.',
  422: 'Well-formed, but refused by a business rule.',
  429: 'Rate limited; retry after the `Retry-After` header.',
  500: 'An unexpected error (logged; never details).',
  502: 'Stripe or another dependency failed.',
};

/** An error status of a route: the envelope, and the catalog codes the route answers with that status. */
function errorResponseOf(status: number, codes: readonly string[]): { [key: string]: Json } {
  return {
    description: `${ERROR_DESCRIPTIONS[status] ?? status} ${codeList(codes)}`,
    'x-error-codes': [...codes],
    ...(status === 429 ? { headers: RETRY_AFTER } : {}),
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  };
}

/** The error mapper sets it on every rate-limited answer of a function (API Gateway's own throttling has none). */
const RETRY_AFTER: Json = {
  'Retry-After': {
    description: 'Seconds to wait before retrying.',
    schema: { type: 'integer', minimum: 1 },
  },
};

const codeList = (codes: readonly string[]) => `Codes: ${codes.map((code) => `\`${code}\``).join(', ')}.`;

function parametersOf(schema: z.ZodType | undefined, where: 'path' | 'query'): Json[] {
  if (!schema) return [];
  const json = jsonSchemaOf(schema, 'input');
  const properties = (json.properties ?? {}) as { [key: string]: { [key: string]: Json } };
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
}

function responseOf(specs: readonly ResponseSpec[], status: number): Json {
  const descriptions: string[] = [];
  const content: { [type: string]: Json } = {};
  let headers: Json | undefined;
  for (const spec of specs) {
    if (isJsonResponse(spec)) {
      const schema = jsonSchemaOf(spec, 'output');
      descriptions.push(typeof schema.description === 'string' ? schema.description : `${status}`);
      content['application/json'] = { schema };
    } else if ('redirect' in spec) {
      descriptions.push(spec.description);
      headers = { Location: { required: true, schema: { type: 'string', format: 'uri' } } };
    } else if ('empty' in spec) {
      descriptions.push(spec.description);
    } else {
      descriptions.push(spec.description);
      content[spec.contentType] = { schema: { type: 'string' } };
    }
  }
  return {
    description: descriptions.join(' Or: '),
    ...(headers ? { headers } : {}),
    ...(Object.keys(content).length > 0 ? { content } : {}),
  };
}

const TAGS: readonly [RegExp, string][] = [
  [/^\/admin\//, 'operator'],
  [/^\/webhooks\//, 'webhooks'],
  [/^\/connect\//, 'onboarding'],
  [/^\/partners/, 'partners'],
  [/^\/(payments|orders|listings|payment-requests|invitations)/, 'payments'],
  [/^\/(earnings|payouts)/, 'earnings'],
];

function tagOf(route: RouteDefinition): string {
  return TAGS.find(([pattern]) => pattern.test(route.path))?.[1] ?? 'platform';
}

/** `list-payout-runs` → `listPayoutRuns`. */
const operationIdOf = (name: string) => name.replace(/-(\w)/g, (_, letter: string) => letter.toUpperCase());

export interface BuildOptions {
  version: string;
  /** Real answers by route name and status (openapi-examples.json), shown as each response's example. */
  examples?: Examples;
}

export function buildOpenApi(
  routes: readonly RouteDefinition[],
  contracts: ReadonlyMap<string, HandlerContract>,
  options: BuildOptions,
): OpenApiDocument {
  const paths: { [path: string]: { [method: string]: Json } } = {};

  for (const route of [...routes].sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method))) {
    const contract = contracts.get(route.name);
    if (!contract) throw new Error(`No contract for route ${route.name}`);
    const operation: { [key: string]: Json } = {
      operationId: operationIdOf(route.name),
      tags: [tagOf(route)],
      summary: contract.summary ?? route.name,
    };
    if (route.auth === 'partner' || route.auth === 'admin') {
      operation.security = [{ cognitoIdToken: [] }];
      if (route.auth === 'admin') operation['x-required-group'] = 'admin';
    } else {
      operation.security = [];
    }
    const parameters = [...parametersOf(contract.path, 'path'), ...parametersOf(contract.query, 'query')];
    if (route.auth === 'webhook') {
      parameters.push({
        name: 'Stripe-Signature',
        in: 'header',
        required: true,
        description: "Stripe's signature of the raw body with this endpoint's signing secret.",
        schema: { type: 'string' },
      });
      operation.requestBody = {
        required: true,
        description: 'A Stripe event, verified on the raw body before anything else.',
        content: { 'application/json': { schema: { type: 'object' } } },
      };
    } else if (contract.body && route.method !== 'GET') {
      const schema = jsonSchemaOf(contract.body, 'input');
      // An object with fields, or a choice of shapes (`anyOf`: e.g. one earning or a batch of them).
      const hasFields = Object.keys((schema.properties ?? {}) as object).length > 0 || Array.isArray(schema.anyOf);
      if (hasFields) {
        operation.requestBody = {
          required: Array.isArray(schema.anyOf) || (Array.isArray(schema.required) && schema.required.length > 0),
          content: { 'application/json': { schema } },
        };
      }
    }
    if (parameters.length > 0) operation.parameters = parameters;
    const responses: { [status: string]: Json } = {};
    for (const [status, spec] of Object.entries(contract.responses)) {
      const alternatives = responseAlternatives(spec);
      if (alternatives.length === 0) continue;
      const documented = responseOf(alternatives, Number(status)) as { [key: string]: Json };
      if (Number(status) >= 400) {
        // A route that documents its own error page may still answer the error envelope (e.g. a bad parameter).
        const content = (documented.content ?? {}) as { [type: string]: Json };
        content['application/json'] = { schema: { $ref: '#/components/schemas/Error' } };
        documented.content = content;
        documented.description = `${documented.description} Or the error envelope: ${ERROR_DESCRIPTIONS[Number(status)] ?? status}`;
      }
      const example = options.examples?.[route.name]?.[status];
      const json = (documented.content as { [type: string]: { [key: string]: Json } } | undefined)?.[
        'application/json'
      ];
      if (example !== undefined && json && Number(status) < 400) json.example = example as Json;
      responses[status] = documented;
    }
    for (const [status, codes] of errorCodesByStatus(errorCodesOf(route, contract))) {
      const own = responses[String(status)] as { [key: string]: Json } | undefined;
      if (own) {
        // The route's own error page for this status (HTML), or the envelope with these codes.
        own.description = `${own.description} ${codeList(codes)}`;
        own['x-error-codes'] = [...codes];
        if (status === 429) own.headers = RETRY_AFTER;
      } else {
        responses[String(status)] = errorResponseOf(status, codes);
      }
    }
    operation.responses = responses;
    const methods = paths[route.path] ?? {};
    methods[route.method.toLowerCase()] = operation;
    paths[route.path] = methods;
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'connect-payouts API',
      version: options.version,
      description:
        "Pays a platform's partners through Stripe Connect. Partner and operator routes take a Cognito ID token " +
        '(`Authorization: Bearer <id token>`); operator routes also require the `admin` group. Errors are always ' +
        '`{ "error": { "code", "message", "details"? } }`.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [
      {
        url: '{apiUrl}',
        description: 'The API Gateway stage URL (the stack output `ApiUrl`), or the local stack.',
        variables: { apiUrl: { default: 'http://localhost:3000' } },
      },
    ],
    tags: [
      { name: 'partners', description: 'Partners and teams' },
      { name: 'onboarding', description: 'Stripe Connect onboarding' },
      { name: 'payments', description: 'Paying partners' },
      { name: 'earnings', description: "A partner's ledger and payouts" },
      { name: 'operator', description: 'Operator routes (admin group)' },
      { name: 'webhooks', description: 'Stripe webhooks (signature-verified, no token)' },
      { name: 'platform', description: 'Health, identity and the contract itself' },
    ],
    paths,
    components: {
      securitySchemes: {
        cognitoIdToken: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: "A Cognito user pool ID token (not the access token), verified by API Gateway's authorizer.",
        },
      },
      schemas: { Error: jsonSchemaOf(ERROR_ENVELOPE, 'output') },
    },
  };
}
