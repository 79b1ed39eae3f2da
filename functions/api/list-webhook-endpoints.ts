import * as z from 'zod';
import { platformWebhookDeps } from '#adapters/platform-webhook-deps';
import { listEndpoints } from '#core/platform-webhooks';
import { httpHandler, NoQuery } from '#middleware/http-handler';
import { eventSchemas } from './schemas-events.ts';

/** `GET /admin/webhook-endpoints` (admin group). */
export const handler = httpHandler(
  {
    auth: 'admin',
    query: NoQuery,
    summary: 'List webhook endpoints',
    responses: () => {
      const { EndpointView } = eventSchemas();
      const List = z
        .strictObject({ endpoints: z.array(EndpointView) })
        .describe('Every webhook endpoint (no secrets).');
      return { 200: List };
    },
  },
  async () => ({ status: 200, body: await listEndpoints(platformWebhookDeps()) }),
);
