import * as z from 'zod';
import { platformWebhookDeps } from '#adapters/platform-webhook-deps';
import { eventWithDeliveries } from '#core/platform-webhooks';
import { httpHandler, NoQuery } from '#middleware/http-handler';
import { EventId, eventSchemas } from './schemas-events.ts';

const Path = z.strictObject({ eventId: EventId });
/** `GET /admin/events/{eventId}` (admin group). */
export const handler = httpHandler(
  {
    auth: 'admin',
    errors: ['event_not_found'],
    path: Path,
    query: NoQuery,
    summary: 'An event and its deliveries',
    responses: () => {
      const { DomainEventSchema } = eventSchemas();
      const Attempt = z.strictObject({
        at: z.string(),
        status: z.number().int().nullable(),
        error: z.string().nullable(),
        ms: z.number(),
      });

      const Detail = z
        .strictObject({
          event: DomainEventSchema,
          deliveries: z.array(
            z.strictObject({
              eventId: z.string(),
              endpointId: z.string(),
              status: z.enum(['pending', 'delivered', 'failed']),
              attempts: z.array(Attempt),
              updatedAt: z.string(),
            }),
          ),
        })
        .describe('The event and every delivery attempt to each endpoint.');
      return { 200: Detail };
    },
  },
  async ({ path }) => ({ status: 200, body: await eventWithDeliveries(platformWebhookDeps(), path.eventId) }),
);
