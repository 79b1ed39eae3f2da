import * as z from 'zod';
import { codes, type ErrorCode } from '#core/error-catalog';

/**
 * A handler's contract: what it takes and what it answers, attached by `httpHandler` to the exported handler. The
 * OpenAPI generator and the local gateway's enforcement read it; this module has no runtime dependency beyond zod
 * and the error catalog's data (importing it starts no logger or SDK client).
 */
export type HandlerAuth = 'public' | 'webhook' | 'partner' | 'admin';

type AnySchema = z.ZodType;

/** A route that takes no body: any JSON body other than `{}` is refused, so typos don't pass silently. */
export const NoBody = z.strictObject({});
/** A route that takes no query string parameters. */
export const NoQuery = z.strictObject({});

/**
 * What a route answers, by status: a zod schema for a JSON body, a non-JSON content type (CSV, HTML), a redirect,
 * or no body at all (204). A status answered in several content types (JSON or CSV) lists each. Error statuses are
 * usually not listed: every route may answer the error envelope with the statuses of the error table, and the
 * contract documents them once; a route that answers an error status otherwise (an HTML page) lists it.
 */
export type ResponseSpec =
  | AnySchema
  | { readonly contentType: string; readonly description: string }
  | { readonly redirect: true; readonly description: string }
  | { readonly empty: true; readonly description: string };

export type ResponseSpecs = Readonly<Partial<Record<number, ResponseSpec | readonly ResponseSpec[]>>>;

export interface HandlerOptions<A extends HandlerAuth, B extends AnySchema, Q extends AnySchema, P extends AnySchema> {
  auth: A;
  body?: B;
  query?: Q;
  path?: P;
  /** One line for the API reference. */
  summary?: string;
  /**
   * The documented answers (the OpenAPI contract is generated from them, and the local stack enforces them). A
   * deployed function never reads them, so a handler passes a function that builds them: their schemas are built
   * when the contract is read (the generator, the local stack, tests), not at every cold start.
   */
  responses?: ResponseSpecs | (() => ResponseSpecs);
  /**
   * The error codes of the route's own use case. The codes every route of its kind can answer (validation, auth,
   * throttling, Stripe failures for a route with a Stripe key, `invalid_cursor` for a paginated one: see
   * local/openapi/error-codes.ts) are added by the contract; the local stack refuses any other code.
   */
  errors?: readonly ErrorCode[];
}

/** The part of a handler's options the API contract is generated from (attached to the exported handler). */
export interface HandlerContract {
  readonly auth: HandlerAuth;
  readonly body: AnySchema | undefined;
  readonly query: AnySchema | undefined;
  readonly path: AnySchema | undefined;
  readonly summary: string | undefined;
  readonly responses: ResponseSpecs;
  readonly errors: readonly ErrorCode[];
}

/** A value built on its first call, then the same value for every later call (response schemas, on first read). */
export function lazily<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => {
    built ??= { value: build() };
    return built.value;
  };
}

/** The contract of a handler built with these options (a webhook reads its raw body: it has no body schema). */
export function handlerContract<A extends HandlerAuth, B extends AnySchema, Q extends AnySchema, P extends AnySchema>(
  options: HandlerOptions<A, B, Q, P>,
): HandlerContract {
  const { responses = {} } = options;
  const built = lazily(() => (typeof responses === 'function' ? responses() : responses));
  return {
    auth: options.auth,
    body: options.auth === 'webhook' ? undefined : (options.body ?? NoBody),
    query: options.query,
    path: options.path,
    summary: options.summary,
    /** Built on first read, then the same schemas for every later read. */
    get responses(): ResponseSpecs {
      return built();
    },
    errors: options.errors ?? [],
  };
}

/** A member acting on a partner (`resolvePartner`): an unknown partner, or not a member, or a role that does not allow it. */
export const PARTNER_ACCESS_ERRORS = codes('partner_not_found', 'insufficient_role');

export const isJsonResponse = (spec: ResponseSpec): spec is AnySchema => spec instanceof z.ZodType;

/** The alternatives documented for a status (one, or several content types). */
export const responseAlternatives = (spec: ResponseSpec | readonly ResponseSpec[] | undefined): ResponseSpec[] =>
  spec === undefined ? [] : Array.isArray(spec) ? [...spec] : [spec as ResponseSpec];

/** The contract of an imported handler module's `handler`, if it was built with `httpHandler`. */
export function contractOf(handler: unknown): HandlerContract | undefined {
  if (typeof handler !== 'function') return undefined;
  return (handler as { contract?: HandlerContract }).contract;
}
