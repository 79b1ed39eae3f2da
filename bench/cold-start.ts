/**
 * Cold start of every function: the bundle CDK builds (bytes) and its module import time in a fresh Node process,
 * beside a minimal bundle of a stub that imports only the SDK clients the function's `access` says it needs — so
 * bloat shows as a ratio. Loopback only, nothing is invoked (import = cold-start init before the first request).
 *
 *   npx tsx bench/cold-start.ts [--runs 5] [--reuse] [--stage dev]
 *
 * --reuse takes the bundles from an existing cdk.out when it has every function; otherwise `npx cdk synth --quiet`
 * runs once first. Bundles are mapped to functions through the template (aws:cdk:path → aws:asset:path).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { type Access, JOBS, ROUTES } from '../functions/routes.ts';

const REPO_ROOT = path.resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    reuse: { type: 'boolean', default: false },
    stage: { type: 'string', default: 'dev' },
  },
});
const runs = Math.min(25, Math.max(1, Number(values.runs)));
const stage = values.stage ?? 'dev';
const CDK_OUT = path.join(REPO_ROOT, 'cdk.out');
const TEMPLATE = path.join(CDK_OUT, `ConnectPayouts-${stage}.template.json`);

const functions = [
  ...ROUTES.map((r) => ({ name: r.name, access: r.access, kind: `${r.method} ${r.path}` })),
  ...JOBS.map((j) => ({ name: j.name, access: j.access, kind: `job (${j.trigger})` })),
];
const constructId = (name: string) =>
  `${name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('')}Fn`;

interface TemplateResource {
  Type: string;
  Metadata?: Record<string, unknown>;
}

function assetDirs(): Map<string, string> | undefined {
  if (!existsSync(TEMPLATE)) return undefined;
  const template = JSON.parse(readFileSync(TEMPLATE, 'utf8')) as { Resources: Record<string, TemplateResource> };
  const dirs = new Map<string, string>();
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const cdkPath = String(resource.Metadata?.['aws:cdk:path'] ?? '');
    const asset = resource.Metadata?.['aws:asset:path'];
    const id = cdkPath.split('/')[1];
    if (id && typeof asset === 'string') dirs.set(id, path.join(CDK_OUT, asset));
  }
  const complete = functions.every(({ name }) => existsSync(path.join(dirs.get(constructId(name)) ?? '', 'index.mjs')));
  return complete ? dirs : undefined;
}

let dirs = values.reuse ? assetDirs() : undefined;
if (!dirs) {
  console.log(`synthesizing ConnectPayouts-${stage} (npx cdk synth --quiet)…`);
  const started = performance.now();
  const synth = spawnSync('npx', ['cdk', 'synth', '--quiet', '-c', `stage=${stage}`], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 600_000,
  });
  if (synth.status !== 0) throw new Error(`cdk synth failed (${synth.status})`);
  console.log(`  synth took ${((performance.now() - started) / 1000).toFixed(1)} s`);
  dirs = assetDirs();
  if (!dirs) throw new Error(`cdk.out has no bundle for some function of functions/routes.ts`);
}

/** The SDK clients a function needs, from what it may touch (functions/routes.ts). */
function stubSource(access: Access): { source: string; clients: string[] } {
  const lines: string[] = [];
  const uses: string[] = [];
  const clients: string[] = [];
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
  if (access.userPool) {
    lines.push("import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';");
    uses.push('new CognitoIdentityProviderClient({})');
    clients.push('cognito');
  }
  lines.push(`const used = [${uses.join(', ')}];`);
  lines.push('export const handler = async () => ({ statusCode: 200, body: String(used.length) });');
  return { source: lines.join('\n'), clients };
}

/** Same esbuild settings as lib/constructs/api-function.ts (NodejsFunction bundling). */
async function bundleStub(source: string, outdir: string): Promise<string> {
  const outfile = path.join(outdir, 'index.mjs');
  await build({
    stdin: { contents: source, resolveDir: REPO_ROOT, loader: 'js', sourcefile: 'stub.mjs' },
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    mainFields: ['module', 'main'],
    banner: {
      js: "import{createRequire as __cjsRequire}from'node:module';const require=__cjsRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });
  return outfile;
}

/** The environment a deployed function gets (values are placeholders: nothing is called). */
const LAMBDA_ENV = {
  PATH: process.env.PATH ?? '',
  AWS_REGION: 'us-east-1',
  AWS_LAMBDA_FUNCTION_NAME: 'bench',
  STAGE: stage,
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

/** Milliseconds to import the bundle in a fresh process (process start excluded), median of `runs`. */
function importMs(file: string): number {
  const script = `const t=performance.now();await import(${JSON.stringify(pathToFileURL(file).href)});process.stdout.write(String(performance.now()-t));`;
  const samples: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: LAMBDA_ENV,
      encoding: 'utf8',
      timeout: 30_000,
    });
    if (child.status !== 0) throw new Error(`importing ${file} failed: ${child.stderr}`);
    samples.push(Number(child.stdout));
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] ?? Number.NaN;
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'cold-start-'));
const rows: string[][] = [];
let totalBundle = 0;
let totalStub = 0;
try {
  console.log(`Node ${process.version}, median of ${runs} fresh-process imports per bundle\n`);
  for (const fn of functions) {
    const bundle = path.join(dirs.get(constructId(fn.name)) ?? '', 'index.mjs');
    const { source, clients } = stubSource(fn.access);
    const stub = await bundleStub(source, path.join(tmp, fn.name));
    const [bundleBytes, stubBytes] = [statSync(bundle).size, statSync(stub).size];
    const [bundleMs, stubMs] = [importMs(bundle), importMs(stub)];
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
];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
const line = (cells: string[]) =>
  cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ');
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const row of rows) console.log(line(row));
console.log(`\n${functions.length} functions: bundles ${kb(totalBundle)} in all, stubs ${kb(totalStub)}.`);
