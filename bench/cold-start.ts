/**
 * Cold start of every function: its Lambda bundle (bytes) and the bundle's module import time in a fresh Node process,
 * beside a minimal bundle of a stub that imports only the SDK clients the function's `access` says it needs — so
 * bloat shows as a ratio. Target: every function's import time at most 1.2× its stub's. A second stub adds what
 * every handler loads whatever its access (middy, Powertools' logger and metrics, zod), so the last column shows what
 * the function carries beyond its clients and that framework. Loopback only, nothing is invoked (import = cold-start
 * init before the first request).
 *
 *   npx tsx bench/cold-start.ts [--runs 5] [--only name,name] [--cpu]
 *
 * `--cpu` measures the CPU time (user + system) the import takes instead of the elapsed time: on a machine shared with
 * other work the elapsed time mostly measures waiting for a core, while the CPU time stays close to what an idle
 * machine shows, so the ratios are comparable between runs.
 *
 * Bundles are built by esbuild with the options CDK's NodejsFunction gets (lib/bundling.ts), so this needs no synth.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { type Access, JOBS, ROUTES } from '../functions/routes.ts';
import { lambdaBuildOptions } from '../lib/bundling.ts';

const REPO_ROOT = path.resolve(import.meta.dirname, '..');
const TARGET_RATIO = 1.2;
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    only: { type: 'string' },
    cpu: { type: 'boolean', default: false },
  },
});
const runs = Math.min(25, Math.max(1, Number(values.runs)));
const only = values.only ? new Set(values.only.split(',')) : undefined;

const functions = [
  ...ROUTES.map((r) => ({ name: r.name, entry: r.handler, access: r.access, kind: `${r.method} ${r.path}` })),
  ...JOBS.map((j) => ({ name: j.name, entry: j.handler, access: j.access, kind: `job (${j.trigger})` })),
].filter(({ name }) => !only || only.has(name));

/** The SDK clients a function needs, from what it may touch (functions/routes.ts). */
function stubSource(access: Access, framework = false): { source: string; clients: string[] } {
  const lines: string[] = [];
  const uses: string[] = [];
  const clients: string[] = [];
  if (framework) {
    // What every handler loads whatever its access: middy, Powertools' logger and metrics, zod.
    lines.push("import middy from '@middy/core';");
    lines.push("import { Logger } from '@aws-lambda-powertools/logger';");
    lines.push("import { Metrics } from '@aws-lambda-powertools/metrics';");
    lines.push("import * as z from 'zod';");
    uses.push('middy', 'new Logger()', 'new Metrics()', 'z.strictObject({ a: z.string() })');
  }
  if (access.table) {
    lines.push("import { DynamoDBClient } from '@aws-sdk/client-dynamodb';");
    lines.push("import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';");
    uses.push('DynamoDBDocumentClient.from(new DynamoDBClient({}))');
    clients.push('dynamodb');
  }
  if (access.secrets?.length || access.stripe) {
    lines.push("import { getSecret } from '@aws-lambda-powertools/parameters/secrets';");
    lines.push("import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';");
    uses.push('getSecret', 'new SecretsManagerClient({})');
    clients.push('secrets');
  }
  if (access.stripe) {
    lines.push("import Stripe from 'stripe';");
    uses.push("new Stripe('sk_test_stub')");
    clients.push('stripe');
  }
  if (access.payoutQueue) {
    lines.push("import { SQSClient } from '@aws-sdk/client-sqs';");
    uses.push('new SQSClient({})');
    clients.push('sqs');
  }
  if (access.eventDeliveryQueue && !access.payoutQueue) {
    lines.push("import { SQSClient } from '@aws-sdk/client-sqs';");
    uses.push('new SQSClient({})');
    clients.push('sqs');
  }
  if (access.eventBus) {
    lines.push("import { EventBridgeClient } from '@aws-sdk/client-eventbridge';");
    uses.push('new EventBridgeClient({})');
    clients.push('eventbridge');
  }
  if (access.email) {
    lines.push("import { SESv2Client } from '@aws-sdk/client-sesv2';");
    uses.push('new SESv2Client({})');
    clients.push('ses');
  }
  if (access.userPool) {
    lines.push("import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';");
    uses.push('new CognitoIdentityProviderClient({})');
    clients.push('cognito');
  }
  lines.push(`const used = [${uses.join(', ')}];`);
  lines.push('export const handler = async () => ({ statusCode: 200, body: String(used.length) });');
  return { source: lines.join('\n'), clients };
}

/** The stub's bundle, with the same options as every function's (lib/bundling.ts). */
async function bundleStub(source: string, outdir: string): Promise<string> {
  const outfile = path.join(outdir, 'index.mjs');
  await build({
    ...lambdaBuildOptions(),
    stdin: { contents: source, resolveDir: REPO_ROOT, loader: 'js', sourcefile: 'stub.mjs' },
    outfile,
  });
  return outfile;
}

/** The function's own bundle, as CDK builds it. */
async function bundleFunction(entry: string, outdir: string): Promise<string> {
  const outfile = path.join(outdir, 'index.mjs');
  await build({ ...lambdaBuildOptions(), entryPoints: [path.join(REPO_ROOT, entry)], outfile });
  return outfile;
}

