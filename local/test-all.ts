/**
 * `npm test`: every vitest project, in two vitest processes side by side (see vitest.config.ts for why):
 *   - the projects that share the local stack (they list the stack's global setup), one file at a time;
 *   - every other project.
 * Each process's output is printed whole when it ends (grouped, not interleaved); the run fails if either fails.
 * Arguments (`npm test -- tests/unit/money.test.ts`, `--project unit`) run one plain `vitest run` with them.
 */
import { spawnSync } from 'node:child_process';
import concurrently from 'concurrently';
import config from '../vitest.config.ts';

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
const flags = (stack: boolean) =>
  projects
    .filter((project) => project.usesStack === stack)
    .map((project) => `--project ${project.name}`)
    .join(' ');

const started = Date.now();
const { result } = concurrently(
  [
    { name: 'stack', command: `${VITEST} ${flags(true)}` },
    { name: 'rest', command: `${VITEST} ${flags(false)}` },
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
