import type { APIGatewayProxyResult } from 'aws-lambda';
import { z } from 'zod';
import { type ErrorCode, isErrorCode } from '#core/error-catalog';
import { type HandlerContract, isJsonResponse, type ResponseSpec, responseAlternatives } from '#middleware/contract';
import { statusOf } from '#middleware/error-mapper';

/**
 * Response enforcement for the local stack's tests: every answer must be one the route's contract documents —
 * a declared status with a body its schema accepts (strict objects: an undocumented field fails), or the error
 * envelope with one of the route's error codes (`errorCodes`, see ./error-codes.ts) at that code's status. Returns
 * what is wrong, or undefined.
 */
const ErrorEnvelope = z.strictObject({
  error: z.strictObject({
    code: z.string().regex(/^[a-z][a-z0-9_]*$/),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});

export function contractViolation(
  contract: HandlerContract,
  result: APIGatewayProxyResult,
  errorCodes: readonly ErrorCode[],
): string | undefined {
  const status = result.statusCode;
  const contentType = String(result.headers?.['content-type'] ?? '');
  const alternatives = responseAlternatives(contract.responses[status]);
  const parseJson = (): unknown => {
    try {
      return JSON.parse(result.body);
    } catch {
      return Symbol.for('not json');
    }
  };
  if (status >= 400 && contentType.startsWith('application/json')) {
    // Any route may answer an error status with the error envelope (documented once for every route).
    const parsed = ErrorEnvelope.safeParse(parseJson());
    if (!parsed.success) return `error ${status} is not the error envelope: ${parsed.error.message}`;
    const { code } = parsed.data.error;
    if (!isErrorCode(code)) return `error code ${code} is not in the error catalog`;
    if (!errorCodes.includes(code)) return `error code ${code} is not documented for this route`;
    if (statusOf(code) !== status)
      return `error code ${code} answered with ${status}, documented with ${statusOf(code)}`;
    return undefined;
  }
  if (alternatives.length === 0) {
    if (status < 400) return `status ${status} is not documented`;
    return `error ${status} answered ${contentType}, not the error envelope`;
  }
  const problems = alternatives.map((spec) => problemWith(spec));
  return problems.includes(undefined) ? undefined : problems.join('; ');

  function problemWith(spec: ResponseSpec): string | undefined {
    if (isJsonResponse(spec)) {
      if (!contentType.startsWith('application/json')) return `status ${status} answered ${contentType}, not JSON`;
      const parsed = spec.safeParse(parseJson());
      return parsed.success
        ? undefined
        : `status ${status} body does not match its schema: ${z.prettifyError(parsed.error)}`;
    }
    if ('redirect' in spec) {
      return result.headers?.location ? undefined : `status ${status} is a redirect without a Location header`;
    }
    if ('empty' in spec) return result.body ? `status ${status} has a body, documented without one` : undefined;
    return contentType.startsWith(spec.contentType.split(';')[0] ?? '')
      ? undefined
      : `status ${status} answered ${contentType}, documented ${spec.contentType}`;
  }
}
