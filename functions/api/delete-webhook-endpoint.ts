import * as z from 'zod';
import { platformWebhookDeps } from '#adapters/platform-webhook-deps';
import { deleteEndpoint } from '#core/platform-webhooks';
import { httpHandler, NoQuery } from '#middleware/http-handler';
import { EndpointId } from './schemas-events.ts';

const Path = z.strictObject({ endpointId: EndpointId });
/** `DELETE /admin/webhook-endpoints/{endpointId}` (admin group): no further deliveries to it. */
export const handler = httpHandler(
  {
    auth: 'admin',
    errors: ['endpoint_not_found'],
    path: Path,
    query: NoQuery,
    summary: 'Remove a webhook endpoint',
    responses: () => {
      const Deleted = z
        .strictObject({ id: z.string(), deleted: z.literal(true) })
        .describe('The endpoint was removed.');
      return { 200: Deleted };
    },
  },
  async ({ path }) => {
    await deleteEndpoint(platformWebhookDeps(), path.endpointId);
    return { status: 200, body: { id: path.endpointId, deleted: true } };
  },
);
