import { type CfnElement, Stack } from 'aws-cdk-lib';
import { expect } from 'vitest';
import type { JobDefinition, RouteDefinition } from '#routes';
import { actions, allStatements, type Statement, type Synthesized } from './synth.ts';

/**
 * Assertions that hold for any route/job table, so they run both against the real tables of functions/routes.ts
 * and against a larger made-up table (tests/infra/generated-routes.test.ts) that proves nothing is hard-coded.
 */

export function logicalId(construct: { node: { defaultChild?: unknown } } | undefined): string {
  if (!construct?.node.defaultChild) throw new Error('construct has no default child');
  const child = construct.node.defaultChild as CfnElement;
  return Stack.of(child).getLogicalId(child);
}

export function fnLogicalId(s: Synthesized, name: string): string {
  return logicalId(s.stack.functions.get(name)?.fn);
}

export interface MethodProperties {
  AuthorizationType?: string;
  AuthorizerId?: unknown;
  RequestValidatorId?: unknown;
  RequestParameters?: Record<string, boolean>;
  Integration?: { Type?: string; Uri?: unknown };
}

export function methodOf(s: Synthesized, routePath: string, httpMethod: string): MethodProperties {
  const method = s.stack.api.methods.find((m) => m.resource.path === routePath && m.httpMethod === httpMethod);
  if (!method) throw new Error(`no method ${httpMethod} ${routePath}`);
  return s.template.toJSON().Resources[logicalId(method)].Properties as MethodProperties;
}

export function expectOneFunctionPerEntry(
  s: Synthesized,
  routes: readonly RouteDefinition[],
  jobs: readonly JobDefinition[],
): void {
  s.template.resourceCountIs('AWS::Lambda::Function', routes.length + jobs.length);
  expect([...s.stack.functions.keys()].sort()).toEqual([...routes, ...jobs].map((r) => r.name).sort());
}

export function expectMethodsIntegrateOwnFunction(s: Synthesized, routes: readonly RouteDefinition[]): void {
  expect(s.stack.api.methods.filter((m) => m.httpMethod !== 'OPTIONS')).toHaveLength(routes.length);
  for (const route of routes) {
    const method = methodOf(s, route.path, route.method);
    expect(method.Integration?.Type, route.name).toBe('AWS_PROXY');
    expect(JSON.stringify(method.Integration?.Uri), route.name).toContain(`"${fnLogicalId(s, route.name)}","Arn"`);
    expect(method.RequestValidatorId, route.name).toBeDefined();
  }
}

export function expectAuthorizerOnProtectedRoutesOnly(s: Synthesized, routes: readonly RouteDefinition[]): void {
  const authorizers = Object.entries(s.template.findResources('AWS::ApiGateway::Authorizer'));
  expect(authorizers).toHaveLength(1);
  const [authorizerId, authorizer] = authorizers[0]!;
  expect(authorizer.Properties).toMatchObject({
    Type: 'COGNITO_USER_POOLS',
    IdentitySource: 'method.request.header.Authorization',
    ProviderARNs: [{ 'Fn::GetAtt': [logicalId(s.stack.userPool), 'Arn'] }],
  });
  for (const route of routes) {
    const method = methodOf(s, route.path, route.method);
    if (route.auth === 'partner' || route.auth === 'admin') {
      expect(method.AuthorizationType, route.name).toBe('COGNITO_USER_POOLS');
      expect(method.AuthorizerId, route.name).toEqual({ Ref: authorizerId });
    } else {
      expect(method.AuthorizationType, route.name).toBe('NONE');
      expect(method.AuthorizerId, route.name).toBeUndefined();
    }
  }
}

export function expectNoWildcardActions(s: Synthesized): void {
  const allows = allStatements(s.template).filter(({ statement }) => statement.Effect === 'Allow');
  expect(allows.length).toBeGreaterThan(0);
  for (const { logicalId: id, statement } of allows) {
    for (const action of actions(statement)) expect(action, id).not.toContain('*');
  }
}

function policyOf(s: Synthesized, name: string): Statement[] {
  const roleId = logicalId(s.stack.functions.get(name)?.role);
  const resources = s.template.toJSON().Resources;
  return allStatements(s.template)
    .filter(({ logicalId: id }) => {
      const policy = resources[id];
      return policy.Type === 'AWS::IAM::Policy' && JSON.stringify(policy.Properties.Roles).includes(`"${roleId}"`);
    })
    .map(({ statement }) => statement);
}

/**
 * The exact IAM actions each access level grants: the one table to update when the grants in lib/ change. A
 * function's role must hold exactly the union of its levels' actions per service (no more, no fewer), so a read-only
 * function granted `dynamodb:UpdateItem` or a sender granted `sqs:PurgeQueue` fails.
 */
