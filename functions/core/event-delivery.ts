import type { DomainEvent } from './domain-events.ts';
import { SIGNATURE_HEADER, signatureHeader } from './event-signature.ts';
import {
  MAX_DELIVERY_ATTEMPTS,
  retryDelaySeconds,
  signingSecrets,
  subscribes,
  type WebhookEndpoint,
} from './webhook-endpoints.ts';

/**
 * Delivering one event to the platform's endpoints.
 *
 * Input: the event, the endpoints, the endpoints it was already delivered to, and whether this is an operator's
 * redelivery (to one endpoint or all). Output: the requests to make, and after them what to do with the message.
 *
 * 1. Target every endpoint subscribed to the event's type that has not had it yet (a redelivery targets the
 *    subscribed endpoints again, or the one named).
 * 2. Each request carries the envelope as its body and `Connect-Payouts-Signature` over it, with every valid secret.
 * 3. A 2xx answer is a delivery; anything else (3xx, 4xx, 5xx, timeout, refused) is a failed attempt.
 * 4. If any target failed and attempts remain, the message is retried after the backoff for this attempt (only the
 *    failed endpoints are tried again: the others are recorded as delivered); after the last attempt it is given up.
 */
export interface DeliveryRequest {
  endpoint: WebhookEndpoint;
  body: string;
  headers: Record<string, string>;
}

export function deliveryRequests(
  event: DomainEvent,
  endpoints: readonly WebhookEndpoint[],
  delivered: ReadonlySet<string>,
  redeliver: { endpointId: string | null } | null,
  at: Date,
): DeliveryRequest[] {
  const body = JSON.stringify(event);
  return endpoints
    .filter((endpoint) => subscribes(endpoint, event))
    .filter((endpoint) =>
      redeliver ? redeliver.endpointId === null || redeliver.endpointId === endpoint.id : !delivered.has(endpoint.id),
    )
    .map((endpoint) => ({
      endpoint,
      body,
      headers: {
        [SIGNATURE_HEADER]: signatureHeader(signingSecrets(endpoint, at), body, at),
        'Connect-Payouts-Event-Id': event.id,
        'Connect-Payouts-Event-Type': event.type,
        'user-agent': 'connect-payouts-webhooks/1',
      },
    }));
}

export const isDelivered = (status: number | null) => status !== null && status >= 200 && status < 300;

export type AfterAttempt = { kind: 'done' } | { kind: 'retry'; delaySeconds: number } | { kind: 'give_up' };

/** `attempt` counts from 1 (the queue's receive count). */
export function afterAttempt(anyFailed: boolean, attempt: number): AfterAttempt {
  if (!anyFailed) return { kind: 'done' };
  if (attempt >= MAX_DELIVERY_ATTEMPTS) return { kind: 'give_up' };
  return { kind: 'retry', delaySeconds: retryDelaySeconds(attempt) };
}
