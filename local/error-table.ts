import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ERROR_CATALOG, ERROR_CODES, type ErrorCode } from '#core/error-catalog';
import { statusOf } from '#middleware/error-mapper';

/**
 * The error table of docs/architecture.md, generated from the error catalog (`npm run openapi` rewrites it between
 * its markers; tests/unit/error-catalog.test.ts fails when the committed table differs).
 */
export const ERROR_TABLE_DOC = path.resolve(import.meta.dirname, '../docs/architecture.md');
export const ERROR_TABLE_START = '<!-- error-catalog:start (generated from functions/core/error-catalog.ts) -->';
export const ERROR_TABLE_END = '<!-- error-catalog:end -->';

export function errorTable(): string {
  const rows = [...ERROR_CODES]
    .sort((a, b) => statusOf(a) - statusOf(b) || a.localeCompare(b))
    .map((code: ErrorCode) => [
      `\`${code}\``,
      String(statusOf(code)),
      ERROR_CATALOG[code].kind,
      ERROR_CATALOG[code].description.replaceAll('|', '\\|'),
    ]);
  const header = ['code', 'status', 'kind', 'when'];
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]?.length ?? 0)));
  const line = (cells: readonly string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

/** The document with its generated table replaced by `table`. */
export function withErrorTable(document: string, table: string): string {
  const start = document.indexOf(ERROR_TABLE_START);
  const end = document.indexOf(ERROR_TABLE_END);
  if (start < 0 || end < start) throw new Error(`${ERROR_TABLE_DOC} has no error table markers`);
  return `${document.slice(0, start + ERROR_TABLE_START.length)}\n\n${table}\n\n${document.slice(end)}`;
}

export function writeErrorTable(): void {
  const document = readFileSync(ERROR_TABLE_DOC, 'utf8');
  writeFileSync(ERROR_TABLE_DOC, withErrorTable(document, errorTable()));
}
