import * as z from 'zod';
import { platformWebhookDeps } from '#adapters/platform-webhook-deps';
import { createEndpoint } from '#core/platform-webhooks';
import { httpHandler, NoQuery } from '#middleware/http-handler';
import { EventTypeName, eventSchemas } from './schemas-events.ts';

const Body = z.strictObject({
  url: z.string().min(1).max(2048),
  eventTypes: z
    .array(z.union([EventTypeName, z.literal('*')]))
    .min(1)
    .max(50),
  description: z.string().max(200).optional(),
});

/** `POST /admin/webhook-endpoints` (admin group): where the platform wants our events, signed. */
export const handler = httpHandler(
  {
    auth: 'admin',
    errors: ['endpoint_url_not_allowed', 'unknown_event_type', 'too_many_endpoints'],
    body: Body,
    query: NoQuery,
    summary: 'Add a webhook endpoint for domain events (its secret is shown once)',
    responses: () => {
      const { EndpointView } = eventSchemas();
      const Created = EndpointView.extend({
        secret: z.string().describe('The signing secret, shown only now: store it.'),
      }).describe('The endpoint and its signing secret (shown once).');
      return { 201: Created };
    },
  },
  async ({ identity, body }) => ({
    status: 201,
    body: await createEndpoint(platformWebhookDeps(), identity.email ?? identity.sub, body),
  }),
);
