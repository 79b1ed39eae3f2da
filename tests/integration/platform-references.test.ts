import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { domainEvent } from '#core/domain-events';
import { newPartnerUser } from '#tests/connect';
import { api } from '#tests/local';
import {
  activePayee,
  confirm,
  customer,
  deliverWebhooks,
  type EarningsBody,
  earnings,
  eventually,
  payCheckout,
  paymentIntentIdOf,
  requestIntent,
  stripeSdk,
  tableItem,
} from '#tests/payments';
import { freshPeriod, opsToken, settledRun, startRun } from '#tests/payouts';
import { checkoutUrls, createListing } from '#tests/sales';
import { changesSince, markState, NO_CHANGE } from '#tests/table-snapshot';

/**
 * The platform's own references travel with the money: a payment request's reference reaches its payment, the
 * PaymentIntent's metadata, the partner's earnings and the events; an order's reaches its Checkout Session and the
 * sellers' earnings; a recorded earning's reaches the payout that covers it. Operators find payments and orders by
 * reference (an index query); partners see their own references and nobody else's.
 */

type Entry = EarningsBody['entries'][number] & { platformReference: string | null };
type AdminPaymentBody = { id: string; reference: string | null; metadata: Record<string, string> };

const uniqueRef = (prefix: string) => `${prefix}-${randomUUID()}`;

async function requestWithReference(token: string, reference: string, metadata: Record<string, string> = {}) {
  const created = await api<{ id: string; reference: string | null; metadata: Record<string, string> }>(
    'POST',
    '/payment-requests',
    {
      token,
      body: { amount: 4_000, currency: 'usd', kind: 'deposit', description: 'Job deposit', reference, metadata },
    },
  );
  expect(created.status, created.text).toBe(201);
  return created.body;
}

async function payRequest(token: string, requestId: string) {
  const intent = await requestIntent(token, requestId);
  expect(intent.status, intent.text).toBe(201);
  await confirm(intent.body.clientSecret);
  await deliverWebhooks();
  return { paymentId: intent.body.paymentId, paymentIntentId: paymentIntentIdOf(intent.body.clientSecret) };
}

async function paymentsByReference(reference: string) {
  return api<{ payments: AdminPaymentBody[] }>('GET', `/admin/payments?reference=${encodeURIComponent(reference)}`, {
    token: await opsToken(),
  });
}

const entriesOf = async (token: string) => (await earnings(token)).body.entries as Entry[];

