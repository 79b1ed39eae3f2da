import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { JwtRsaVerifier } from 'aws-jwt-verify';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { ErrorCode } from '#core/error-catalog';
import { GATEWAY_RESPONSES, type GatewayResponseKind, gatewayResponseBody } from '#infra/gateway-responses';
import { FUNCTION_TIMEOUT_SECONDS } from '#infra/limits';
import type { HandlerContract } from '#middleware/contract';
import type { RouteDefinition } from '#routes';
import type { LocalUserPool } from './cognito.ts';
import { lambdaContext } from './lambda-context.ts';
import { routeContract } from './openapi/build.ts';
import { serveDocs } from './openapi/docs-page.ts';
import { contractViolation } from './openapi/enforce.ts';
import { errorCodesOf } from './openapi/error-codes.ts';
import type { WebAppServer } from './web-app.ts';

/** API Gateway's payload limit. */
const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
/** The functions' timeout in the stack; handlers see it through context.getRemainingTimeInMillis(). */
const FUNCTION_TIMEOUT_MS = FUNCTION_TIMEOUT_SECONDS.api * 1000;
const REPO_ROOT = path.resolve(import.meta.dirname, '..');

type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

interface CompiledRoute {
  route: RouteDefinition;
  pattern: RegExp;
  params: string[];
  /** Literal segments win over `{param}` segments, as in API Gateway. */
  specificity: number;
}

function compile(route: RouteDefinition): CompiledRoute {
  const params: string[] = [];
  const segments = route.path.split('/').filter(Boolean);
  const source = segments
    .map((segment) => {
      const param = /^\{(\w+)\}$/.exec(segment);
      if (param?.[1]) {
        params.push(param[1]);
        return '/([^/]+)';
      }
      return `/${segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`;
    })
    .join('');
  return {
    route,
    pattern: new RegExp(`^${source || '/'}/?$`),
    params,
    specificity: segments.filter((segment) => !segment.startsWith('{')).length,
  };
}

/** Verifies ID tokens as the Cognito authorizer does: RS256 signature against the pool's JWKS, iss, aud, exp. */
export async function createTokenVerifier(pool: LocalUserPool) {
  const verifier = JwtRsaVerifier.create({
    issuer: pool.issuer,
    audience: pool.clientId,
    jwksUri: pool.jwksUri,
    customJwtCheck: ({ payload }) => {
      if (payload.token_use !== 'id') throw new Error('not an ID token');
    },
  });
  // aws-jwt-verify fetches JWKS over HTTPS only; cognito-local serves HTTP, so load the keys once ourselves.
  const response = await fetch(pool.jwksUri);
  if (!response.ok) throw new Error(`Could not load JWKS from ${pool.jwksUri}: ${response.status}`);
  verifier.cacheJwks((await response.json()) as Parameters<typeof verifier.cacheJwks>[0]);
  return (token: string): Promise<JwtPayload> => verifier.verify(token);
}

/** requestContext.identity of a REST proxy event for a caller authenticated by a Cognito authorizer (or none). */
export function callerIdentity(
  sourceIp: string,
  userAgent: string | null,
): APIGatewayProxyEvent['requestContext']['identity'] {
  return {
    accessKey: null,
    accountId: null,
    apiKey: null,
    apiKeyId: null,
    caller: null,
    clientCert: null,
    cognitoAuthenticationProvider: null,
    cognitoAuthenticationType: null,
    cognitoIdentityId: null,
    cognitoIdentityPoolId: null,
    principalOrgId: null,
    sourceIp,
    user: null,
    userAgent,
    userArn: null,
  };
}

export type TokenVerifier = Awaited<ReturnType<typeof createTokenVerifier>>;

/** API Gateway (REST) hands claims to the function as strings; arrays become comma-separated. */
function claimsAsStrings(payload: JwtPayload): Record<string, string> {
  const claims: Record<string, string> = {};
  for (const [name, value] of Object.entries(payload)) {
    if (value === undefined || value === null) continue;
    claims[name] = Array.isArray(value) ? value.join(',') : String(value);
  }
  return claims;
}

/** A map from client-chosen names: no prototype, so `toString` or `__proto__` are ordinary keys. */
function dictionary<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

function bearer(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const token = header.replace(/^Bearer\s+/i, '').trim();
  return token.length > 0 ? token : undefined;
}

function isTextual(contentType: string | undefined): boolean {
  if (!contentType) return true;
  return /^(text\/|application\/(json|x-www-form-urlencoded|xml)|[^;]*\+json)/i.test(contentType);
}

async function readBody(request: IncomingMessage): Promise<Buffer | 'too_large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_REQUEST_BYTES) return 'too_large';
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

