import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { planPage, sendPayout, startRun as startRunCore } from '#core/payouts';
import { ROUTES } from '#routes';
import { newPartnerUser } from '#tests/connect';
import { api, stackInfo } from '#tests/local';
import { activePayee, admin, customer, postPlatformWebhook, stripeSdk, tableItem } from '#tests/payments';
import { freshPeriod, inProcessDeps, opsToken, recordHeld, startRun } from '#tests/payouts';
import { nextMonth } from '#tests/route-fixtures';
import { changesSince, markState } from '#tests/table-snapshot';

/** Crafted cursors, the checkout customer email, run periods, the run CSV, and signed events for missing objects. */

const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** Cursors no page ever handed out: empty objects, arrays, keys of another shape or partition, text of no page. */
const CRAFTED = [
  'e30', // {}
  b64([]),
  b64(null),
  b64(42),
  b64({ PK: 1 }),
  b64({ PK: 'PARTNER#x', SK: 'PROFILE' }),
  b64({ PK: 'x', SK: 'y', GSI2PK: 'SOMEONE_ELSES#partition', GSI2SK: 'z' }),
  b64({ PK: 'x', SK: 'y', GSI3PK: 'z', GSI3SK: 'w', extra: 'v' }),
  b64({ c: 0, k: { a: 'b' } }),
  b64({ c: 99, k: null }),
  b64({ c: -1 }),
  b64({ c: 0, s: 99, k: null }),
  b64({ c: 0, s: 1, k: { PK: 'x', SK: 'y', GSI3PK: 'HELD#x#00', GSI3SK: 'z' } }),
  b64({ q: 'another-list', a: '2026-01-01T00:00:00.000Z#x', x: '0' }),
  b64('LEDGER#E#not-a-date#x'),
  'Zm9v', // "foo"
];

describe('crafted cursors', () => {
  it('answer 400 invalid_cursor on every route that takes a cursor, never a 5xx', async () => {
    const partner = await newPartnerUser('cursor');
    const ops = (await admin()).idToken;
    // [method, route path, token, body of a cursor, the path requested when it differs from the route's]
    const routes: Array<[string, string, string, (cursor: string) => unknown, string?]> = [
      ['GET', '/admin/payout-runs', ops, () => undefined],
      ['GET', '/admin/events', ops, () => undefined],
      ['GET', '/payment-requests', partner.idToken, () => undefined],
      ['GET', '/partners/{partnerId}/listings', '', () => undefined, `/partners/${partner.partnerId}/listings`],
      ['GET', '/admin/payments', ops, () => undefined],
      ['GET', '/admin/orders', ops, () => undefined, '/admin/orders?reference=store-order-1&'],
      ['GET', '/admin/partners', ops, () => undefined],
      ['GET', '/connect/payouts', partner.idToken, () => undefined],
      ['GET', '/earnings', partner.idToken, () => undefined],
      ['GET', '/payouts', partner.idToken, () => undefined],
      ['POST', '/admin/payout-runs', ops, (cursor) => ({ period: '2019-12', dryRun: true, cursor })],
    ];
    // Every handler whose request takes a cursor is listed above.
    const withCursor = ROUTES.filter((route) => /\bcursor: (Cursor|z\.)/.test(readFileSync(route.handler, 'utf8'))).map(
      (route) => `${route.method} ${route.path}`,
    );
    expect(withCursor.sort()).toEqual(routes.map(([method, path]) => `${method} ${path}`).sort());

    for (const [method, routePath, token, bodyOf, requested] of routes) {
      const path = requested ?? routePath;
      for (const cursor of CRAFTED) {
        const body = bodyOf(cursor);
        const url = body === undefined ? `${path}${path.endsWith('&') ? '' : '?'}cursor=${cursor}` : path;
        const response = await api<{ error?: { code: string } }>(method, url, {
          ...(token ? { token } : {}),
          ...(body === undefined ? {} : { body }),
        });
        expect(response.status, `${method} ${url} ${cursor}: ${response.text}`).toBe(400);
        expect(response.body.error?.code, `${method} ${path} ${cursor}`).toBe('invalid_cursor');
      }
    }
  });

  it('a cursor a page handed out still works (control)', async () => {
    const ops = (await admin()).idToken;
    // Two partners at least, so a page of one has a next page (a list hands out no cursor to an empty page).
    await newPartnerUser('cursor-control-a');
    await newPartnerUser('cursor-control-b');
    const first = await api<{ nextCursor: string | null }>('GET', '/admin/partners?limit=1', { token: ops });
    expect(first.status).toBe(200);
    expect(first.body.nextCursor).toBeTruthy();
    const second = await api('GET', `/admin/partners?limit=1&cursor=${first.body.nextCursor}`, { token: ops });
    expect(second.status).toBe(200);
  });
});

