import { randomBytes } from 'node:crypto';
import { config } from '#config';
import { systemClock } from '#core/clock';
import type { PlatformWebhookDeps } from '#core/platform-webhooks';
import { domainEvents } from './dynamodb/outbox.ts';
import { webhookEndpoints } from './dynamodb/webhook-endpoints.ts';
import { eventDeliveryQueue } from './sqs/event-delivery-queue.ts';

/** The operators' webhook-endpoint and event routes wired to DynamoDB and the delivery queue. */
export function platformWebhookDeps(): PlatformWebhookDeps {
  return {
    endpoints: webhookEndpoints,
    events: domainEvents,
    redeliver: (eventId, endpointId) => eventDeliveryQueue.redeliver({ eventId, endpointId }),
    clock: systemClock,
    newEndpointId: () => `we_${randomBytes(12).toString('hex')}`,
    newSecret: () => `cpwhsec_${randomBytes(24).toString('base64url')}`,
    allowLoopback: config().STAGE === 'local',
  };
}
