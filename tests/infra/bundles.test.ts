import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build, type Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ESM_REQUIRE_BANNER, lambdaBuildOptions } from '#infra/bundling';
import { type Access, JOBS, type JobDefinition, ROUTES } from '#routes';

/**
 * Lean bundles: every function's bundle, built by esbuild with the options CDK's NodejsFunction gets
 * (lib/bundling.ts), holds only the SDK clients its `access` in functions/routes.ts grants. A handler gets the ports
 * of its capabilities by passing their adapters to its deps (`deps({ stripe: stripeConnect })`); a port it was not
 * granted is a stand-in, so its adapter and client never enter the bundle. Read from esbuild's metafile: which
 * package files went into each function's output.
 *
 * Each rule is checked both ways (present where granted, absent where not), so a detector that found nothing would
 * fail on the functions that do hold the client.
 */
const REPO_ROOT = path.resolve(import.meta.dirname, '../..');

interface Fn {
  name: string;
  entry: string;
  access: Access;
  trigger?: JobDefinition['trigger'];
}

const FUNCTIONS: Fn[] = [
  ...ROUTES.map((route) => ({ name: route.name, entry: route.handler, access: route.access })),
  ...JOBS.map((job) => ({ name: job.name, entry: job.handler, access: job.access, trigger: job.trigger })),
];

/** Queue-triggered jobs that delay their own failed messages (ChangeMessageVisibility on the trigger queue). */
const DELAYS_OWN_MESSAGES: ReadonlySet<JobDefinition['trigger']> = new Set(['event-delivery-queue']);

interface Rule {
  client: string;
  /** A path inside the bundle's inputs that only this client brings. */
  marker: RegExp;
  granted: (fn: Fn) => boolean;
}

const RULES: Rule[] = [
  { client: 'the stripe package', marker: /node_modules\/stripe\//, granted: (fn) => Boolean(fn.access.stripe) },
  {
    // The Stripe key is a secret too: a Stripe capability reads it from Secrets Manager.
    client: 'the Secrets Manager client',
    marker: /node_modules\/@aws-sdk\/client-secrets-manager\//,
    granted: (fn) => Boolean(fn.access.stripe) || (fn.access.secrets?.length ?? 0) > 0,
  },
  {
    client: 'the Cognito client',
    marker: /node_modules\/@aws-sdk\/client-cognito-identity-provider\//,
    granted: (fn) => Boolean(fn.access.userPool),
  },
  {
    client: 'the SQS client',
    marker: /node_modules\/@aws-sdk\/client-sqs\//,
    granted: (fn) =>
      Boolean(fn.access.payoutQueue || fn.access.eventDeliveryQueue || fn.access.reconciliationQueue) ||
      (fn.trigger !== undefined && DELAYS_OWN_MESSAGES.has(fn.trigger)),
  },
];

const scratch = mkdtempSync(path.join(os.tmpdir(), 'bundles-'));
const inputsOf = new Map<string, string[]>();

beforeAll(async () => {
  // One esbuild run over every entry: one bundle per entry (no code splitting), as CDK builds each on its own.
  const entryPoints = Object.fromEntries(FUNCTIONS.map((fn) => [fn.name, path.join(REPO_ROOT, fn.entry)]));
  // Written outside the repository (the OS temp dir): no node_modules can be found from there, as in Lambda.
  const result = await build({
    ...lambdaBuildOptions(),
    entryPoints,
    outdir: scratch,
    outExtension: { '.js': '.mjs' },
    write: true,
  });
  const outputs: Metafile['outputs'] = result.metafile.outputs;
  for (const output of Object.values(outputs)) {
    const fn = FUNCTIONS.find(
      ({ entry }) => output.entryPoint && path.resolve(output.entryPoint) === path.resolve(entry),
    );
    if (fn) inputsOf.set(fn.name, Object.keys(output.inputs));
  }
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Enough of functions/config.ts for a module to load outside Lambda. */
const FUNCTION_ENV = {
  STAGE: 'dev',
  AWS_REGION: 'us-east-1',
  TABLE_NAME: 'table',
  USER_POOL_ID: 'us-east-1_pool',
  PAYOUT_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/queue',
  API_BASE_URL: 'https://api.example.com/dev',
  POWERTOOLS_DEV: 'true',
};

describe('every function bundles as Lambda runs it', () => {
  it('each bundle is minified ESM with the createRequire banner and a source map', () => {
    for (const { name } of FUNCTIONS) {
      const bundle = readFileSync(path.join(scratch, `${name}.mjs`), 'utf8');
      expect(bundle.startsWith(ESM_REQUIRE_BANNER), name).toBe(true);
      expect(existsSync(path.join(scratch, `${name}.mjs.map`)), name).toBe(true);
    }
  });

  it('each bundle holds every dependency, the AWS SDK included: it loads with no node_modules in reach', () => {
    expect(scratch.startsWith(REPO_ROOT)).toBe(false);
    const files = FUNCTIONS.map(({ name }) => [name, path.join(scratch, `${name}.mjs`)]);
    const script = `
      const results = {};
      for (const [name, file] of ${JSON.stringify(files)}) {
        try {
          const mod = await import(file);
          results[name] = typeof mod.handler;
        } catch (error) {
          results[name] = String(error);
        }
      }
      console.log(JSON.stringify(results));`;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: os.tmpdir(),
      env: { PATH: process.env.PATH, ...FUNCTION_ENV },
      encoding: 'utf8',
    });
    const results = JSON.parse(output.trim().split('\n').at(-1) ?? '{}');
    expect(results).toEqual(Object.fromEntries(FUNCTIONS.map(({ name }) => [name, 'function'])));
  });
});

describe('every function bundles only the SDK clients its access grants', () => {
  it('bundles every function of the route and job tables', () => {
    expect([...inputsOf.keys()].sort()).toEqual(FUNCTIONS.map(({ name }) => name).sort());
  });

  it.each(RULES.map((rule) => [rule.client, rule] as const))('%s: only where granted', (_client, rule) => {
    const holds = (fn: Fn) => (inputsOf.get(fn.name) ?? []).some((input) => rule.marker.test(input));
    const unexpected = FUNCTIONS.filter((fn) => !rule.granted(fn) && holds(fn)).map(({ name }) => name);
    const missing = FUNCTIONS.filter((fn) => rule.granted(fn) && !holds(fn)).map(({ name }) => name);
    expect(unexpected, `${rule.client} bundled without the access for it`).toEqual([]);
    // Positive control: where the access grants the client, the detector finds it (the check can fail).
    expect(missing, `${rule.client} granted but not found in the bundle`).toEqual([]);
  });

  it('a table-only route bundles no Stripe, Secrets Manager, Cognito or SQS client', () => {
    const tableOnly = FUNCTIONS.filter(({ access, trigger }) => !trigger && Object.keys(access).join() === 'table');
    expect(tableOnly.length).toBeGreaterThan(30);
    for (const fn of tableOnly) {
      const clients = (inputsOf.get(fn.name) ?? []).filter((input) => RULES.some((rule) => rule.marker.test(input)));
      expect(clients, fn.name).toEqual([]);
    }
  });
});
