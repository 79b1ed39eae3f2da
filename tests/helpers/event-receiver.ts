import http from 'node:http';
import { expect } from 'vitest';
import { SIGNATURE_HEADER, verifySignature } from '#core/event-signature';
import type { CapturedMail } from '#local/mail';
import { api, stackInfo } from './local.ts';

/** What a platform's webhook receiver on loopback got: the raw body, its signature header and the parsed event. */
export interface Received {
  path: string;
  raw: string;
  signature: string | undefined;
  /** When the request arrived (epoch ms). */
  at: number;
  event: { id: string; type: string; version: number; partnerId: string | null; data: Record<string, unknown> };
}

/** A platform's webhook receiver on loopback: records every delivery, answers 2xx. */
export function eventReceiver() {
  const received: Received[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const signature = request.headers[SIGNATURE_HEADER.toLowerCase()];
      received.push({
        path: request.url ?? '/',
        raw,
        signature: typeof signature === 'string' ? signature : undefined,
        at: Date.now(),
        event: JSON.parse(raw),
      });
      response.writeHead(200).end();
    });
  });
  let base = '';
  return {
    received,
    url: (path: string) => `${base}${path}`,
    async start() {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
      const address = server.address();
      base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export async function waitFor<T>(find: () => T | undefined, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface StoredEvent {
  id: string;
  type: string;
  partnerId: string | null;
  occurredAt: string;
  data: Record<string, unknown>;
}

/** The events stored for a partner (newest first), optionally of one type, through the operators' API. */
export async function eventsOfPartner(token: string, partnerId: string, type?: string): Promise<StoredEvent[]> {
  const query = new URLSearchParams({ partnerId, limit: '100', ...(type ? { type } : {}) });
  const response = await api<{ events: StoredEvent[] }>('GET', `/admin/events?${query}`, { token });
  expect(response.status, response.text).toBe(200);
  return response.body.events;
}

/** The entries the local event bus accepted for an event id (its archive). */
export async function busEntriesOf(eventId: string): Promise<unknown[]> {
  const response = await fetch(`${stackInfo().eventBusEndpoint}/archive?eventId=${encodeURIComponent(eventId)}`);
  return (await response.json()) as unknown[];
}

/**
 * The event was published to the bus exactly once and delivered to the receiver's `path` with a signature that
 * verifies with the endpoint's secret (and not with another one).
 */
export async function expectPublishedAndDelivered(
  receiver: ReturnType<typeof eventReceiver>,
  path: string,
  eventId: string,
  secret: string,
): Promise<Received> {
  const delivery = await waitFor(
    () => receiver.received.find((r) => r.path === path && r.event.id === eventId),
    `the delivery of ${eventId} to ${path}`,
  );
  expect(verifySignature(delivery.signature, delivery.raw, secret, new Date())).toBe('valid');
  expect(verifySignature(delivery.signature, delivery.raw, 'cpwhsec_not_the_secret', new Date())).toBe('mismatch');
  expect(await busEntriesOf(eventId)).toHaveLength(1);
  return delivery;
}

export async function mailTo(email: string): Promise<CapturedMail[]> {
  const response = await fetch(`${stackInfo().mailUrl}/messages?to=${encodeURIComponent(email)}`);
  return (await response.json()) as CapturedMail[];
}

export async function waitForMail(
  email: string,
  match: (mail: CapturedMail) => boolean,
  timeoutMs = 20_000,
): Promise<CapturedMail> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await mailTo(email)).find(match);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for an email to ${email}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