describe('checkout customer email', () => {
  it("is the signed-in customer's own: another address in the body is refused, nothing written", async () => {
    const seller = await activePayee('email-seller');
    const buyer = await customer('email-buyer');
    const base = stackInfo().apiUrl;
    const listing = await api<{ id: string }>('POST', '/listings', {
      token: seller.idToken,
      body: { title: 'Ticket', unitAmount: 2_500, currency: 'usd' },
    });
    expect(listing.status, listing.text).toBe(201);
    const body = {
      items: [{ listingId: listing.body.id, quantity: 1 }],
      successUrl: `${base}/done`,
      cancelUrl: `${base}/cancelled`,
    };
    const mark = await markState();
    const refused = await api<{ error?: { code: string } }>('POST', '/payments/checkout-sessions', {
      token: buyer.idToken,
      body: { ...body, customerEmail: 'victim@example.com' },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error?.code).toBe('validation_error');
    const change = await changesSince(mark);
    expect(change.table).toEqual({ added: [], removed: [], changed: [] });
    expect(change.stripeWrites).toEqual([]);

    const created = await api<{ orderId: string }>('POST', '/payments/checkout-sessions', {
      token: buyer.idToken,
      body,
    });
    expect(created.status, created.text).toBe(201);
    const order = await api<{ customerEmail: string; payment: { stripe: { checkoutSessionId: string } } }>(
      'GET',
      `/admin/orders/${created.body.orderId}`,
      { token: await opsToken() },
    );
    expect(order.body.customerEmail).toBe(buyer.email);
    const session = await stripeSdk().checkout.sessions.retrieve(order.body.payment.stripe.checkoutSessionId);
    expect(session.customer_email).toBe(buyer.email);
  });
});

describe('payout run periods', () => {
  it("run from the platform's launch month to the next month only; nothing written for others", async () => {
    for (const period of ['1970-01', '1999-12']) {
      for (const dryRun of [false, true]) {
        const refused = await startRun(period, dryRun);
        expect(refused.status, `${period} dryRun=${dryRun}: ${refused.text}`).toBe(422);
        expect(refused.body).toMatchObject({ error: { code: 'period_out_of_range' } });
      }
      const stored = await api('GET', `/admin/payout-runs/run_${period}`, { token: await opsToken() });
      expect(stored.status).toBe(404);
    }
    const [year, month] = nextMonth().split('-').map(Number);
    const afterNext = `${month === 12 ? (year ?? 0) + 1 : year}-${String(month === 12 ? 1 : (month ?? 0) + 1).padStart(2, '0')}`;
    const tooFar = await startRun(afterNext, true);
    expect(tooFar.status).toBe(422);
    expect(tooFar.body).toMatchObject({ error: { code: 'period_out_of_range' } });
    // Controls: the launch month (local default 2000-01) and the next month may be dry-run.
    expect((await startRun('2000-01', true)).status).toBe(200);
    expect((await startRun(nextMonth(), true)).status).toBe(200);
    const notYet = await startRun(nextMonth());
    expect(notYet.status).toBe(422);
    expect(notYet.body).toMatchObject({ error: { code: 'period_in_future' } });
  });
});

describe('run CSV', () => {
  it('shows a payout that waited for funds and was then paid as paid, with no stale reason', async () => {
    const { period, inside } = await freshPeriod();
    const partner = await activePayee('csv-final');
    await recordHeld(partner.partnerId, 3_210, inside);
    const { deps, queued, plans } = await inProcessDeps();
    await startRunCore(deps, { period, startedBy: 'test' });
    await planPage(deps, plans[0]?.runId ?? '', null);
    const ref = queued.find((r) => r.payoutId === `po_${period}_usd_${partner.partnerId}`);
    if (!ref) throw new Error('nothing planned');
    // Stripe answers balance_insufficient the first time: the payout waits for funds …
    const short = {
      ...deps,
      transfers: { ...deps.transfers, create: async () => ({ kind: 'insufficient_funds' as const }) },
    };
    expect(await sendPayout(short, ref)).toBe('awaiting_funds');
    const waiting = await api('GET', `/admin/payout-runs/run_${period}?format=csv`, { token: await opsToken() });
    expect(waiting.text).toContain(`${partner.partnerId},usd,3210,awaiting_funds,${ref.payoutId},,awaiting_funds`);
    // … and is paid when tried again.
    expect(await sendPayout(deps, ref)).toBe('paid');
    const csv = await api('GET', `/admin/payout-runs/run_${period}?format=csv`, { token: await opsToken() });
    const row = csv.text.split(/\r?\n/).find((line) => line.startsWith(`${partner.partnerId},`));
    expect(row).toMatch(new RegExp(`^${partner.partnerId},usd,3210,paid,${ref.payoutId},tr_[A-Za-z0-9]+,$`));
    const stored = await tableItem(`PARTNER#${partner.partnerId}`, `PAYOUT#${period}#${ref.payoutId}`);
    expect(stored?.reason).toBeUndefined();
  });
});

describe('signed events for objects Stripe does not have', () => {
  it('are acknowledged (200) and recorded, not failed for Stripe to retry for days', async () => {
    const missing = `pi_${'0'.repeat(24)}`;
    const event = {
      id: `evt_missing_${Date.now().toString(36)}`,
      object: 'event',
      type: 'payment_intent.succeeded',
      created: Math.floor(Date.now() / 1000),
      livemode: false,
      api_version: '2025-01-27.acacia',
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      data: { object: { id: missing, object: 'payment_intent', metadata: {} } },
    };
    await expect(stripeSdk().paymentIntents.retrieve(missing)).rejects.toMatchObject({ code: 'resource_missing' });
    const response = await postPlatformWebhook(JSON.stringify(event));
    expect(response.status, response.text).toBe(200);
    expect(await tableItem(`EVENT#${event.id}`, 'EVENT')).toMatchObject({ outcome: 'stripe_object_missing' });
    const again = await postPlatformWebhook(JSON.stringify(event));
    expect(again.body).toEqual({ received: true, duplicate: true });
  });
});
