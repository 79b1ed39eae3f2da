import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type * as z from 'zod';
import { withStripeLane } from '#adapters/stripe/lane';
import { type DomainError, domainError } from '#core/errors';
import { type HandlerAuth, type HandlerOptions, handlerContract, NoBody } from './contract.ts';
import { mapError } from './error-mapper.ts';
import { errorResponse, type HandlerResult, parseJsonBody, requestOf, toResponse } from './http-basics.ts';
import { type Identity, identityFromEvent, requireAdmin } from './identity.ts';
import { logger, metrics } from './observability.ts';

export {
  contractOf,
  type HandlerAuth,
  type HandlerContract,
  type HandlerOptions,
  isJsonResponse,
  NoBody,
  NoQuery,
  PARTNER_ACCESS_ERRORS,
  type ResponseSpec,
  type ResponseSpecs,
  responseAlternatives,
} from './contract.ts';
export { type HandlerResult, MAX_BODY_BYTES } from './http-basics.ts';

type AnySchema = z.ZodType;

export interface HandlerInput<A extends HandlerAuth, B extends AnySchema, Q extends AnySchema, P extends AnySchema> {
  identity: A extends 'partner' | 'admin' ? Identity : undefined;
  body: z.output<B>;
  query: z.output<Q>;
  path: z.output<P>;
  /** The body exactly as received (webhook signatures are computed over it). */
  rawBody: string;
  /** Request headers with lower-cased names. */
  headers: Readonly<Record<string, string>>;
  event: APIGatewayProxyEvent;
}

function validationError(where: string, error: z.ZodError): DomainError {
  const issues = error.issues.map((issue) => ({
    path: [where, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
  const first = issues[0];
  return domainError('validation_error', first ? `${first.path}: ${first.message}` : `Invalid ${where}.`, { issues });
}

/** Validates a value with a schema; a failure is the same 400 `validation_error` as the handler's own parsing. */
export function parseWith<S extends AnySchema>(schema: S, value: unknown, where: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(where, result.error);
  return result.data;
}

/**
 * The HTTP handler factory: every API Lambda is `httpHandler(options, useCase)`.
 * It gives the use case validated input and a verified identity, and turns any error into
 * `{ error: { code, message } }` with the status from the error table — never a stack trace.
 */
export function httpHandler<
  A extends HandlerAuth,
  B extends AnySchema = typeof NoBody,
  Q extends AnySchema = AnySchema,
  P extends AnySchema = AnySchema,
>(options: HandlerOptions<A, B, Q, P>, run: (input: HandlerInput<A, B, Q, P>) => Promise<HandlerResult>) {
  const core = async (event: APIGatewayProxyEvent, _context: Context): Promise<APIGatewayProxyResult> => {
    try {
      const { headers, rawBody } = requestOf(event);
      let identity: Identity | undefined;
      if (options.auth === 'partner' || options.auth === 'admin') {
        identity = identityFromEvent(event);
        if (options.auth === 'admin') requireAdmin(identity);
        logger.appendKeys({ userSub: identity.sub });
      }
      const body =
        options.auth === 'webhook'
          ? undefined
          : parseWith(options.body ?? NoBody, parseJsonBody(rawBody, headers), 'body');
      const query = options.query ? parseWith(options.query, event.queryStringParameters ?? {}, 'query') : {};
      const path = options.path ? parseWith(options.path, event.pathParameters ?? {}, 'path') : {};
      const input = { identity, body, query, path, rawBody, headers, event } as HandlerInput<A, B, Q, P>;
      // Stripe requests of API routes use the interactive lane of the global rate budget; webhooks are background.
      const lane = options.auth === 'webhook' ? 'background' : 'interactive';
      return toResponse(await withStripeLane(lane, () => run(input)));
    } catch (error) {
      const mapped = mapError(error);
      if (mapped.unexpected) {
        logger.error('Unhandled error', error as Error);
        metrics.addMetric('UnhandledError', 'Count', 1);
      } else {
        logger.info('Request refused', { code: mapped.body.error.code, status: mapped.status });
        // A refused Stripe delivery (bad signature, unreadable payload): the stack alarms on their share of deliveries,
        // which is how a wrong webhook secret shows up.
        if (options.auth === 'webhook' && mapped.status < 500) metrics.addMetric('WebhookRejected', 'Count', 1);
      }
      return errorResponse(mapped);
    }
  };
  return Object.assign(
    middy(core)
      .use(injectLambdaContext(logger, { resetKeys: true }))
      .use(logMetrics(metrics, { captureColdStartMetric: true })),
    { contract: handlerContract(options) },
  );
}
