import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { writeErrorTable } from '#local/error-table';
import { ROUTES } from '#routes';
import { buildOpenApi, loadContracts, OPENAPI_DOCUMENT_MODULE, openApiDocumentModule } from './build.ts';
import { writeClientTypes } from './client-types.ts';
import { readExamples } from './examples.ts';

/**
 * `npm run openapi`: writes `openapi.json` (and its minified copy that `GET /openapi.json` answers, in
 * functions/api/openapi-document.ts) and the typed client's `local/api-types.ts` from the route table, and the error
 * table of docs/architecture.md from the error catalog.
 */
const root = path.resolve(import.meta.dirname, '../..');
const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
const document = buildOpenApi(ROUTES, await loadContracts(ROUTES), { version, examples: readExamples() });
writeFileSync(path.join(root, 'openapi.json'), `${JSON.stringify(document, null, 2)}\n`);
writeFileSync(path.join(root, OPENAPI_DOCUMENT_MODULE), openApiDocumentModule(document));
await writeClientTypes(document, path.join(root, 'local/api-types.ts'));
writeErrorTable();
console.log(`openapi.json: ${Object.keys(document.paths as object).length} paths, ${ROUTES.length} operations`);
