import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Response examples taken from real answers: with `RECORD_EXAMPLES=1`, the test suites' local gateway keeps the
 * first JSON answer of every route and status, and the global teardown merges them (secrets redacted) into
 * `openapi-examples.json`, which `npm run openapi` adds to the contract. `npm run openapi:examples` does both.
 */
export type Examples = { [route: string]: { [status: string]: unknown } };

export const EXAMPLES_FILE = path.resolve(import.meta.dirname, '../../openapi-examples.json');

const SECRET_KEY = /secret|token|password|signature/i;
const SECRET_VALUE = /^(sk|rk|pk)_(test|live)_|^whsec_|^cpwhsec_|_secret_/;

/** Secrets never reach the examples: values under secret-like keys, or shaped like keys, are replaced. */
export function redact(value: unknown, key = ''): unknown {
  if (typeof value === 'string') return SECRET_KEY.test(key) || SECRET_VALUE.test(value) ? '<redacted>' : value;
  if (Array.isArray(value)) return value.slice(0, 3).map((item) => redact(item));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, k)]));
  }
  return value;
}

export function readExamples(file = EXAMPLES_FILE): Examples {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Examples) : {};
}

/** Routes whose answer is not an example: the contract itself (its example would nest the contract in itself). */
const NOT_RECORDED = new Set(['get-openapi']);

/** Adds newly recorded examples to the file (keeping the ones already there), sorted for stable diffs. */
export function mergeExamples(recorded: Examples, file = EXAMPLES_FILE): void {
  const merged = readExamples(file);
  for (const route of NOT_RECORDED) delete merged[route];
  for (const [route, statuses] of Object.entries(recorded)) {
    if (NOT_RECORDED.has(route)) continue;
    merged[route] = { ...statuses, ...merged[route] };
  }
  const sorted = Object.fromEntries(
    Object.keys(merged)
      .sort()
      .map((route) => [route, Object.fromEntries(Object.entries(merged[route] ?? {}).sort())]),
  );
  writeFileSync(file, `${JSON.stringify(sorted, null, 2)}\n`);
}
