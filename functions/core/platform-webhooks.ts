import type { Clock } from './clock.ts';
import type { DomainEvent, DomainEventType } from './domain-events.ts';
import { fail } from './errors.ts';
import {
  type EndpointSecret,
  endpointUrlProblem,
  endpointView,
  eventTypesOf,
  MAX_ENDPOINTS,
  rotate,
  type WebhookEndpoint,
} from './webhook-endpoints.ts';

/** What the operators' webhook-endpoint and event routes need. */
export interface PlatformWebhookDeps {
  endpoints: {
    create(endpoint: WebhookEndpoint): Promise<void>;
    list(): Promise<WebhookEndpoint[]>;
    get(id: string): Promise<WebhookEndpoint | undefined>;
    delete(id: string): Promise<boolean>;
    replaceSecrets(id: string, expected: readonly EndpointSecret[], secrets: EndpointSecret[]): Promise<boolean>;
    deliveries(eventId: string): Promise<unknown[]>;
  };
  events: {
    get(id: string): Promise<DomainEvent | undefined>;
    list(query: { type?: DomainEventType; partnerId?: string; cursor?: string; limit: number }): Promise<{
      events: DomainEvent[];
      nextCursor: string | null;
    }>;
  };
  redeliver(eventId: string, endpointId: string | null): Promise<void>;
  clock: Clock;
  /** `we_…` ids and `whsec_…` secrets from a secure random source. */
  newEndpointId(): string;
  newSecret(): string;
  /** The local stack delivers to loopback over http; deployed stages only to public https URLs. */
  allowLoopback: boolean;
}

/**
 * `POST /admin/webhook-endpoints`: a new endpoint and its signing secret, shown this once.
 * 1. The URL must be https to a public host (loopback allowed only locally); the event types must exist.
 * 2. At most 16 endpoints.
 * 3. The endpoint is stored with a fresh secret; the answer is its view plus the secret.
 */
export async function createEndpoint(
  deps: PlatformWebhookDeps,
  by: string,
  request: { url: string; eventTypes: string[]; description?: string | undefined },
) {
  const problem = endpointUrlProblem(request.url, deps.allowLoopback);
  if (problem) fail('endpoint_url_not_allowed', `The URL is not allowed: ${problem}.`);
  const eventTypes = eventTypesOf(request.eventTypes);
  if ((await deps.endpoints.list()).length >= MAX_ENDPOINTS) {
    fail('too_many_endpoints', `At most ${MAX_ENDPOINTS} webhook endpoints.`);
  }
  const now = deps.clock.now().toISOString();
  const secret = deps.newSecret();
  const endpoint: WebhookEndpoint = {
    id: deps.newEndpointId(),
    url: request.url,
    eventTypes,
    description: request.description ?? '',
    secrets: [{ value: secret, createdAt: now, expiresAt: null }],
    createdAt: now,
    createdBy: by,
  };
  await deps.endpoints.create(endpoint);
  return { ...endpointView(endpoint), secret };
}

async function endpointOrFail(deps: PlatformWebhookDeps, id: string): Promise<WebhookEndpoint> {
  const endpoint = await deps.endpoints.get(id);
  if (!endpoint) fail('endpoint_not_found', `No webhook endpoint ${id}.`);
  return endpoint;
}

/** `POST /admin/webhook-endpoints/{id}/rotate-secret`: a new secret; the previous one stays valid for 24 h. */
export async function rotateEndpointSecret(deps: PlatformWebhookDeps, id: string) {
  const endpoint = await endpointOrFail(deps, id);
  const secret = deps.newSecret();
  const secrets = rotate(endpoint, secret, deps.clock.now());
  if (!(await deps.endpoints.replaceSecrets(id, endpoint.secrets, secrets))) {
    fail('concurrent_rotation');
  }
  return { id, secret, previousSecretExpiresAt: secrets[1]?.expiresAt ?? null };
}

export async function deleteEndpoint(deps: PlatformWebhookDeps, id: string): Promise<void> {
  if (!(await deps.endpoints.delete(id))) {
    fail('endpoint_not_found', `No webhook endpoint ${id}.`);
  }
}

export async function listEndpoints(deps: PlatformWebhookDeps) {
  return { endpoints: (await deps.endpoints.list()).map(endpointView) };
}

export async function eventWithDeliveries(deps: PlatformWebhookDeps, id: string) {
  const event = await deps.events.get(id);
  if (!event) fail('event_not_found', `No event ${id}.`);
  return { event, deliveries: await deps.endpoints.deliveries(id) };
}

/** `POST /admin/events/{id}/redeliver`: queue the event again for every subscribed endpoint, or for one. */
export async function redeliverEvent(deps: PlatformWebhookDeps, id: string, endpointId: string | null) {
  const event = await deps.events.get(id);
  if (!event) fail('event_not_found', `No event ${id}.`);
  if (endpointId) await endpointOrFail(deps, endpointId);
  await deps.redeliver(id, endpointId);
  return { eventId: id, endpointId, queued: true };
}
