import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { breakingChanges } from './breaking.ts';

/**
 * `npm run openapi:breaking [-- --base <git ref or file>]`: lists the breaking changes of `openapi.json` against a
 * released contract — by default the newest `v*` tag, else the last commit. Exits 1 when there are any.
 */
const root = path.resolve(import.meta.dirname, '../..');
const { values } = parseArgs({ options: { base: { type: 'string' } } });
const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();

function baseDocument(): { label: string; text: string } {
  const base = values.base;
  if (base?.endsWith('.json')) return { label: base, text: readFileSync(path.resolve(base), 'utf8') };
  const ref = base ?? (git('tag', '--list', 'v*', '--sort=-v:refname').split('\n')[0] || 'HEAD');
  return { label: ref, text: git('show', `${ref}:openapi.json`) };
}

const base = baseDocument();
const changes = breakingChanges(
  JSON.parse(base.text),
  JSON.parse(readFileSync(path.join(root, 'openapi.json'), 'utf8')),
);
if (changes.length === 0) {
  console.log(`openapi.json: no breaking change against ${base.label}`);
} else {
  console.log(`openapi.json: ${changes.length} breaking change(s) against ${base.label}:`);
  for (const change of changes) console.log(`  - ${change}`);
  process.exitCode = 1;
}