describe('platform references', () => {
  it('a payment request’s reference reaches the payment, the PaymentIntent, the earnings, the lookup and the events', async () => {
    const [driver, rider] = await Promise.all([activePayee('ref-driver'), customer('ref-rider')]);
    const job = uniqueRef('job');
    const other = uniqueRef('job');
    const request = await requestWithReference(driver.idToken, job, { address: '12 Rue de la Paix' });
    expect(request).toMatchObject({ reference: job, metadata: { address: '12 Rue de la Paix' } });
    const otherRequest = await requestWithReference(driver.idToken, other);

    const { paymentId, paymentIntentId } = await payRequest(rider.idToken, request.id);
    const otherPaid = await payRequest(rider.idToken, otherRequest.id);

    // Stripe's PaymentIntent carries the reference and the platform's metadata beside our ids.
    const intent = await stripeSdk().paymentIntents.retrieve(paymentIntentId);
    expect(intent.metadata).toMatchObject({
      platform_reference: job,
      address: '12 Rue de la Paix',
      paymentId,
      paymentRequestId: request.id,
    });

    // The partner's earnings show it on the entries the payment created.
    const entries = await eventually(
      () => entriesOf(driver.idToken),
      (list) => list.some((e) => e.type === 'earning' && e.reference === paymentId),
    );
    const fromPayment = entries.filter((e) => e.reference === paymentId);
    expect(fromPayment.map((e) => [e.type, e.platformReference])).toEqual([['earning', job]]);
    expect(entries.find((e) => e.reference === otherPaid.paymentId)?.platformReference).toBe(other);

    // Lookup by reference finds that payment and nothing else (the other reference finds the other one).
    const found = await paymentsByReference(job);
    expect(found.status, found.text).toBe(200);
    expect(found.body.payments.map((p) => [p.id, p.reference])).toEqual([[paymentId, job]]);
    expect((await paymentsByReference(other)).body.payments.map((p) => p.id)).toEqual([otherPaid.paymentId]);
    expect((await paymentsByReference(uniqueRef('unknown'))).body.payments).toEqual([]);
    // ...through the sparse reference index: the payment item carries its key.
    expect(await tableItem(`PAYMENT#${paymentId}`, 'PAYMENT')).toMatchObject({ GSI1PK: `PAYMENT_REF#${job}` });

    // The payment.paid event says which reference was paid.
    const eventId = domainEvent('payment.paid', `${paymentId}:paid`, {} as never, new Date(), null).id;
    const event = await eventually(
      async () =>
        api<{ event: { data: Record<string, unknown> } }>('GET', `/admin/events/${eventId}`, {
          token: await opsToken(),
        }),
      (response) => response.status === 200,
    );
    expect(event.body.event.data).toMatchObject({ paymentId, reference: job });
  });

  it('an order’s reference reaches the order, its Checkout Session and the seller’s earnings; lookup finds it', async () => {
    const [store, buyer] = await Promise.all([activePayee('ref-store'), customer('ref-buyer')]);
    const event = uniqueRef('event');
    const listing = await createListing(store.idToken, { reference: event, metadata: { venue: 'Olympia' } });
    expect(listing).toMatchObject({ reference: event, metadata: { venue: 'Olympia' } });
    // Anyone may read a listing; only its seller sees the platform's reference.
    const publicView = await api<Record<string, unknown>>('GET', `/listings/${listing.id}`);
    expect(publicView.status).toBe(200);
    expect(publicView.body).not.toHaveProperty('reference');
    expect(publicView.body).not.toHaveProperty('metadata');

    const storeOrder = uniqueRef('store-order');
    const checkout = await api<{ orderId: string; paymentId: string; url: string }>(
      'POST',
      '/payments/checkout-sessions',
      {
        token: buyer.idToken,
        body: {
          items: [{ listingId: listing.id, quantity: 2 }],
          ...checkoutUrls(),
          reference: storeOrder,
          metadata: { channel: 'web' },
        },
      },
    );
    expect(checkout.status, checkout.text).toBe(201);
    expect((await payCheckout(checkout.body.url, 'pay')).status).toBe(303);
    await deliverWebhooks();

    const order = await api<{ reference: string | null }>('GET', `/orders/${checkout.body.orderId}`, {
      token: buyer.idToken,
    });
    expect(order.body.reference).toBe(storeOrder);

    const found = await api<{
      orders: Array<{
        id: string;
        reference: string;
        metadata: Record<string, string>;
        stripeCheckoutSessionId: string;
        payment: AdminPaymentBody;
      }>;
    }>('GET', `/admin/orders?reference=${encodeURIComponent(storeOrder)}`, { token: await opsToken() });
    expect(found.status, found.text).toBe(200);
    expect(found.body.orders.map((o) => o.id)).toEqual([checkout.body.orderId]);
    const [found0] = found.body.orders;
    expect(found0).toMatchObject({ reference: storeOrder, metadata: { channel: 'web' } });
    expect(found0?.payment).toMatchObject({ id: checkout.body.paymentId, reference: storeOrder });
    expect((await paymentsByReference(storeOrder)).body.payments.map((p) => p.id)).toEqual([checkout.body.paymentId]);

    const session = await stripeSdk().checkout.sessions.retrieve(found0?.stripeCheckoutSessionId ?? '');
    expect(session.metadata).toMatchObject({ platform_reference: storeOrder, channel: 'web' });
    const intent = await stripeSdk().paymentIntents.retrieve(String(session.payment_intent));
    expect(intent.metadata).toMatchObject({ platform_reference: storeOrder });

    const entries = await eventually(
      () => entriesOf(store.idToken),
      (list) => list.some((e) => e.type === 'earning'),
    );
    expect(entries.find((e) => e.type === 'earning')?.platformReference).toBe(storeOrder);

    // A query that is not an order reference finds nothing; an admin token is needed.
    const none = await api<{ orders: unknown[] }>('GET', `/admin/orders?reference=${encodeURIComponent(event)}`, {
      token: await opsToken(),
    });
    expect(none.body.orders).toEqual([]);
    expect((await api('GET', `/admin/orders?reference=${storeOrder}`, { token: store.idToken })).status).toBe(403);
  });

  it('an order of two sellers: each seller’s Transfer and earning carry the order’s reference', async () => {
    const [first, second, buyer] = await Promise.all([
      activePayee('ref-seller-a'),
      activePayee('ref-seller-b'),
      customer('ref-cart'),
    ]);
    const [a, b] = await Promise.all([createListing(first.idToken, {}), createListing(second.idToken, {})]);
    const cart = uniqueRef('cart');
    const checkout = await api<{ orderId: string; url: string }>('POST', '/payments/checkout-sessions', {
      token: buyer.idToken,
      body: {
        items: [
          { listingId: a.id, quantity: 1 },
          { listingId: b.id, quantity: 1 },
        ],
        ...checkoutUrls(),
        reference: cart,
      },
    });
    expect(checkout.status, checkout.text).toBe(201);
    expect((await payCheckout(checkout.body.url, 'pay')).status).toBe(303);
    await deliverWebhooks();

    const transfers = await eventually(
      async () => (await stripeSdk().transfers.list({ transfer_group: checkout.body.orderId, limit: 10 })).data,
      (list) => list.length === 2,
    );
    expect(transfers.map((t) => t.metadata.platform_reference)).toEqual([cart, cart]);
    for (const seller of [first, second]) {
      const entries = await eventually(
        () => entriesOf(seller.idToken),
        (list) => list.some((e) => e.type === 'earning'),
      );
      expect(entries.find((e) => e.type === 'earning')?.platformReference).toBe(cart);
    }
  });

  it('a recorded earning’s reference shows in the payout’s covered earnings', async () => {
    const { period, inside } = await freshPeriod();
    const driver = await activePayee('ref-payout');
    const job = uniqueRef('job');
    const recorded = await api('POST', '/admin/earnings', {
      token: await opsToken(),
      body: {
        partnerId: driver.partnerId,
        amount: 2_500,
        currency: 'usd',
        externalId: `ref-${randomUUID()}`,
        description: 'Job earnings',
        availableAt: inside,
        reference: job,
      },
    });
    expect(recorded.status, recorded.text).toBe(201);

    expect((await startRun(period)).status).toBeLessThan(300);
    const run = await settledRun(period);
    expect(run.totals.paid).toBeGreaterThanOrEqual(1);

    const payouts = await api<{
      payouts: Array<{
        status: string;
        coveredEarnings: Array<{ entryId: string; amount: number; platformReference: string | null }>;
      }>;
    }>('GET', '/payouts', { token: driver.idToken });
    expect(payouts.status, payouts.text).toBe(200);
    const [payout] = payouts.body.payouts;
    expect(payout?.status).toBe('paid');
    expect(payout?.coveredEarnings).toEqual([{ entryId: expect.any(String), amount: 2_500, platformReference: job }]);
    const earning = (await entriesOf(driver.idToken)).find((e) => e.id === payout?.coveredEarnings[0]?.entryId);
    expect(earning).toMatchObject({ platformReference: job, payoutStatus: 'paid' });
  });

  it("a partner sees its own references and never another partner's", async () => {
    const [owner, stranger, rider] = await Promise.all([
      activePayee('ref-owner'),
      newPartnerUser('ref-stranger'),
      customer('ref-rider2'),
    ]);
    const job = uniqueRef('secret-job');
    const request = await requestWithReference(owner.idToken, job, { customer: 'Ada' });
    const { paymentId } = await payRequest(rider.idToken, request.id);

    // Positive control: the owner sees it.
    const own = await eventually(
      () => entriesOf(owner.idToken),
      (list) => list.some((e) => e.reference === paymentId),
    );
    expect(own.find((e) => e.reference === paymentId)?.platformReference).toBe(job);
    const ownRequests = await api<{ paymentRequests: Array<{ reference: string | null }> }>(
      'GET',
      '/payment-requests',
      {
        token: owner.idToken,
      },
    );
    expect(ownRequests.body.paymentRequests.map((r) => r.reference)).toContain(job);

    // The stranger finds it nowhere: not in its earnings or requests, not in the payer's view, not as an operator.
    const seen = JSON.stringify([
      (await earnings(stranger.idToken)).body,
      (await api('GET', '/payment-requests', { token: stranger.idToken })).body,
      (await api('GET', `/payment-requests/${request.id}`, { token: stranger.idToken })).body,
    ]);
    expect(seen).not.toContain(job);
    expect(seen).not.toContain('Ada');
    const asOperator = await api('GET', `/admin/payments?reference=${encodeURIComponent(job)}`, {
      token: stranger.idToken,
    });
    expect(asOperator.status).toBe(403);
  });

  it('refuses a bad reference or a reserved metadata key before anything is written', async () => {
    const seller = await newPartnerUser('ref-refused');
    const bodies = [
      { reference: 'x'.repeat(201) },
      { reference: 'line\nbreak' },
      { reference: '' },
      { metadata: { platform_reference: 'forged' } },
      { metadata: { paymentId: 'pay_forged' } },
    ];
    const mark = await markState();
    for (const extra of bodies) {
      const response = await api<{ error: { code: string } }>('POST', '/payment-requests', {
        token: seller.idToken,
        body: { amount: 1_000, currency: 'usd', kind: 'custom', description: 'Refused', ...extra },
      });
      expect(response.status, JSON.stringify(extra)).toBe(400);
      expect(['validation_error', 'invalid_reference', 'reserved_metadata_key']).toContain(response.body.error.code);
    }
    expect(await changesSince(mark)).toEqual(NO_CHANGE);
    const reserved = await api<{ error: { code: string } }>('POST', '/listings', {
      token: seller.idToken,
      body: { title: 'T', unitAmount: 100, currency: 'usd', metadata: { platform_reference: 'forged' } },
    });
    expect(reserved.body.error.code).toBe('reserved_metadata_key');
    // Positive control: a 200-character reference is accepted.
    const ok = await api('POST', '/payment-requests', {
      token: seller.idToken,
      body: { amount: 1_000, currency: 'usd', kind: 'custom', description: 'Fine', reference: 'x'.repeat(200) },
    });
    expect(ok.status, ok.text).toBe(201);
  });
});
