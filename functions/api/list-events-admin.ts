import * as z from 'zod';
import { platformWebhookDeps } from '#adapters/platform-webhook-deps';
import type { DomainEventType } from '#core/domain-events';
import { httpHandler } from '#middleware/http-handler';
import { Cursor, Limit, PartnerId } from '#middleware/partner-request';
import { EventTypeName, eventSchemas } from './schemas-events.ts';

const Query = z.strictObject({
  type: EventTypeName.optional(),
  partnerId: PartnerId.optional(),
  cursor: Cursor.optional(),
  limit: Limit,
});
/** `GET /admin/events?type=&partnerId=&cursor=` (admin group): the domain events of the last 30 days. */
export const handler = httpHandler(
  {
    auth: 'admin',
    query: Query,
    summary: 'List domain events, newest first',
    responses: () => {
      const { DomainEventSchema } = eventSchemas();
      const Page = z
        .strictObject({ events: z.array(DomainEventSchema), nextCursor: z.string().nullable() })
        .describe('Events, newest first.');
      return { 200: Page };
    },
  },
  async ({ query }) => ({
    status: 200,
    body: await platformWebhookDeps().events.list({
      limit: query.limit,
      ...(query.type ? { type: query.type as DomainEventType } : {}),
      ...(query.partnerId ? { partnerId: query.partnerId } : {}),
      ...(query.cursor ? { cursor: query.cursor } : {}),
    }),
  }),
);
