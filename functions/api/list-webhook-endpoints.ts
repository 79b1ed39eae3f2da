import * as z from 'zod';
import { platformWebhookDeps } from '#adapters/platform-webhook-deps';
import { listEndpoints } from '#core/platform-webhooks';
import { httpHandler, NoQuery } from '#middleware/http-handler';
import { EndpointView } from './schemas-events.ts';

const List = z.strictObject({ endpoints: z.array(EndpointView) }).describe('Every webhook endpoint (no secrets).');

/** `GET /admin/webhook-endpoints` (admin group). */
export const handler = httpHandler(
  { auth: 'admin', query: NoQuery, summary: 'List webhook endpoints', responses: { 200: List } },
  async () => ({ status: 200, body: await listEndpoints(platformWebhookDeps()) }),
);
