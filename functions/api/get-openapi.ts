import { bareHandler } from '#middleware/bare-handler';
import { OPENAPI_JSON } from './openapi-document.ts';

/**
 * `GET /openapi.json`: the API contract (public: it holds no secrets, only shapes), answered as generated with
 * openapi.json by `npm run openapi` (its own contract: ./get-openapi.contract.ts).
 */
export const handler = bareHandler('public', () => ({
  status: 200,
  body: OPENAPI_JSON,
  contentType: 'application/json; charset=utf-8',
  headers: { 'cache-control': 'public, max-age=300' },
}));