export interface ApiGatewayOptions {
  port: number;
  host?: string;
  routes: readonly RouteDefinition[];
  verifyToken: TokenVerifier;
  stage?: string;
  /**
   * Check every answer against the route's documented responses (tests): an undocumented status, field or error
   * code becomes a 500 `contract_violation`, and is kept in `contractViolations`.
   */
  enforceContract?: boolean;
  /** Keep the first JSON answer of every route and status (examples for the contract). */
  recordExamples?: boolean;
  /** The web app under `/app` (static files and its config.json): not an API route, never behind the authorizer. */
  webApp?: WebAppServer;
  /** Called for every request after it is answered (local request log). */
  onRequest?: (line: { method: string; path: string; status: number; ms: number; route?: string }) => void;
}

export interface ContractViolation {
  route: string;
  status: number;
  problem: string;
}

export interface LocalApiGateway {
  url: string;
  port: number;
  /** Answers that broke the contract (only with `enforceContract`). */
  contractViolations: ContractViolation[];
  /** With `recordExamples`: route name → status → the first JSON body answered. */
  examples: Record<string, Record<string, unknown>>;
  close(): Promise<void>;
}

/**
 * A local stand-in for API Gateway (REST, Lambda proxy integration): every HTTP request becomes a real
 * APIGatewayProxyEvent and invokes the same handler module the stack deploys, after the same authorizer check.
 */
