import * as z from 'zod';
import { DOMAIN_EVENT_TYPES } from '#core/domain-events';
import { lazily } from '#middleware/contract';

/** Shapes of the operators' event and webhook-endpoint routes (documented in the API contract). */
export const EventTypeName = z.enum(DOMAIN_EVENT_TYPES as [string, ...string[]]);
export const EndpointId = z.string().regex(/^we_[a-f0-9]{24}$/, 'expected a webhook endpoint id (we_…)');
export const EventId = z.string().regex(/^ev_[a-f0-9]{24}$/, 'expected an event id (ev_…)');

/** The response schemas of those routes, built when a contract is read (never at a function's cold start). */
export const eventSchemas = lazily(() => {
  const EndpointView = z.strictObject({
    id: z.string(),
    url: z.string(),
    eventTypes: z.array(z.string()),
    description: z.string(),
    createdAt: z.string(),
    createdBy: z.string(),
    secretRotatedAt: z.string(),
  });

  const DomainEventSchema = z
    .strictObject({
      id: z.string(),
      type: z.string(),
      version: z.number().int(),
      occurredAt: z.string(),
      partnerId: z.string().nullable(),
      data: z.record(z.string(), z.unknown()),
    })
    .describe('A domain event envelope (the body of a webhook delivery).');
  return { EndpointView, DomainEventSchema };
});
