import { OPERATIONS, type OperationId, type Operations } from './api-types.ts';

/**
 * A small typed client of the API, over the types `npm run openapi` generates from the contract
 * (`local/api-types.ts`): `call(operationId, { params, query, body })` fills the path, sends the request and answers
 * `{ ok: true, status, body }` typed by the statuses the contract documents for that operation, or
 * `{ ok: false, status, body }` with the error envelope. A change of the API that breaks a caller breaks its
 * compilation. Network failures throw (as `fetch` does).
 */

export interface ErrorEnvelope {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

type Responses<K extends OperationId> = Operations[K]['responses'];

/** One documented success of an operation: the status narrows the body. */
export type ApiSuccess<K extends OperationId> = {
  [S in keyof Responses<K>]: { ok: true; status: S; body: Responses<K>[S]; headers: Headers };
}[keyof Responses<K>];

export interface ApiFailure {
  ok: false;
  status: number;
  /** The error envelope; an answer that is not one (an HTML error page) becomes `code: 'http_<status>'`. */
  body: ErrorEnvelope;
  headers: Headers;
}

export type ApiResult<K extends OperationId> = ApiSuccess<K> | ApiFailure;

/** Path parameters, query and body: each required when the operation requires some of it, else optional. */
type Part<Name extends string, T> = Record<string, never> extends T ? { [P in Name]?: T } : { [P in Name]: T };
export type CallInput<K extends OperationId> = Part<'params', Operations[K]['params']> &
  Part<'query', Operations[K]['query']> &
  Part<'body', Operations[K]['body']>;

type CallArgs<K extends OperationId> =
  Record<string, never> extends CallInput<K> ? [input?: CallInput<K>] : [input: CallInput<K>];

export interface ApiClientOptions {
  /** The API's base URL (the stack output `ApiUrl`, or the local stack's). */
  baseUrl: string;
  /** A Cognito ID token, sent as the `Authorization` header (partner and operator routes). */
  token?: string;
  /** Per request; default 30 s. */
  timeoutMs?: number;
}

export interface ApiClient {
  call<K extends OperationId>(operationId: K, ...args: CallArgs<K>): Promise<ApiResult<K>>;
}

/** `/admin/payout-runs/{runId}` + `{ runId: 'run_2026-11' }` → `/admin/payout-runs/run_2026-11` (encoded). */
export function pathOf(template: string, params: Readonly<Record<string, string>>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`Missing path parameter ${name} for ${template}`);
    return encodeURIComponent(value);
  });
}

export function apiClient(options: ApiClientOptions): ApiClient {
  const base = options.baseUrl.replace(/\/+$/, '');
  return {
    async call<K extends OperationId>(operationId: K, ...args: CallArgs<K>): Promise<ApiResult<K>> {
      const input = (args[0] ?? {}) as { params?: object; query?: object; body?: unknown };
      const { method, url } = OPERATIONS[operationId];
      const search = new URLSearchParams();
      for (const [name, value] of Object.entries(input.query ?? {})) {
        if (value !== undefined && value !== null) search.set(name, String(value));
      }
      const query = search.size > 0 ? `?${search}` : '';
      const headers: Record<string, string> = { accept: 'application/json' };
      if (options.token) headers.authorization = options.token;
      if (input.body !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(`${base}${pathOf(url, input.params as Record<string, string>)}${query}`, {
        method,
        headers,
        ...(input.body !== undefined ? { body: JSON.stringify(input.body) } : {}),
        redirect: 'manual',
        signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
      });
      const text = await response.text();
      const isJson = (response.headers.get('content-type') ?? '').startsWith('application/json');
      const parsed: unknown = isJson && text.length > 0 ? JSON.parse(text) : text.length > 0 ? text : undefined;
      if (response.status >= 400) {
        return {
          ok: false,
          status: response.status,
          body: asErrorEnvelope(response.status, parsed),
          headers: response.headers,
        };
      }
      return { ok: true, status: response.status, body: parsed, headers: response.headers } as ApiSuccess<K>;
    },
  };
}

function asErrorEnvelope(status: number, body: unknown): ErrorEnvelope {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (error && typeof error.code === 'string' && typeof error.message === 'string') return body as ErrorEnvelope;
  const text = typeof body === 'string' ? body : JSON.stringify(body ?? '');
  return { error: { code: `http_${status}`, message: text.slice(0, 500) } };
}
