import http from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { domainEvent } from '#core/domain-events';
import { SIGNATURE_HEADER, verifySignature } from '#core/event-signature';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '#local/dynamodb';
import { api, stackInfo } from '#tests/local';
import {
  activePayee,
  admin,
  confirm,
  createIntent,
  customer,
  deliverWebhooks,
  eventually,
  paidIntent,
  paymentIntentIdOf,
  paymentRecord,
  postPlatformWebhook,
  stripeSdk,
  tableItem,
} from '#tests/payments';

/**
 * Domain events out: a settled payment's event is written with it (the outbox), carried by the table's stream to
 * the bus, and delivered to the platform's webhook endpoint, signed. The receiver here is what a platform runs.
 */
interface Received {
  path: string;
  raw: string;
  signature: string | undefined;
  event: { id: string; type: string; version: number; partnerId: string | null; data: Record<string, unknown> };
}

function receiver() {
  const received: Received[] = [];
  /** Per path: how many more requests to answer 503. */
  const failures = new Map<string, number>();
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '/';
      const left = failures.get(path) ?? 0;
      if (left > 0) {
        failures.set(path, left - 1);
        response.writeHead(503).end();
        return;
      }
      const raw = Buffer.concat(chunks).toString('utf8');
      const signature = request.headers[SIGNATURE_HEADER.toLowerCase()];
      received.push({
        path,
        raw,
        signature: typeof signature === 'string' ? signature : undefined,
        event: JSON.parse(raw),
      });
      response.writeHead(200).end();
    });
  });
  let base = '';
  return {
    received,
    failNext(path: string, count: number) {
      failures.set(path, count);
    },
    url: (path: string) => `${base}${path}`,
    async start() {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
      const address = server.address();
      base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function waitFor<T>(find: () => T | undefined, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface CreatedEndpoint {
  id: string;
  secret: string;
  url: string;
}

describe('domain events to the platform', () => {
  const hooks = receiver();
  let opsToken = '';
  const endpoints: string[] = [];

  const addEndpoint = async (path: string, eventTypes: string[]) => {
    const created = await api<CreatedEndpoint>('POST', '/admin/webhook-endpoints', {
      token: opsToken,
      body: { url: hooks.url(path), eventTypes },
    });
    expect(created.status, created.text).toBe(201);
    endpoints.push(created.body.id);
    return created.body;
  };

  beforeAll(async () => {
    await hooks.start();
    opsToken = (await admin()).idToken;
  });
  afterAll(async () => {
    for (const id of endpoints) await api('DELETE', `/admin/webhook-endpoints/${id}`, { token: opsToken });
    await hooks.close();
  });

  it('delivers payment.paid for a settled payment, signed with the endpoint secret (a wrong secret fails)', async () => {
    const endpoint = await addEndpoint('/first', ['payment.paid']);
    expect(endpoint.secret).toMatch(/^cpwhsec_/);
    const listed = await api<{ endpoints: Record<string, unknown>[] }>('GET', '/admin/webhook-endpoints', {
      token: opsToken,
    });
    expect(JSON.stringify(listed.body)).not.toContain(endpoint.secret);

    const payee = await activePayee();
    const buyer = await customer();
    const paid = await paidIntent(buyer.idToken, payee, 12_300, 'Milestone with an event');
    const delivery = await waitFor(
      () => hooks.received.find((r) => r.path === '/first' && r.event.data.paymentId === paid.paymentId),
      'the payment.paid delivery',
    );
    expect(delivery.event).toMatchObject({
      type: 'payment.paid',
      version: 1,
      partnerId: payee.partnerId,
      data: { paymentId: paid.paymentId, amount: 12_300, currency: 'usd' },
    });
    expect(verifySignature(delivery.signature, delivery.raw, endpoint.secret, new Date())).toBe('valid');
    expect(verifySignature(delivery.signature, delivery.raw, 'cpwhsec_not_the_secret', new Date())).toBe('mismatch');
    expect(verifySignature(delivery.signature, `${delivery.raw} `, endpoint.secret, new Date())).toBe('mismatch');

    // The operators' view: the event, and one successful attempt to this endpoint.
    const detail = await api<{ deliveries: { endpointId: string; status: string; attempts: unknown[] }[] }>(
      'GET',
      `/admin/events/${delivery.event.id}`,
      { token: opsToken },
    );
    expect(detail.status).toBe(200);
    expect(detail.body.deliveries.find((d) => d.endpointId === endpoint.id)).toMatchObject({
      status: 'delivered',
      attempts: [expect.objectContaining({ status: 200 })],
    });
    const listedEvents = await api<{ events: { id: string }[] }>(
      'GET',
      `/admin/events?partnerId=${payee.partnerId}&type=payment.paid`,
      { token: opsToken },
    );
    expect(listedEvents.body.events.map((e) => e.id)).toEqual([delivery.event.id]);
  });

  it('retries a failing receiver with backoff: 3 failures, then one delivery, every attempt recorded; redelivery works', async () => {
    const endpoint = await addEndpoint('/flaky', ['payment.paid']);
    const payee = await activePayee('retry');
    const buyer = await customer();
    hooks.failNext('/flaky', 3);
    const paid = await paidIntent(buyer.idToken, payee, 4_500, 'Retried delivery');
    const delivery = await waitFor(
      () => hooks.received.find((r) => r.path === '/flaky' && r.event.data.paymentId === paid.paymentId),
      'the retried delivery',
      30_000,
    );
    type Detail = { deliveries: { endpointId: string; status: string; attempts: { status: number }[] }[] };
    const recordOf = async () =>
      (await api<Detail>('GET', `/admin/events/${delivery.event.id}`, { token: opsToken })).body.deliveries.find(
        (d) => d.endpointId === endpoint.id,
      );
    const record = await eventually(recordOf, (r) => r?.status === 'delivered');
    expect(record?.attempts.map((a) => a.status)).toEqual([503, 503, 503, 200]);
    expect(hooks.received.filter((r) => r.path === '/flaky' && r.event.id === delivery.event.id)).toHaveLength(1);

    const before = hooks.received.filter((r) => r.path === '/flaky' && r.event.id === delivery.event.id).length;
    const redelivered = await api('POST', `/admin/events/${delivery.event.id}/redeliver`, {
      token: opsToken,
      body: { endpointId: endpoint.id },
    });
    expect(redelivered.status).toBe(202);
    await waitFor(
      () =>
        hooks.received.filter((r) => r.path === '/flaky' && r.event.id === delivery.event.id).length > before
          ? true
          : undefined,
      'the redelivery',
    );
  });

  it('refuses endpoints it must not call and unknown event types, writing nothing', async () => {
    for (const [body, code] of [
      [{ url: 'ftp://example.com/x', eventTypes: ['payment.paid'] }, 'endpoint_url_not_allowed'],
      [{ url: 'https://user:pw@example.com/x', eventTypes: ['payment.paid'] }, 'endpoint_url_not_allowed'],
      [{ url: 'https://10.0.0.5/x', eventTypes: ['payment.paid'] }, 'endpoint_url_not_allowed'],
      [{ url: 'https://example.com/x', eventTypes: ['payment.teleported'] }, 'validation_error'],
    ] as const) {
      const refused = await api<{ error: { code: string } }>('POST', '/admin/webhook-endpoints', {
        token: opsToken,
        body,
      });
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(refused.body.error.code).toBe(code);
    }
  });

  it('writes a change and its event together or not at all (a blocked outbox write leaves the payment pending)', async () => {
    const payee = await activePayee('outbox');
    const buyer = await customer();
    const created = await createIntent(buyer.idToken, {
      payeeId: payee.partnerId,
      amount: 7_700,
      currency: 'usd',
      kind: 'milestone',
      description: 'Outbox atomicity',
    });
    expect(created.status).toBe(201);
    const paymentId = created.body.paymentId;
    // The event this settlement will write, blocked by an item already at its key: the transaction must fail whole.
    const eventId = domainEvent('payment.paid', `${paymentId}:paid`, {} as never, new Date(), null).id;
    const key = { PK: `DOMAIN_EVENT#${eventId}`, SK: 'EVENT' };
    const db = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: stackInfo().dynamoEndpoint,
        region: LOCAL_REGION,
        credentials: LOCAL_CREDENTIALS,
      }),
    );
    await db.send(new PutCommand({ TableName: stackInfo().tableName, Item: { ...key, entity: 'blocker' } }));
    await confirm(created.body.clientSecret);
    await deliverWebhooks();
    expect((await paymentRecord(paymentId))?.status).toBe('pending');
    expect((await tableItem(key.PK, key.SK))?.entity).toBe('blocker');

    // Unblocked, the same Stripe event (Stripe retries it) settles the payment and writes its event, together.
    await db.send(new DeleteCommand({ TableName: stackInfo().tableName, Key: key }));
    const events: Stripe.Event[] = [];
    for await (const event of stripeSdk().events.list({ type: 'payment_intent.succeeded', limit: 100 })) {
      events.push(event);
    }
    const succeeded = events.find(
      (event) => (event.data.object as Stripe.PaymentIntent).id === paymentIntentIdOf(created.body.clientSecret),
    );
    expect(succeeded).toBeDefined();
    const replay = await postPlatformWebhook(JSON.stringify(succeeded));
    expect(replay.status).toBe(200);
    expect((await paymentRecord(paymentId))?.status).toBe('paid');
    expect((await tableItem(key.PK, key.SK))?.entity).toBe('domain-event');
  });
});