export async function startApiGateway(options: ApiGatewayOptions): Promise<LocalApiGateway> {
  const stage = options.stage ?? 'local';
  const compiled = options.routes.map(compile).sort((a, b) => b.specificity - a.specificity);
  const modules = new Map<string, Promise<ProxyHandler>>();
  const contractViolations: ContractViolation[] = [];
  const examples: Record<string, Record<string, unknown>> = {};

  const loadHandler = (route: RouteDefinition): Promise<ProxyHandler> => {
    let loaded = modules.get(route.handler);
    if (!loaded) {
      const url = pathToFileURL(path.join(REPO_ROOT, route.handler)).href;
      loaded = import(url).then((module: { handler?: ProxyHandler }) => {
        if (typeof module.handler !== 'function') throw new Error(`${route.handler} does not export a handler`);
        return module.handler;
      });
      modules.set(route.handler, loaded);
    }
    return loaded;
  };
  const contracts = new Map<string, Promise<HandlerContract | undefined>>();
  const loadContract = (route: RouteDefinition, handler: ProxyHandler): Promise<HandlerContract | undefined> => {
    let loaded = contracts.get(route.handler);
    if (!loaded) {
      loaded = routeContract(route, handler);
      contracts.set(route.handler, loaded);
    }
    return loaded;
  };

  const sendGatewayResponse = (response: ServerResponse, kind: GatewayResponseKind) => {
    response.writeHead(GATEWAY_RESPONSES[kind].status, { 'content-type': 'application/json' });
    response.end(gatewayResponseBody(kind));
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<string | undefined> => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const method = (request.method ?? 'GET').toUpperCase();
    if (method === 'GET' && url.pathname.startsWith('/docs') && (await serveDocs(url.pathname, response))) {
      return undefined;
    }
    if (method === 'GET' && options.webApp?.handle(url.pathname, url.searchParams, response)) return undefined;
    const match = compiled.find(
      (candidate) => candidate.route.method === method && candidate.pattern.test(url.pathname),
    );
    if (!match) {
      sendGatewayResponse(response, 'MISSING_AUTHENTICATION_TOKEN');
      return undefined;
    }
    const { route } = match;
    const body = await readBody(request);
    if (body === 'too_large') {
      sendGatewayResponse(response, 'REQUEST_TOO_LARGE');
      return route.name;
    }

    let claims: Record<string, string> | undefined;
    if (route.auth === 'partner' || route.auth === 'admin') {
      const token = bearer(request.headers.authorization);
      if (!token) {
        sendGatewayResponse(response, 'UNAUTHORIZED');
        return route.name;
      }
      try {
        claims = claimsAsStrings(await options.verifyToken(token));
      } catch {
        sendGatewayResponse(response, 'UNAUTHORIZED');
        return route.name;
      }
    }

    const values = match.pattern.exec(url.pathname)?.slice(1) ?? [];
    const pathParameters = dictionary<string>();
    match.params.forEach((name, index) => {
      const raw = values[index] ?? '';
      try {
        pathParameters[name] = decodeURIComponent(raw);
      } catch {
        pathParameters[name] = raw;
      }
    });

    // Names come from the client (`constructor`, `__proto__`, `toString`…): plain own keys, as in the JSON event
    // Lambda receives, never Object.prototype's members.
    const headers = dictionary<string>();
    const multiValueHeaders = dictionary<string[]>();
    for (let i = 0; i < request.rawHeaders.length; i += 2) {
      const name = request.rawHeaders[i] ?? '';
      const value = request.rawHeaders[i + 1] ?? '';
      headers[name] = value;
      const existing = multiValueHeaders[name];
      if (existing) existing.push(value);
      else multiValueHeaders[name] = [value];
    }
    const query = dictionary<string>();
    const multiQuery = dictionary<string[]>();
    for (const [name, value] of url.searchParams) {
      query[name] = value;
      const existing = multiQuery[name];
      if (existing) existing.push(value);
      else multiQuery[name] = [value];
    }

    const textual = isTextual(request.headers['content-type']);
    const requestId = randomUUID();
    const now = Date.now();
    const event: APIGatewayProxyEvent = {
      resource: route.path,
      path: url.pathname,
      httpMethod: method,
      headers,
      multiValueHeaders,
      queryStringParameters: Object.keys(query).length > 0 ? query : null,
      multiValueQueryStringParameters: Object.keys(multiQuery).length > 0 ? multiQuery : null,
      pathParameters: match.params.length > 0 ? pathParameters : null,
      stageVariables: null,
      body: body.length === 0 ? null : textual ? body.toString('utf8') : body.toString('base64'),
      isBase64Encoded: body.length > 0 && !textual,
      requestContext: {
        accountId: '000000000000',
        apiId: 'local',
        authorizer: claims ? { claims } : null,
        domainName: request.headers.host ?? 'localhost',
        domainPrefix: 'localhost',
        extendedRequestId: requestId,
        httpMethod: method,
        identity: callerIdentity(request.socket.remoteAddress ?? '127.0.0.1', request.headers['user-agent'] ?? null),
        path: `/${stage}${url.pathname}`,
        protocol: `HTTP/${request.httpVersion}`,
        requestId,
        requestTime: new Date(now).toUTCString(),
        requestTimeEpoch: now,
        resourceId: route.name,
        resourcePath: route.path,
        stage,
      },
    };

    let result: APIGatewayProxyResult;
    let contract: HandlerContract | undefined;
    try {
      const handler = await loadHandler(route);
      contract = await loadContract(route, handler);
      result = await handler(
        event,
        lambdaContext(`connect-payouts-local-${route.name}`, requestId, FUNCTION_TIMEOUT_MS),
      );
    } catch (error) {
      // A handler that throws is a Lambda invocation error: API Gateway answers 502 without details.
      console.error(`[api] ${route.name} threw`, error);
      sendGatewayResponse(response, 'DEFAULT_5XX');
      return route.name;
    }
    const problem = !options.enforceContract
      ? undefined
      : contract
        ? contractViolation(contract, result, errorCodesOf(route, contract))
        : 'the handler has no contract (not built with httpHandler, no sibling .contract.ts)';
    if (problem) {
      contractViolations.push({ route: route.name, status: result.statusCode, problem });
      console.error(`[api] ${route.name} broke its contract: ${problem}`);
      result = {
        statusCode: 500,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          error: { code: 'contract_violation' satisfies ErrorCode, message: `${route.name}: ${problem}` },
        }),
      };
    }
    if (options.recordExamples && result.statusCode < 400 && !problem) {
      const contentType = String(result.headers?.['content-type'] ?? '');
      const byStatus = examples[route.name] ?? {};
      examples[route.name] = byStatus;
      if (contentType.startsWith('application/json') && !(String(result.statusCode) in byStatus)) {
        try {
          byStatus[String(result.statusCode)] = JSON.parse(result.body);
        } catch {
          // not JSON after all: no example
        }
      }
    }
    const responseHeaders: Record<string, string | string[]> = { ...result.headers } as Record<string, string>;
    for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) {
      responseHeaders[name] = values.map(String);
    }
    response.writeHead(result.statusCode, responseHeaders);
    response.end(result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body);
    return route.name;
  };

  const server = http.createServer((request, response) => {
    const started = performance.now();
    handle(request, response)
      .then((routeName) => {
        options.onRequest?.({
          method: request.method ?? 'GET',
          path: request.url ?? '/',
          status: response.statusCode,
          ms: Math.round(performance.now() - started),
          ...(routeName ? { route: routeName } : {}),
        });
      })
      .catch((error: unknown) => {
        console.error('[api] request failed', error);
        if (!response.headersSent) sendGatewayResponse(response, 'DEFAULT_5XX');
        else response.destroy();
      });
  });
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: `http://localhost:${port}`,
    port,
    contractViolations,
    examples,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
