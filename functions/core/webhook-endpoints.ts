import { type DomainEvent, type DomainEventType, isDomainEventType } from './domain-events.ts';
import { fail } from './errors.ts';

/**
 * The platform's own webhook endpoints: where we deliver domain events, signed with the endpoint's secret.
 *
 * Secrets: shown once (at creation and at rotation), stored only in the table (encrypted at rest), never returned by
 * reads or logged. A rotation keeps the previous secret valid for `ROTATION_OVERLAP_HOURS`, and deliveries carry one
 * signature per valid secret, so the platform can switch without missing an event.
 */
export interface EndpointSecret {
  value: string;
  createdAt: string;
  /** Null for the current secret; the end of the overlap for a rotated one. */
  expiresAt: string | null;
}

export interface WebhookEndpoint {
  id: string;
  url: string;
  /** The types delivered to it; `*` for all. */
  eventTypes: readonly (DomainEventType | '*')[];
  description: string;
  secrets: readonly EndpointSecret[];
  createdAt: string;
  createdBy: string;
}

export const ROTATION_OVERLAP_HOURS = 24;
export const MAX_ENDPOINTS = 16;

/** An endpoint as operators see it: never a secret. */
export function endpointView(endpoint: WebhookEndpoint) {
  return {
    id: endpoint.id,
    url: endpoint.url,
    eventTypes: [...endpoint.eventTypes],
    description: endpoint.description,
    createdAt: endpoint.createdAt,
    createdBy: endpoint.createdBy,
    secretRotatedAt: endpoint.secrets[0]?.createdAt ?? endpoint.createdAt,
  };
}

export const subscribes = (endpoint: WebhookEndpoint, event: Pick<DomainEvent, 'type'>) =>
  endpoint.eventTypes.includes('*') || endpoint.eventTypes.includes(event.type);

/** The secrets a delivery at `at` is signed with: the current one and any rotated one still in its overlap. */
export function signingSecrets(endpoint: WebhookEndpoint, at: Date): string[] {
  return endpoint.secrets
    .filter((secret) => secret.expiresAt === null || Date.parse(secret.expiresAt) > at.getTime())
    .map((secret) => secret.value);
}

/** A rotation: the new secret first, the old current one kept until the overlap ends, expired ones dropped. */
export function rotate(endpoint: WebhookEndpoint, secret: string, at: Date): EndpointSecret[] {
  const overlapEnd = new Date(at.getTime() + ROTATION_OVERLAP_HOURS * 3600 * 1000).toISOString();
  const kept = endpoint.secrets
    .filter((old) => old.expiresAt === null || Date.parse(old.expiresAt) > at.getTime())
    .map((old) => (old.expiresAt === null ? { ...old, expiresAt: overlapEnd } : old));
  return [{ value: secret, createdAt: at.toISOString(), expiresAt: null }, ...kept];
}

export function eventTypesOf(types: readonly string[]): (DomainEventType | '*')[] {
  const unknown = types.filter((type) => type !== '*' && !isDomainEventType(type));
  if (unknown.length > 0) {
    fail('unknown_event_type', `Unknown event types: ${unknown.join(', ')}.`, {
      unknown,
    });
  }
  return [...new Set(types)] as (DomainEventType | '*')[];
}

const PRIVATE_V4: readonly [number, number][] = [
  // [network, prefix length] as 32-bit values
  [0x00000000, 8], // "this" network
  [0x0a000000, 8], // 10/8
  [0x64400000, 10], // 100.64/10 (CGNAT)
  [0x7f000000, 8], // loopback
  [0xa9fe0000, 16], // link-local, incl. the instance metadata service
  [0xac100000, 12], // 172.16/12
  [0xc0000000, 24], // 192.0.0/24
  [0xc0a80000, 16], // 192.168/16
  [0xc6120000, 15], // 198.18/15 (benchmarks)
  [0xe0000000, 4], // multicast
  [0xf0000000, 4], // reserved + broadcast
];

/** Whether an IP address is one a delivery must never reach in AWS (private, loopback, link-local, reserved). */
export function isPrivateAddress(address: string): boolean {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address.replace(/^::ffff:/i, ''));
  if (v4) {
    const value = v4.slice(1, 5).reduce((acc, part) => acc * 256 + Number(part), 0);
    return PRIVATE_V4.some(([network, bits]) => {
      const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
      return (value & mask) >>> 0 === network;
    });
  }
  const v6 = address.toLowerCase();
  return (
    v6 === '::' ||
    v6 === '::1' ||
    v6.startsWith('fc') ||
    v6.startsWith('fd') ||
    v6.startsWith('fe8') ||
    v6.startsWith('fe9') ||
    v6.startsWith('fea') ||
    v6.startsWith('feb') ||
    v6.startsWith('ff')
  );
}

/**
 * Whether `raw` may be an endpoint URL: https with a host name (or public address) and no credentials; with
 * `allowLoopback` (the local stack only) also http to 127.0.0.1 / localhost. Names are resolved and checked again
 * at every delivery, so a DNS change cannot point an accepted URL at a private address.
 */
export function endpointUrlProblem(raw: string, allowLoopback: boolean): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'not a URL';
  }
  if (url.username || url.password) return 'credentials in the URL are not allowed';
  if (url.hash) return 'a fragment is not allowed';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const loopback = host === 'localhost' || host === '127.0.0.1' || host === '::1';
  if (allowLoopback && loopback && (url.protocol === 'http:' || url.protocol === 'https:')) return null;
  if (url.protocol !== 'https:') return 'only https URLs are allowed';
  if (loopback || isPrivateAddress(host)) return 'private and loopback addresses are not allowed';
  return null;
}

/**
 * When to try a failed delivery again, by attempt number (1 = the first try failed): 1 min, 5 min, 30 min, 2 h,
 * then every 6 h — the 16th attempt falls about 3 days after the first, after which the delivery is given up (the
 * queue's DLQ keeps it, and an operator can redeliver).
 */
export const MAX_DELIVERY_ATTEMPTS = 16;
const BACKOFF_SECONDS = [60, 300, 1_800, 7_200] as const;
export function retryDelaySeconds(attempt: number): number {
  return BACKOFF_SECONDS[attempt - 1] ?? 21_600;
}
