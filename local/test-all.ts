/**
 * `npm test`: every vitest project, in three vitest processes side by side (see vitest.config.ts for why):
 *   - two lanes of the projects that need a local stack (they list the stack's global setup): each process starts
 *     its own stack on free ports, and runs its files one at a time;
 *   - every other project.
 * Each process's output is printed whole when it ends (grouped, not interleaved); the run fails if any fails.
 * Arguments (`npm test -- tests/unit/money.test.ts`, `--project unit`) run one plain `vitest run` with them.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
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
  test?: { name?: string; include?: string[]; globalSetup?: string | string[] };
}
const projects = ((config.test?.projects ?? []) as ProjectConfig[]).map((project) => ({
  name: project.test?.name ?? '',
  include: project.test?.include ?? [],
  usesStack: [project.test?.globalSetup ?? []].flat().some((file) => file.includes('global-setup')),
}));

/**
 * The stack projects' lanes, balanced by CPU time (what the 2-core machine runs out of). A lane may take over single
 * files of a project another lane runs (`borrowed`): they run in its process, on its stack, and the project's own
 * lane leaves them out. Measured per file (CPU of the whole process tree): the integration files add up to about
 * 230 CPU-s, e2e and browser to about 160 before and 120 after their "nothing written" checks moved to the table's
 * stream; payouts-exactly-once (about 50) evens them out.
 */
const STACK_LANES: Record<string, { projects: readonly string[]; borrowed?: readonly string[] }> = {
  integration: { projects: ['integration'] },
  'e2e+browser': { projects: ['e2e', 'browser'], borrowed: ['tests/integration/payouts-exactly-once.test.ts'] },
};
const laned = Object.values(STACK_LANES).flatMap((lane) => lane.projects);
const unlaned = projects.filter((project) => project.usesStack && !laned.includes(project.name));
if (
  unlaned.length > 0 ||
  laned.some((name) => !projects.some((project) => project.name === name && project.usesStack))
) {
  throw new Error(
    `local/test-all.ts: put every project that uses the local stack in one lane (unplaced: ${unlaned.map((p) => p.name).join(', ') || 'none'})`,
  );
}
const borrowed = Object.values(STACK_LANES).flatMap((lane) => lane.borrowed ?? []);
const missing = borrowed.filter((file) => !existsSync(file));
if (missing.length > 0)
  throw new Error(`local/test-all.ts: a lane borrows a file that does not exist: ${missing.join(', ')}`);

const flags = (names: readonly string[]) => names.map((name) => `--project ${name}`).join(' ');
/** The folder a project's `include` globs start with (the part before the first `*`). */
const folderOf = (glob: string) => glob.slice(0, glob.indexOf('*'));
const projectOf = (file: string) =>
  projects.find((project) => project.include.some((glob) => file.startsWith(folderOf(glob))))?.name ?? '';

/**
 * One lane's vitest command. Without borrowing in either direction: its projects. Otherwise file filters: a lane
 * that lends files names every other file of its project; a lane that borrows names its projects' folders and the
 * borrowed files (vitest filters files by path, across the projects given).
 */
function laneCommand(lane: { projects: readonly string[]; borrowed?: readonly string[] }): string {
  const lent = borrowed.filter((file) => lane.projects.includes(projectOf(file)));
  const extra = lane.borrowed ?? [];
  if (lent.length === 0 && extra.length === 0) return `${VITEST} ${flags(lane.projects)}`;
  const filters = lane.projects.flatMap((name) => {
    const project = projects.find((p) => p.name === name);
    const folders = [...new Set((project?.include ?? []).map(folderOf))];
    if (!lent.some((file) => projectOf(file) === name)) return folders;
    return folders.flatMap((folder) =>
      readdirSync(folder, { recursive: true, encoding: 'utf8' })
        .map((file) => path.join(folder, file))
        .filter((file) => file.endsWith('.test.ts') && !lent.includes(file)),
    );
  });
  const names = [...lane.projects, ...new Set(extra.map(projectOf))];
  return `${VITEST} ${flags(names)} ${[...filters, ...extra].join(' ')}`;
}
const rest = projects.filter((project) => !project.usesStack).map((project) => project.name);

const started = Date.now();
// The web app is built here once when stale: the browser suites, `npm start` and the CDK synth each build it when
// it is missing, and three processes building into web/dist at once would trip over each other.
if (await ensureWebBuild({ quiet: true }))
  console.log(`Built the web app (${((Date.now() - started) / 1000).toFixed(0)} s).`);

const { result } = concurrently(
  [
    ...Object.entries(STACK_LANES).map(([name, lane]) => ({ name, command: laneCommand(lane) })),
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
