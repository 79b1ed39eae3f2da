import * as z from 'zod';
import { platformWebhookDeps } from '#adapters/platform-webhook-deps';
import { redeliver } from '#adapters/sqs/event-delivery-queue';
import { redeliverEvent } from '#core/platform-webhooks';
import { httpHandler, NoQuery } from '#middleware/http-handler';
import { EndpointId, EventId } from './schemas-events.ts';

const Path = z.strictObject({ eventId: EventId });
const Body = z.strictObject({ endpointId: EndpointId.optional() });
/** `POST /admin/events/{eventId}/redeliver` (admin group): deliver again, to every subscribed endpoint or one. */
export const handler = httpHandler(
  {
    auth: 'admin',
    errors: ['event_not_found', 'endpoint_not_found'],
    path: Path,
    body: Body,
    query: NoQuery,
    summary: 'Deliver an event again',
    responses: () => {
      const Queued = z
        .strictObject({ eventId: z.string(), endpointId: z.string().nullable(), queued: z.literal(true) })
        .describe('The event is queued for delivery again.');
      return { 202: Queued };
    },
  },
  async ({ path, body }) => ({
    status: 202,
    body: await redeliverEvent(platformWebhookDeps({ redeliver }), path.eventId, body.endpointId ?? null),
  }),
);
