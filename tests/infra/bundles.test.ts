import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build, type Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambdaBuildOptions } from '#infra/bundling';
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
      Boolean(fn.access.payoutQueue || fn.access.eventDeliveryQueue) ||
      (fn.trigger !== undefined && DELAYS_OWN_MESSAGES.has(fn.trigger)),
  },
];

const scratch = mkdtempSync(path.join(os.tmpdir(), 'bundles-'));
const inputsOf = new Map<string, string[]>();

beforeAll(async () => {
  // One esbuild run over every entry: one bundle per entry (no code splitting), as CDK builds each on its own.
  const entryPoints = Object.fromEntries(FUNCTIONS.map((fn) => [fn.name, path.join(REPO_ROOT, fn.entry)]));
  const result = await build({ ...lambdaBuildOptions(), entryPoints, outdir: scratch, write: false });
  const outputs: Metafile['outputs'] = result.metafile.outputs;
  for (const output of Object.values(outputs)) {
    const fn = FUNCTIONS.find(
      ({ entry }) => output.entryPoint && path.resolve(output.entryPoint) === path.resolve(entry),
    );
    if (fn) inputsOf.set(fn.name, Object.keys(output.inputs));
  }
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

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
