import type { APIGatewayProxyResult } from 'aws-lambda';
import { z } from 'zod';
import { type HandlerContract, isJsonResponse } from '#middleware/http-handler';

/**
 * Response enforcement for the local stack's tests: every answer must be one the route's contract documents —
 * a declared status with a body its schema accepts (strict objects: an undocumented field fails), or the error
 * envelope with an error status. Returns what is wrong, or undefined.
 */
const ErrorEnvelope = z.strictObject({
  error: z.strictObject({
    code: z.string().regex(/^[a-z][a-z0-9_]*$/),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});

export function contractViolation(contract: HandlerContract, result: APIGatewayProxyResult): string | undefined {
  const status = result.statusCode;
  const contentType = String(result.headers?.['content-type'] ?? '');
  const spec = contract.responses[status];
  const parseJson = (): unknown => {
    try {
      return JSON.parse(result.body);
    } catch {
      return Symbol.for('not json');
    }
  };
  if (!spec) {
    if (status < 400) return `status ${status} is not documented`;
    const parsed = ErrorEnvelope.safeParse(parseJson());
    return parsed.success ? undefined : `error ${status} is not the error envelope: ${parsed.error.message}`;
  }
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
  return contentType.startsWith(spec.contentType.split(';')[0] ?? '')
    ? undefined
    : `status ${status} answered ${contentType}, documented ${spec.contentType}`;
}