export const GRANTED_ACTIONS = {
  table: {
    read: [
      'dynamodb:BatchGetItem',
      'dynamodb:ConditionCheckItem',
      'dynamodb:DescribeTable',
      'dynamodb:GetItem',
      'dynamodb:GetRecords',
      'dynamodb:GetShardIterator',
      'dynamodb:Query',
      'dynamodb:Scan',
    ],
    readwrite: [
      'dynamodb:BatchGetItem',
      'dynamodb:BatchWriteItem',
      'dynamodb:ConditionCheckItem',
      'dynamodb:DeleteItem',
      'dynamodb:DescribeTable',
      'dynamodb:GetItem',
      'dynamodb:GetRecords',
      'dynamodb:GetShardIterator',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:Scan',
      'dynamodb:UpdateItem',
    ],
  },
  payoutQueue: { send: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'] },
  /** A function with an SQS event source on the payout queue (the worker) consumes it. */
  payoutQueueConsumer: [
    'sqs:ChangeMessageVisibility',
    'sqs:DeleteMessage',
    'sqs:GetQueueAttributes',
    'sqs:GetQueueUrl',
    'sqs:ReceiveMessage',
  ],
  userPool: { read: ['cognito-idp:AdminGetUser', 'cognito-idp:ListUsers'] },
  secrets: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
  logs: ['logs:CreateLogStream', 'logs:PutLogEvents'],
  tracing: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'],
} as const;

const sortedUnique = (values: Iterable<string>) => [...new Set(values)].sort();

/** Functions with an SQS event source mapping on the payout queue. */
function payoutQueueConsumers(s: Synthesized): Set<string> {
  const queueArn = JSON.stringify({ 'Fn::GetAtt': [logicalId(s.stack.payoutQueue), 'Arn'] });
  const mappings = Object.values(s.template.findResources('AWS::Lambda::EventSourceMapping'));
  return new Set(
    mappings
      .filter((m) => JSON.stringify(m.Properties.EventSourceArn) === queueArn)
      .map((m) => JSON.stringify(m.Properties.FunctionName)),
  );
}

/** The function's role allows exactly what `access` declares (plus writing its own logs, X-Ray when tracing is on,
 * and, for the worker, consuming the payout queue through its event source), action by action and on the right
 * resources. */
export function expectGrantsMatchAccess(s: Synthesized, entries: readonly (RouteDefinition | JobDefinition)[]): void {
  const tableId = logicalId(s.stack.table);
  const userPoolId = logicalId(s.stack.userPool);
  const queueId = logicalId(s.stack.payoutQueue);
  const consumers = payoutQueueConsumers(s);
  for (const entry of entries) {
    const { access } = entry;
    const statements = policyOf(s, entry.name);
    const all = statements.flatMap(actions);
    const about = (prefix: string) => statements.filter((st) => actions(st).some((a) => a.startsWith(prefix)));
    const granted = (prefix: string) => sortedUnique(all.filter((a) => a.startsWith(prefix)));

    expect(granted('dynamodb:'), `${entry.name} dynamodb actions`).toEqual(
      access.table ? sortedUnique(GRANTED_ACTIONS.table[access.table]) : [],
    );
    for (const st of about('dynamodb:')) {
      for (const resource of [st.Resource].flat()) expect(JSON.stringify(resource)).toContain(`"${tableId}"`);
    }

    const consumes = consumers.has(JSON.stringify({ Ref: fnLogicalId(s, entry.name) }));
    expect(granted('sqs:'), `${entry.name} sqs actions`).toEqual(
      sortedUnique([
        ...(access.payoutQueue === 'send' ? GRANTED_ACTIONS.payoutQueue.send : []),
        ...(consumes ? GRANTED_ACTIONS.payoutQueueConsumer : []),
      ]),
    );
    for (const st of about('sqs:')) {
      for (const resource of [st.Resource].flat()) {
        expect(resource, `${entry.name} sqs resource`).toEqual({ 'Fn::GetAtt': [queueId, 'Arn'] });
      }
    }

    const cognito = about('cognito-idp:');
    expect(granted('cognito-idp:'), `${entry.name} cognito actions`).toEqual(
      access.userPool === 'read' ? sortedUnique(GRANTED_ACTIONS.userPool.read) : [],
    );
    for (const st of cognito) expect(st.Resource).toEqual({ 'Fn::GetAtt': [userPoolId, 'Arn'] });

    const expectedSecrets = (access.secrets ?? []).map((name) => logicalId(s.stack.secrets[name])).sort();
    const grantedSecrets = about('secretsmanager:')
      .flatMap((st) => [st.Resource].flat().map((r) => (r as { Ref: string }).Ref))
      .sort();
    expect(grantedSecrets, `${entry.name} secrets`).toEqual(expectedSecrets);
    expect(granted('secretsmanager:'), `${entry.name} secret actions`).toEqual(
      expectedSecrets.length > 0 ? sortedUnique(GRANTED_ACTIONS.secrets) : [],
    );

    expect(granted('logs:'), `${entry.name} logs`).toEqual(sortedUnique(GRANTED_ACTIONS.logs));
    expect(granted('xray:'), `${entry.name} tracing`).toEqual(
      s.config.tracing ? sortedUnique(GRANTED_ACTIONS.tracing) : [],
    );
    // Nothing from any other service.
    const services = new Set(all.map((a) => a.slice(0, a.indexOf(':'))));
    for (const service of services) {
      expect(['dynamodb', 'sqs', 'cognito-idp', 'secretsmanager', 'logs', 'xray'], entry.name).toContain(service);
    }
  }
}
