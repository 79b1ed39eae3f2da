import { type CfnElement, Stack } from 'aws-cdk-lib';
import { expect } from 'vitest';
import { INDEX_ACTIONS, TABLE_ACTIONS } from '#infra/grants';
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

/** Job triggers that are SQS event sources (the function consumes its queue). */
const SQS_TRIGGERS = new Set([
  'payout-queue',
  'event-delivery-queue',
  'email-queue',
  'stripe-events-queue',
  'reconciliation-queue',
]);

/** The function's role allows exactly what `access` declares (plus writing its own logs, X-Ray when tracing is on,
 * and, for the worker, consuming the payout queue through its event source). */
export function expectGrantsMatchAccess(s: Synthesized, entries: readonly (RouteDefinition | JobDefinition)[]): void {
  const tableId = logicalId(s.stack.table);
  const stackQueues = Object.keys(s.template.findResources('AWS::SQS::Queue')).map((id) =>
    JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] }),
  );
  const userPoolId = logicalId(s.stack.userPool);
  for (const entry of entries) {
    const { access } = entry;
    const statements = policyOf(s, entry.name);
    const all = statements.flatMap(actions);
    // Stream reads: on the table's stream ARN, plus ListStreams, which has no resource of its own ("*").
    const onStream = (st: Statement) =>
      JSON.stringify(st.Resource).includes('StreamArn') ||
      (actions(st).length > 0 && actions(st).every((a) => a === 'dynamodb:ListStreams'));
    const about = (prefix: string) =>
      statements.filter((st) => !onStream(st) && actions(st).some((a) => a.startsWith(prefix)));
    // The outbox publisher reads the table's stream through its event source, and nothing else of the table.
    const streamActions = [...new Set(statements.filter(onStream).flatMap(actions))].sort();
    const readsStream = 'trigger' in entry && entry.trigger === 'table-stream';
    expect(streamActions, `${entry.name} stream`).toEqual(
      readsStream
        ? ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams']
        : [],
    );

    expect(about('dynamodb:').length > 0, `${entry.name} dynamodb`).toBe(access.table !== undefined);
    // Exactly the actions lib/grants.ts lists for the declared level: on the table, and only Query on its indexes.
    const onTable = about('dynamodb:').filter((st) => !JSON.stringify(st.Resource).includes('/index/'));
    const onIndexes = about('dynamodb:').filter((st) => JSON.stringify(st.Resource).includes('/index/'));
    const sorted = (sts: Statement[]) => [...new Set(sts.flatMap(actions))].sort();
    expect(sorted(onTable), `${entry.name} dynamodb actions`).toEqual(
      access.table ? [...TABLE_ACTIONS[access.table]].sort() : [],
    );
    expect(sorted(onIndexes), `${entry.name} dynamodb index actions`).toEqual(access.table ? [...INDEX_ACTIONS] : []);
    for (const st of about('dynamodb:')) {
      for (const resource of [st.Resource].flat()) expect(JSON.stringify(resource)).toContain(`"${tableId}"`);
    }

    // SQS, action by action: sending (its own queue), consuming (its event source) — nothing else, e.g. no PurgeQueue.
    const sendsToQueue =
      access.payoutQueue === 'send' || access.eventDeliveryQueue === 'send' || access.reconciliationQueue === 'send';
    const sends = sendsToQueue || (readsStream as boolean);
    const consumes = 'trigger' in entry && SQS_TRIGGERS.has(entry.trigger);
    expect([...new Set(about('sqs:').flatMap(actions))].sort(), `${entry.name} sqs actions`).toEqual(
      [
        ...new Set([
          ...(sends ? ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'] : []),
          ...(consumes
            ? [
                'sqs:ChangeMessageVisibility',
                'sqs:DeleteMessage',
                'sqs:GetQueueAttributes',
                'sqs:GetQueueUrl',
                'sqs:ReceiveMessage',
              ]
            : []),
        ]),
      ].sort(),
    );
    for (const st of about('sqs:')) {
      for (const resource of [st.Resource].flat()) {
        expect(stackQueues, `${entry.name} sqs resource`).toContain(JSON.stringify(resource));
      }
    }
    expect(all.includes('sqs:SendMessage'), `${entry.name} sqs send`).toBe(
      // The stream publisher sends the batches it could not publish to its failure queue.
      sendsToQueue || readsStream,
    );
    expect(all.includes('events:PutEvents'), `${entry.name} events`).toBe(access.eventBus === 'put');
    expect(all.includes('ses:SendEmail'), `${entry.name} ses`).toBe(access.email === 'send');

    const cognito = about('cognito-idp:');
    expect(cognito.length > 0, `${entry.name} cognito`).toBe(access.userPool === 'read');
    for (const st of cognito) {
      expect(actions(st).sort()).toEqual(['cognito-idp:AdminGetUser', 'cognito-idp:ListUsers']);
      expect(st.Resource).toEqual({ 'Fn::GetAtt': [userPoolId, 'Arn'] });
    }

    const expectedSecrets = [
      ...(access.secrets ?? []).map((name) => logicalId(s.stack.secrets[name])),
      ...(access.stripe ? [logicalId(s.stack.stripeKeys[access.stripe])] : []),
    ].sort();
    const grantedSecrets = about('secretsmanager:')
      .flatMap((st) => [st.Resource].flat().map((r) => (r as { Ref: string }).Ref))
      .sort();
    expect(grantedSecrets, `${entry.name} secrets`).toEqual(expectedSecrets);

    const known =
      /^(logs:(CreateLogStream|PutLogEvents)|dynamodb:|sqs:|cognito-idp:|secretsmanager:(GetSecretValue|DescribeSecret)$|events:PutEvents$|ses:SendEmail$)/;
    const tracing = /^xray:(PutTraceSegments|PutTelemetryRecords)$/;
    for (const action of all) {
      if (s.config.tracing && tracing.test(action)) continue;
      expect(action, entry.name).toMatch(known);
    }
  }
}
