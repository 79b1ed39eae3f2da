import * as z from 'zod';
import { handlerContract } from '#middleware/contract';

const OpenApiDocument = z
  .looseObject({ openapi: z.string(), info: z.looseObject({ title: z.string(), version: z.string() }) })
  .describe('The OpenAPI 3.1 document of this API, generated from the route table and the handlers’ schemas.');

/** The contract of `GET /openapi.json` (./get-openapi.ts is a bare handler: its bundle carries no zod). */
export const contract = handlerContract({
  auth: 'public',
  summary: 'The API contract (OpenAPI 3.1)',
  responses: { 200: OpenApiDocument },
});