/** The environment a deployed function gets (values are placeholders: nothing is called). */
const LAMBDA_ENV = {
  PATH: process.env.PATH ?? '',
  AWS_REGION: 'us-east-1',
  AWS_LAMBDA_FUNCTION_NAME: 'bench',
  STAGE: 'dev',
  TABLE_NAME: 'bench-table',
  USER_POOL_ID: 'us-east-1_bench',
  PAYOUT_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/bench',
  API_BASE_URL: 'https://api.example.com/dev',
  APP_URL: '',
  SECRETS_PROVIDER: 'secretsmanager',
  STRIPE_API_KEY_SECRET_NAME: 'bench/stripe',
  PLATFORM_WEBHOOK_SECRET_NAME: 'bench/platform',
  CONNECT_WEBHOOK_SECRET_NAME: 'bench/connect',
  STATE_SIGNING_SECRET_NAME: 'bench/state',
  POWERTOOLS_SERVICE_NAME: 'connect-payouts',
  POWERTOOLS_METRICS_NAMESPACE: 'Bench',
  POWERTOOLS_LOG_LEVEL: 'WARN',
};

/** Milliseconds to import the bundle in a fresh process (process start excluded): elapsed, or CPU with `--cpu`. */
function importOnce(file: string): number {
  const url = JSON.stringify(pathToFileURL(file).href);
  const script = values.cpu
    ? `const c=process.cpuUsage();await import(${url});const u=process.cpuUsage(c);process.stdout.write(String((u.user+u.system)/1000));`
    : `const t=performance.now();await import(${url});process.stdout.write(String(performance.now()-t));`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env: LAMBDA_ENV,
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (child.status !== 0) throw new Error(`importing ${file} failed: ${child.stderr}`);
  return Number(child.stdout);
}

const median = (samples: number[]) => [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)] ?? Number.NaN;

/**
 * Median import times of each file over `runs` rounds, the files taking turns within a round so that load from other
 * processes on the machine weighs on all of them alike.
 */
function importMs(files: string[]): number[] {
  const samples = files.map((): number[] => []);
  for (let i = 0; i < runs; i += 1) {
    files.forEach((file, index) => {
      samples[index]?.push(importOnce(file));
    });
  }
  return samples.map(median);
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'cold-start-'));
const rows: string[][] = [];
let totalBundle = 0;
let totalStub = 0;
const over: string[] = [];
const ratios: { name: string; ratio: number }[] = [];
try {
  const measure = values.cpu ? 'CPU time' : 'elapsed time';
  console.log(`Node ${process.version}, ${measure}, median of ${runs} fresh-process imports per bundle`);
  console.log(
    `load average ${os
      .loadavg()
      .map((load) => load.toFixed(1))
      .join(' ')} on ${os.cpus().length} cores\n`,
  );
  for (const fn of functions) {
    const bundle = await bundleFunction(fn.entry, path.join(tmp, fn.name, 'function'));
    const { source, clients } = stubSource(fn.access);
    const stub = await bundleStub(source, path.join(tmp, fn.name, 'stub'));
    const frameworkStub = await bundleStub(stubSource(fn.access, true).source, path.join(tmp, fn.name, 'framework'));
    const [bundleBytes, stubBytes] = [statSync(bundle).size, statSync(stub).size];
    const [bundleMs = Number.NaN, stubMs = Number.NaN, frameworkMs = Number.NaN] = importMs([
      bundle,
      stub,
      frameworkStub,
    ]);
    if (bundleMs / stubMs > TARGET_RATIO) over.push(fn.name);
    ratios.push({ name: fn.name, ratio: bundleMs / stubMs });
    totalBundle += bundleBytes;
    totalStub += stubBytes;
    rows.push([
      fn.name,
      clients.join('+') || '(none)',
      kb(bundleBytes),
      kb(stubBytes),
      `${(bundleBytes / stubBytes).toFixed(2)}×`,
      `${bundleMs.toFixed(1)} ms`,
      `${stubMs.toFixed(1)} ms`,
      `${(bundleMs / stubMs).toFixed(2)}×`,
      `${frameworkMs.toFixed(1)} ms`,
      `${(bundleMs / frameworkMs).toFixed(2)}×`,
    ]);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

const header = [
  'function',
  'SDK clients (stub)',
  'bundle',
  'stub',
  'size ratio',
  'import',
  'stub import',
  'time ratio',
  'stub+framework',
  'ratio to it',
];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
const line = (cells: string[]) =>
  cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ');
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const row of rows) console.log(line(row));
console.log(`\n${functions.length} functions: bundles ${kb(totalBundle)} in all, stubs ${kb(totalStub)}.`);
console.log(
  over.length === 0
    ? `every function imports within ${TARGET_RATIO}× its stub's time`
    : `${over.length} over ${TARGET_RATIO}× its stub's import time: ${over.join(', ')}`,
);
const worst = [...ratios].sort((a, b) => b.ratio - a.ratio).slice(0, 5);
console.log(
  `${functions.length - over.length} of ${functions.length} within ${TARGET_RATIO}×; median ratio ` +
    `${median(ratios.map((r) => r.ratio)).toFixed(2)}×; worst: ${worst.map((r) => `${r.name} ${r.ratio.toFixed(2)}×`).join(', ')}`,
);
console.log(
  `load average at the end ${os
    .loadavg()
    .map((load) => load.toFixed(1))
    .join(' ')}`,
);
