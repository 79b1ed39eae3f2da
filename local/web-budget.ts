import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { ensureWebBuild, WEB_DIST } from './web-app.ts';

/**
 * `npm run web:budget`: the JavaScript the first page loads (the entry script and what it preloads), gzipped, against
 * the budget. Chunks loaded on demand (the OIDC client, only used by the AWS sign-in) are listed but not counted.
 * Exits non-zero over budget.
 */
const BUDGET_BYTES = 150 * 1024;

await ensureWebBuild({ quiet: true });
const html = readFileSync(path.join(WEB_DIST, 'index.html'), 'utf8');
const firstPage = new Set(
  [...html.matchAll(/<(?:script[^>]*\bsrc|link[^>]*rel="modulepreload"[^>]*\bhref)="([^"]+\.js)"/g)].map((m) =>
    (m[1] ?? '').replace(/^\/app\//, ''),
  ),
);
const css = [...html.matchAll(/<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"/g)].map((m) =>
  (m[1] ?? '').replace(/^\/app\//, ''),
);
const gz = (file: string) => gzipSync(readFileSync(path.join(WEB_DIST, file)), { level: 9 }).length;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

let total = 0;
console.log('First page (gzipped):');
for (const file of firstPage) {
  const size = gz(file);
  total += size;
  console.log(`  ${file.padEnd(44)} ${kb(size)}`);
}
for (const file of css) console.log(`  ${file.padEnd(44)} ${kb(gz(file))} (CSS, not counted)`);
const { readdirSync } = await import('node:fs');
for (const file of readdirSync(path.join(WEB_DIST, 'assets'))) {
  const relative = `assets/${file}`;
  if (file.endsWith('.js') && !firstPage.has(relative))
    console.log(`  ${relative.padEnd(44)} ${kb(gz(relative))} (on demand)`);
}
console.log(`JavaScript on the first page: ${kb(total)} gzipped (budget ${kb(BUDGET_BYTES)})`);
if (total > BUDGET_BYTES) {
  console.error('Over budget.');
  process.exit(1);
}
