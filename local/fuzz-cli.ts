import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROUTES } from '#routes';

/**
 * `npm run fuzz -- --runs 10000 [--seed N]`: the HTTP fuzzer of tests/e2e/fuzz.test.ts at scale, outside `npm test`
 * (which keeps its fixed-seed slice of 15 cases per route). The runs are spread evenly over every route and both
 * webhooks; the test file starts the local stack through the e2e project's global setup, checks every answer as in
 * `npm test`, and writes its figures, which are printed here: cases, 5xx answers and refused-but-wrote cases (a
 * refusal that changed the table or called Stripe). Both counts must be 0; the exit status is non-zero otherwise,
 * or when a check failed.
 */

const USAGE = `Usage: npm run fuzz -- [--runs N] [--seed N]

  --runs N    cases in all, spread evenly over every route and both webhooks (default 10000)
  --seed N    fast-check's seed (default: the fixed seed of npm test); a failure prints how to replay it`;

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '10000' }, seed: { type: 'string' }, help: { type: 'boolean' } },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const total = Number(values.runs);
if (!Number.isInteger(total) || total < 1) {
  console.error(USAGE);
  process.exit(2);
}
if (values.seed !== undefined && !Number.isInteger(Number(values.seed))) {
  console.error(USAGE);
  process.exit(2);
}

const perRoute = Math.max(1, Math.ceil(total / ROUTES.length));
const scratch = mkdtempSync(path.join(os.tmpdir(), 'fuzz-'));
const reportFile = path.join(scratch, 'report.json');
const root = path.resolve(import.meta.dirname, '..');
console.log(`fuzzing ${ROUTES.length} routes (both webhooks included), ${perRoute} cases each…`);

const vitest = spawnSync(
  path.join(root, 'node_modules/.bin/vitest'),
  ['run', '--project', 'e2e', 'tests/e2e/fuzz.test.ts'],
  {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      FUZZ_RUNS: String(perRoute),
      FUZZ_WEBHOOK_RUNS: String(perRoute),
      FUZZ_REPORT: reportFile,
      ...(values.seed === undefined ? {} : { FUZZ_SEED: values.seed }),
    },
  },
);

interface Report {
  seed: number;
  cases: number;
  routes: number;
  serverErrors: number;
  refusedButWrote: number;
  seconds: number;
}
let report: Report | undefined;
try {
  report = JSON.parse(readFileSync(reportFile, 'utf8')) as Report;
} catch {
  report = undefined;
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

if (!report) {
  console.error(`\nthe fuzzer wrote no figures (vitest exited ${vitest.status ?? vitest.signal})`);
  process.exit(1);
}
console.log(`
fuzz (seed ${report.seed})
  routes              ${report.routes}
  cases               ${report.cases}
  5xx                 ${report.serverErrors}
  refused but wrote   ${report.refusedButWrote}
  time                ${report.seconds.toFixed(0)} s (${(report.cases / report.seconds).toFixed(1)} cases/s)`);
const clean = vitest.status === 0 && report.serverErrors === 0 && report.refusedButWrote === 0;
process.exit(clean ? 0 : 1);
