import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { callerIdentity } from '#local/api-gateway';
import { lambdaContext as localLambdaContext } from '#local/lambda-context';

/** A minimal but complete API Gateway REST proxy event, for unit tests of handlers and middleware. */
export function proxyEvent(
  overrides: Partial<APIGatewayProxyEvent> & { claims?: Record<string, string> } = {},
): APIGatewayProxyEvent {
  const { claims, ...rest } = overrides;
  return {
    resource: '/test',
    path: '/test',
    httpMethod: 'POST',
    headers: {},
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'unit',
      authorizer: claims ? { claims } : null,
      httpMethod: 'POST',
      identity: callerIdentity('127.0.0.1', null),
      path: '/unit/test',
      protocol: 'HTTP/1.1',
      requestId: 'req-1',
      requestTimeEpoch: 0,
      resourceId: 'r',
      resourcePath: '/test',
      stage: 'unit',
    },
    ...rest,
  };
}

export function lambdaContext(): Context {
  return localLambdaContext('unit', 'unit-request', 10_000);
}
