import { beforeAll, describe, expect, it } from 'vitest';
import { deployedJobs } from '#infra/payouts-stack';
import { JOBS, type RouteDefinition } from '#routes';
import {
  expectAuthorizerOnProtectedRoutesOnly,
  expectGrantsMatchAccess,
  expectMethodsIntegrateOwnFunction,
  expectNoWildcardActions,
  expectOneFunctionPerEntry,
  fnLogicalId,
  methodOf,
} from './route-assertions.ts';
import { type Synthesized, synth } from './synth.ts';

/**
 * A larger, made-up route table (every auth kind, every access kind, a path parameter) fed to the same stack: the
 * stack must follow the table without a line of per-route code. The entries reuse existing handler files; only the
 * wiring is under test here.
 */
const entry = 'functions/api/health.ts';
const ROUTES: readonly RouteDefinition[] = [
  { name: 'health', method: 'GET', path: '/health', handler: entry, auth: 'public', access: {} },
  {
    name: 'platform-webhook',
    method: 'POST',
    path: '/webhooks/stripe/platform',
    handler: entry,
    auth: 'webhook',
    access: { table: 'readwrite', stripe: 'readonly', secrets: ['platformWebhookSecret'] },
  },
  {
    name: 'onboarding-refresh',
    method: 'GET',
    path: '/connect/onboarding/refresh',
    handler: entry,
    auth: 'public',
    access: { table: 'readwrite-delete', stripe: 'onboarding', secrets: ['stateSigningKey'] },
  },
  {
    name: 'get-payout',
    method: 'GET',
    path: '/payouts/{payoutId}',
    handler: entry,
    auth: 'partner',
    access: { table: 'read' },
  },
  {
    name: 'add-team-member',
    method: 'POST',
    path: '/admin/partners/{partnerId}/members',
    handler: entry,
    auth: 'admin',
    access: { table: 'readwrite', userPool: 'read' },
  },
  {
    name: 'run-payouts-now',
    method: 'POST',
    path: '/admin/payout-runs',
    handler: entry,
    auth: 'admin',
    access: { table: 'readwrite', payoutQueue: 'send' },
  },
];

let s: Synthesized;
beforeAll(() => {
  // The optional features too: tracing (X-Ray needs Resource::*), Cognito Plus, required MFA, self sign-up.
  s = synth(
    {
      stage: 'dev',
      apiBaseUrl: 'https://api.example.com/',
      tracing: 'true',
      cognitoFeaturePlan: 'plus',
      mfa: 'required',
      selfSignUp: 'true',
    },
    { routes: ROUTES, bundle: false },
  );
});

describe('a stack generated from a larger route table', () => {
  it('has one function per route and job', () => {
    expectOneFunctionPerEntry(s, ROUTES, deployedJobs(s.config, JOBS));
  });

  it('integrates each method with its own function', () => {
    expectMethodsIntegrateOwnFunction(s, ROUTES);
  });

  it('authorizes partner and admin routes with Cognito and leaves public and webhook routes open', () => {
    expectAuthorizerOnProtectedRoutesOnly(s, ROUTES);
  });

  it('grants exactly the declared access, with no wildcard action', () => {
    expectGrantsMatchAccess(s, [...ROUTES, ...deployedJobs(s.config, JOBS)]);
    expectNoWildcardActions(s);
  });

  it('requires path parameters at the gateway', () => {
    expect(methodOf(s, '/payouts/{payoutId}', 'GET').RequestParameters).toEqual({
      'method.request.path.payoutId': true,
    });
    expect(methodOf(s, '/admin/partners/{partnerId}/members', 'POST').RequestParameters).toEqual({
      'method.request.path.partnerId': true,
    });
  });

  it('passes only the names of the secrets a function may read', () => {
    const env = (name: string) => s.template.toJSON().Resources[fnLogicalId(s, name)].Properties.Environment.Variables;
    expect(env('platform-webhook')).toMatchObject({
      PLATFORM_WEBHOOK_SECRET_NAME: 'connect-payouts/dev/stripe-platform-webhook-secret',
      STRIPE_API_KEY_SECRET_NAME: 'connect-payouts/dev/stripe-key-readonly',
    });
    expect(env('platform-webhook')).not.toHaveProperty('CONNECT_WEBHOOK_SECRET_NAME');
    expect(env('onboarding-refresh')).toMatchObject({
      STATE_SIGNING_SECRET_NAME: 'connect-payouts/dev/state-signing-key',
      STRIPE_API_KEY_SECRET_NAME: 'connect-payouts/dev/stripe-key-onboarding',
    });
    expect(Object.keys(env('get-payout')).filter((key) => key.endsWith('_SECRET_NAME'))).toEqual([]);
  });

  it('uses the custom-domain base URL for API_BASE_URL and the webhook URL outputs', () => {
    const env = s.template.toJSON().Resources[fnLogicalId(s, 'health')].Properties.Environment.Variables;
    expect(env.API_BASE_URL).toBe('https://api.example.com');
    const outputs = s.template.toJSON().Outputs;
    expect(outputs.ApiUrl.Value).toBe('https://api.example.com');
    expect(outputs.WebhookUrlPlatformWebhook.Value).toBe('https://api.example.com/webhooks/stripe/platform');
  });

  it('turns on tracing and Cognito threat protection when asked', () => {
    for (const fn of Object.values(s.template.findResources('AWS::Lambda::Function'))) {
      expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
    }
    s.template.hasResourceProperties('AWS::ApiGateway::Stage', { TracingEnabled: true });
    s.template.hasResourceProperties('AWS::Cognito::UserPool', {
      UserPoolTier: 'PLUS',
      MfaConfiguration: 'ON',
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
    });
  });

  it('stays cdk-nag clean: public and webhook acknowledgements follow the table', () => {
    expect(s.nag).toEqual([]);
  });
});
