/**
 * `npm test`: every vitest project, in three vitest processes side by side (see vitest.config.ts for why):
 *   - two lanes of the projects that need a local stack (they list the stack's global setup): each process starts
 *     its own stack on free ports, and runs its files one at a time;
 *   - every other project.
 * Each process's output is printed whole when it ends (grouped, not interleaved); the run fails if any fails.
 * Arguments (`npm test -- tests/unit/money.test.ts`, `--project unit`) run one plain `vitest run` with them.
 */
import { spawnSync } from 'node:child_process';
import concurrently from 'concurrently';
import config from '../vitest.config.ts';
import { ensureWebBuild } from './web-app.ts';

const VITEST = 'npx vitest run';
const args = process.argv.slice(2);
if (args.length > 0) {
  const { status } = spawnSync('npx', ['vitest', 'run', ...args], { stdio: 'inherit' });
  process.exit(status ?? 1);
}

interface ProjectConfig {
  test?: { name?: string; globalSetup?: string | string[] };
}
const projects = ((config.test?.projects ?? []) as ProjectConfig[]).map((project) => ({
  name: project.test?.name ?? '',
  usesStack: [project.test?.globalSetup ?? []].flat().some((file) => file.includes('global-setup')),
}));
/** The stack projects' lanes, balanced by their running time (about 2.5 minutes each on a 2-core machine). */
const STACK_LANES: Record<string, readonly string[]> = {
  integration: ['integration'],
  'e2e+browser': ['e2e', 'browser'],
};
const laned = Object.values(STACK_LANES).flat();
const unlaned = projects.filter((project) => project.usesStack && !laned.includes(project.name));
if (
  unlaned.length > 0 ||
  laned.some((name) => !projects.some((project) => project.name === name && project.usesStack))
) {
  throw new Error(
    `local/test-all.ts: put every project that uses the local stack in one lane (unplaced: ${unlaned.map((p) => p.name).join(', ') || 'none'})`,
  );
}
const flags = (names: readonly string[]) => names.map((name) => `--project ${name}`).join(' ');
const rest = projects.filter((project) => !project.usesStack).map((project) => project.name);

const started = Date.now();
// The web app is built here once when stale: the browser suites, `npm start` and the CDK synth each build it when
// it is missing, and three processes building into web/dist at once would trip over each other.
if (await ensureWebBuild({ quiet: true }))
  console.log(`Built the web app (${((Date.now() - started) / 1000).toFixed(0)} s).`);

const { result } = concurrently(
  [
    ...Object.entries(STACK_LANES).map(([name, lane]) => ({ name, command: `${VITEST} ${flags(lane)}` })),
    { name: 'rest', command: `${VITEST} ${flags(rest)}` },
  ],
  { group: true, prefix: 'name', killOthersOn: [] },
);
const seconds = () => ((Date.now() - started) / 1000).toFixed(0);
result.then(
  () => console.log(`\nAll test projects passed in ${seconds()} s.`),
  () => {
    console.error(`\nA test project failed (${seconds()} s): see its output above.`);
    process.exitCode = 1;
  },
);
