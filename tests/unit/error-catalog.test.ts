import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOG, ERROR_CODES, isErrorCode } from '#core/error-catalog';
import { domainError, fail, hasCode } from '#core/errors';
import { GATEWAY_RESPONSES } from '#infra/gateway-responses';
import { errorTable, withErrorTable } from '#local/error-table';
import { mapError, STATUS_BY_KIND, statusOf } from '#middleware/error-mapper';

const root = path.resolve(import.meta.dirname, '../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)));
}

/** Markdown tables: each row's cells, by column title (lower case). */
function tables(markdown: string): Record<string, string>[][] {
  const found: Record<string, string>[][] = [];
  const lines = markdown.split('\n').map((line) => line.trim());
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!lines[i]?.startsWith('|') || !/^\|[\s|:-]+\|$/.test(lines[i + 1] ?? '')) continue;
    const cells = (line: string) =>
      line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim());
    const header = cells(lines[i] ?? '').map((title) => title.toLowerCase());
    const rows: Record<string, string>[] = [];
    for (let j = i + 2; lines[j]?.startsWith('|'); j++) {
      const row = cells(lines[j] ?? '');
      rows.push(Object.fromEntries(header.map((title, k) => [title, row[k] ?? ''])));
    }
    found.push(rows);
  }
  return found;
}

const codesIn = (cell: string) => [...cell.matchAll(/`([a-z][a-z0-9_]*)`/g)].map((match) => match[1] ?? '');

describe('the error catalog', () => {
  const architecture = read('docs/architecture.md');

  it("is docs/architecture.md's error table: every code once, with its status and kind, and nothing else", () => {
    const rows = tables(architecture).find((table) => table.some((row) => row.code === '`partner_not_found`'));
    if (!rows) throw new Error('docs/architecture.md has no error table');
    const documented = rows.map((row) => codesIn(row.code ?? '')[0]);
    expect([...documented].sort()).toEqual([...ERROR_CODES].sort());
    for (const row of rows) {
      const code = codesIn(row.code ?? '')[0];
      if (!isErrorCode(code)) throw new Error(`the table names ${code}, which is not in the catalog`);
      expect({ code, status: Number(row.status), kind: row.kind }).toEqual({
        code,
        status: statusOf(code),
        kind: ERROR_CATALOG[code].kind,
      });
    }
    // Exactly what `npm run openapi` writes.
    expect(architecture).toBe(withErrorTable(architecture, errorTable()));
  });

  it('the table check fails for a missing and for an unknown code (positive controls)', () => {
    const table = errorTable();
    const missing = table
      .split('\n')
      .filter((line) => !line.includes('`sold_out`'))
      .join('\n');
    expect(withErrorTable(architecture, missing)).not.toBe(architecture);
    const unknown = table.replace('`sold_out`', '`sold_out_again`');
    const names = tables(unknown)[0]?.map((row) => codesIn(row.code ?? '')[0]) ?? [];
    expect(names.filter((code) => !isErrorCode(code))).toEqual(['sold_out_again']);
  });

  it("every other docs table with a code column names catalog codes only, at the code's status", () => {
    const docs = ['README.md', ...readdirSync(path.join(root, 'docs'), { recursive: true }).map((f) => `docs/${f}`)];
    let checked = 0;
    for (const file of docs.filter((f) => f.endsWith('.md'))) {
      for (const rows of tables(read(file))) {
        for (const row of rows) {
          if (row.code === undefined) continue;
          for (const code of codesIn(row.code)) {
            checked++;
            expect(isErrorCode(code), `${file}: ${code} is not in the error catalog`).toBe(true);
            // A status column of one status (some rows give several: `413 / 415`, `400 (HTML)`).
            const status = /^(\d{3})\b(?![\s/]*\d)/.exec(row.status ?? '')?.[1];
            if (status && isErrorCode(code)) expect(statusOf(code), `${file}: ${code}`).toBe(Number(status));
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('every kind has a status, and every catalog code is used somewhere in the code base', () => {
    expect(Object.keys(STATUS_BY_KIND).sort()).toEqual(
      [...new Set(ERROR_CODES.map((code) => ERROR_CATALOG[code].kind))].sort(),
    );
    const source = ['functions', 'lib', 'local']
      .flatMap(sourceFiles)
      .filter((file) => !file.endsWith('error-catalog.ts') && !file.startsWith('local/stripe-emulator'))
      .map(read)
      .join('\n');
    const unused = ERROR_CODES.filter((code) => !source.includes(`'${code}'`));
    expect(unused).toEqual([]);
  });

  it("API Gateway's own answers use catalog codes at their statuses", () => {
    for (const [kind, response] of Object.entries(GATEWAY_RESPONSES)) {
      expect(statusOf(response.code), kind).toBe(response.status);
    }
  });

  it('fail(code) throws the catalog kind and default message; a message and details override', () => {
    const thrown = (() => {
      try {
        fail('sold_out');
      } catch (error) {
        return error;
      }
    })();
    expect(hasCode(thrown, 'sold_out')).toBe(true);
    expect(thrown).toMatchObject({ kind: 'conflict', message: ERROR_CATALOG.sold_out.message });
    const precise = domainError('listing_not_found', 'No listing lst_1.', { listingId: 'lst_1' });
    expect(precise).toMatchObject({ kind: 'not_found', message: 'No listing lst_1.', details: { listingId: 'lst_1' } });
    expect(hasCode(precise, 'order_not_found')).toBe(false);
  });
});

describe('Retry-After from the error mapper', () => {
  it("takes the error's own delay, rounds it up, and asks for 1 s on a rate-limited error without one", () => {
    expect(mapError(domainError('refresh_rate_limited', 'later', { retryAfterSeconds: 7 })).headers).toEqual({
      'retry-after': '7',
    });
    expect(mapError(domainError('refresh_rate_limited', 'later', { retryAfterSeconds: 2.2 })).headers).toEqual({
      'retry-after': '3',
    });
    expect(mapError(domainError('stripe_rate_limited')).headers).toEqual({ 'retry-after': '1' });
  });

  it('sets nothing on other errors, nor on an unexpected one', () => {
    expect(mapError(domainError('sold_out')).headers).toEqual({});
    expect(mapError(new Error('boom'))).toMatchObject({ status: 500, headers: {}, unexpected: true });
  });
});
