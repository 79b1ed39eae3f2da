import { randomBytes } from 'node:crypto';
import { config } from '#config';
import { systemClock } from '#core/clock';
import type { PlatformWebhookDeps } from '#core/platform-webhooks';
import { domainEvents } from './dynamodb/outbox.ts';
import { webhookEndpoints } from './dynamodb/webhook-endpoints.ts';
import { notGrantedCall } from './not-granted.ts';

/**
 * The port a route has only when its `access` grants it: sending to the event delivery queue
 * (`access.eventDeliveryQueue`: `redeliver` of `#adapters/sqs/event-delivery-queue`). Otherwise it throws when reached.
 */
export type PlatformWebhookGrants = Partial<Pick<PlatformWebhookDeps, 'redeliver'>>;

/** The operators' webhook-endpoint and event routes wired to DynamoDB, with the delivery queue when granted. */
export function platformWebhookDeps(grants: PlatformWebhookGrants = {}): PlatformWebhookDeps {
  return {
    endpoints: webhookEndpoints,
    events: domainEvents,
    redeliver: grants.redeliver ?? notGrantedCall('redeliver', 'event delivery queue (access.eventDeliveryQueue)'),
    clock: systemClock,
    newEndpointId: () => `we_${randomBytes(12).toString('hex')}`,
    newSecret: () => `cpwhsec_${randomBytes(24).toString('base64url')}`,
    allowLoopback: config().STAGE === 'local',
  };
}
