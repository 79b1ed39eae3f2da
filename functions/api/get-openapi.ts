import * as z from 'zod';
import { httpHandler } from '#middleware/http-handler';
import contract from '../../openapi.json' with { type: 'json' };

const OpenApiDocument = z
  .looseObject({ openapi: z.string(), info: z.looseObject({ title: z.string(), version: z.string() }) })
  .describe('The OpenAPI 3.1 document of this API, generated from the route table and the handlers’ schemas.');

/** `GET /openapi.json`: the API contract (public: it holds no secrets, only shapes). */
export const handler = httpHandler(
  { auth: 'public', summary: 'The API contract (OpenAPI 3.1)', responses: { 200: OpenApiDocument } },
  async () => ({ status: 200, body: contract, headers: { 'cache-control': 'public, max-age=300' } }),
);
