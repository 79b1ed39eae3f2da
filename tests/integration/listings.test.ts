import { describe, expect, it } from 'vitest';
import { newPartnerUser } from '#tests/connect';
import { api } from '#tests/local';
import {
  activePayee,
  customer,
  deliverWebhooks,
  emulator,
  payCheckout,
  paymentWithStatus,
  stripeSdk,
} from '#tests/payments';
import { buyListings, checkoutUrls, createListing, expectCountersMatchOrders, type ListingBody } from '#tests/sales';
import { changesSince, markState, NO_CHANGE } from '#tests/table-snapshot';

/** Listings: prices the seller sets, checkout by reference, capacity that never oversells. */

describe('listings', () => {
  it('are created by the seller, read publicly with what remains, changed and archived', async () => {
    const seller = await activePayee('ls-seller');
    const listing = await createListing(seller.idToken, { title: 'VIP ticket', unitAmount: 9_900, capacity: 50 });
    expect(listing).toMatchObject({
      title: 'VIP ticket',
      unitAmount: 9_900,
      capacity: 50,
      remaining: 50,
      onSale: true,
    });

    const read = await api<ListingBody>('GET', `/listings/${listing.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: listing.id, unitAmount: 9_900, remaining: 50, onSale: true });
    expect(read.body).not.toHaveProperty('sold');
    const list = await api<{ listings: ListingBody[] }>('GET', `/partners/${seller.partnerId}/listings`);
    expect(list.body.listings.map((l) => l.id)).toContain(listing.id);

    const patched = await api<ListingBody>('PATCH', `/listings/${listing.id}`, {
      token: seller.idToken,
      body: { unitAmount: 12_000 },
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body.unitAmount).toBe(12_000);
    const currency = await api<ListingBody>('PATCH', `/listings/${listing.id}`, {
      token: seller.idToken,
      body: { currency: 'eur' },
    });
    expect(currency.status).toBe(400);

    // Someone else cannot change it.
    const other = await newPartnerUser('ls-other');
    const foreign = await api('PATCH', `/listings/${listing.id}`, { token: other.idToken, body: { unitAmount: 1 } });
    expect(foreign.status).toBe(404);

    expect((await api('DELETE', `/listings/${listing.id}`, { token: seller.idToken })).status).toBe(204);
    expect((await api('GET', `/listings/${listing.id}`)).status).toBe(404);
  });

  it('refuses every client price, name, currency or payee on the pay routes, writing nothing', async () => {
    const seller = await activePayee('ls-tamper');
    const listing = await createListing(seller.idToken, { unitAmount: 5_000, capacity: 5 });
    const buyer = await customer();
    const request = await api<{ id: string }>('POST', '/payment-requests', {
      token: seller.idToken,
      body: { amount: 20_000, currency: 'usd', kind: 'deposit', description: 'Deposit' },
    });
    const item = { listingId: listing.id, quantity: 1 };
    const tampered: Array<[string, Record<string, unknown>]> = [
      ['/payments/checkout-sessions', { items: [{ ...item, unitAmount: 50 }], ...checkoutUrls() }],
      ['/payments/checkout-sessions', { items: [{ ...item, name: 'VIP' }], ...checkoutUrls() }],
      ['/payments/checkout-sessions', { items: [item], amount: 50, ...checkoutUrls() }],
      ['/payments/checkout-sessions', { items: [item], payeeId: seller.partnerId, ...checkoutUrls() }],
      ['/payments/checkout-sessions', { items: [item], currency: 'jpy', ...checkoutUrls() }],
      [`/payment-requests/${request.body.id}/intent`, { amount: 50 }],
      [`/payment-requests/${request.body.id}/intent`, { currency: 'jpy' }],
      [`/payment-requests/${request.body.id}/checkout`, { amount: 50, ...checkoutUrls() }],
      [`/payment-requests/${request.body.id}/checkout`, { payeeId: seller.partnerId, ...checkoutUrls() }],
    ];
    const mark = await markState();
    for (const [path, body] of tampered) {
      const refused = await api<{ error: { code: string; message: string } }>('POST', path, {
        token: buyer.idToken,
        body,
      });
      expect(refused.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect(refused.body.error.code).toBe('client_price_refused');
    }
    expect(await changesSince(mark)).toEqual(NO_CHANGE);
    // Positive control: the same buyer, by reference, is accepted.
    expect((await buyListings(buyer.idToken, [item])).status).toBe(201);
  });

  it('snapshots the price into the order, refuses maxPerOrder, sold out and self-payment, and shows the buyer their order', async () => {
    const seller = await activePayee('ls-rules');
    const listing = await createListing(seller.idToken, { unitAmount: 3_000, capacity: 3, maxPerOrder: 2 });
    const buyer = await customer();
    const tooMany = await buyListings(buyer.idToken, [{ listingId: listing.id, quantity: 3 }]);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error?.code).toBe('max_per_order_exceeded');

    const first = await buyListings(buyer.idToken, [{ listingId: listing.id, quantity: 2 }]);
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    // A new price applies to new orders only.
    await api('PATCH', `/listings/${listing.id}`, { token: seller.idToken, body: { unitAmount: 4_000 } });
    const order = await api<{ amount: number; items: { unitAmount: number; quantity: number }[]; status: string }>(
      'GET',
      `/orders/${first.body.orderId}`,
      { token: buyer.idToken },
    );
    expect(order.status).toBe(200);
    expect(order.body).toMatchObject({ amount: 6_000, status: 'pending', items: [{ unitAmount: 3_000, quantity: 2 }] });
    const stranger = await customer('ls-stranger');
    expect((await api('GET', `/orders/${first.body.orderId}`, { token: stranger.idToken })).status).toBe(404);

    const soldOut = await buyListings(stranger.idToken, [{ listingId: listing.id, quantity: 2 }]);
    expect(soldOut.status).toBe(409);
    expect(soldOut.body.error).toMatchObject({ code: 'sold_out', details: { remaining: 1 } });
    const shrink = await api('PATCH', `/listings/${listing.id}`, { token: seller.idToken, body: { capacity: 1 } });
    expect(shrink.status).toBe(409);

    const self = await buyListings(seller.idToken, [{ listingId: listing.id, quantity: 1 }]);
    expect(self.status).toBe(422);
    expect(self.body.error?.code).toBe('self_payment');

    // Paid: the reservation becomes a sale.
    expect((await payCheckout(first.body.url, 'pay')).status).toBe(303);
    await paymentWithStatus(first.body.paymentId, 'paid');
    const counters = await expectCountersMatchOrders(listing.id);
    expect(counters).toMatchObject({ sold: 2, reserved: 0 });
  });

  it('releases the reservation when Stripe cannot create the Checkout Session (502), so the tickets can be sold', async () => {
    const seller = await activePayee('ls-stripe-down');
    const listing = await createListing(seller.idToken, { unitAmount: 2_000, capacity: 2 });
    const buyer = await customer('ls-stripe-down-buyer');
    // Every attempt of the SDK (the first and its two retries) gets a 500.
    await emulator().addFault({ endpoint: 'POST /v1/checkout/sessions', serverErrorRate: 1, times: 3 });
    const failed = await buyListings(buyer.idToken, [{ listingId: listing.id, quantity: 2 }]);
    expect(failed.status, failed.text).toBe(502);
    expect(await expectCountersMatchOrders(listing.id)).toMatchObject({ reserved: 0, taken: 0 });
    const retried = await buyListings(buyer.idToken, [{ listingId: listing.id, quantity: 2 }]);
    expect(retried.status, retried.text).toBe(201);
    expect(await expectCountersMatchOrders(listing.id)).toMatchObject({ reserved: 2, taken: 2 });
  });

  it('a full refund releases the tickets (a partial one keeps them sold), once, however often Stripe says so', async () => {
    const seller = await activePayee('ls-refund');
    const listing = await createListing(seller.idToken, { unitAmount: 2_000, capacity: 4 });
    const buyer = await customer('ls-refund-buyer');
    const order = await buyListings(buyer.idToken, [{ listingId: listing.id, quantity: 2 }]);
    expect(order.status, order.text).toBe(201);
    expect((await payCheckout(order.body.url, 'pay')).status).toBe(303);
    const paid = await paymentWithStatus(order.body.paymentId, 'paid');
    const paymentIntent = String(paid.stripePaymentIntentId);
    await stripeSdk().refunds.create({ payment_intent: paymentIntent, amount: 1_000, reverse_transfer: true });
    await paymentWithStatus(order.body.paymentId, 'partially_refunded');
    expect(await expectCountersMatchOrders(listing.id)).toMatchObject({ sold: 2, taken: 2 });
    await stripeSdk().refunds.create({ payment_intent: paymentIntent, reverse_transfer: true });
    await paymentWithStatus(order.body.paymentId, 'refunded');
    await deliverWebhooks();
    expect(await expectCountersMatchOrders(listing.id)).toMatchObject({ sold: 0, reserved: 0, taken: 0 });
    expect((await api<ListingBody>('GET', `/listings/${listing.id}`)).body.remaining).toBe(4);
  });

  it('oversell: 200 concurrent buyers for the last 10 tickets, then the expired sessions release theirs', async () => {
    const seller = await activePayee('ls-oversell');
    const listing = await createListing(seller.idToken, { title: 'Last tickets', unitAmount: 4_500, capacity: 10 });
    const buyers = await Promise.all(Array.from({ length: 20 }, (_, i) => customer(`ls-buyer${i}`)));
    // DynamoDB Local (one Java process) resets connections beyond a few dozen concurrent transactions on one item:
    // the 200 buyers arrive with at most IN_FLIGHT requests open at any moment, all racing for the same item.
    const IN_FLIGHT = 25;
    const started = performance.now();
    const results: Awaited<ReturnType<typeof buyListings>>[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < 200) {
          const i = next++;
          results.push(
            await buyListings(buyers[i % buyers.length]?.idToken ?? '', [{ listingId: listing.id, quantity: 1 }]),
          );
        }
      }),
    );
    const elapsedMs = Math.round(performance.now() - started);
    const sold = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status === 409 && r.body.error?.code === 'sold_out');
    const other = results.filter((r) => r.status !== 201 && !(r.status === 409 && r.body.error?.code === 'sold_out'));
    console.info(
      `oversell: buyers=200 capacity=10 held=${sold.length} sold_out=${refused.length} other=${other.length} time=${elapsedMs}ms`,
    );
    expect(other.map((r) => `${r.status} ${r.text}`)).toEqual([]);
    expect(sold).toHaveLength(10);
    expect(refused).toHaveLength(190);
    expect(await expectCountersMatchOrders(listing.id)).toMatchObject({ reserved: 10, sold: 0, taken: 10 });

    // Pay 4 of them; let the other 6 sessions expire on the emulator's clock.
    for (const order of sold.slice(0, 4)) expect((await payCheckout(order.body.url, 'pay')).status).toBe(303);
    await deliverWebhooks();
    await emulator().advanceClock(31 * 60 + 90);
    await deliverWebhooks();
    for (const order of sold.slice(4)) await paymentWithStatus(order.body.paymentId, 'canceled');
    for (const order of sold.slice(0, 4)) await paymentWithStatus(order.body.paymentId, 'paid');
    expect(await expectCountersMatchOrders(listing.id)).toMatchObject({ reserved: 0, sold: 4, taken: 4 });
    const publicView = await api<ListingBody>('GET', `/listings/${listing.id}`);
    expect(publicView.body.remaining).toBe(6);

    // A duplicated and reordered delivery of every event changes no counter.
    await emulator().setDeliveryMode({ duplicate: true, reorder: true });
    try {
      const again = await Promise.all(
        Array.from({ length: 7 }, (_, i) =>
          buyListings(buyers[i]?.idToken ?? '', [{ listingId: listing.id, quantity: 1 }]),
        ),
      );
      expect(again.filter((r) => r.status === 201)).toHaveLength(6);
      expect(again.filter((r) => r.status === 409)).toHaveLength(1);
      for (const order of again.filter((r) => r.status === 201)) {
        expect((await payCheckout(order.body.url, 'pay')).status).toBe(303);
      }
      await deliverWebhooks();
    } finally {
      await emulator().setDeliveryMode({ duplicate: false, reorder: false });
    }
    expect(await expectCountersMatchOrders(listing.id)).toMatchObject({ reserved: 0, sold: 10, taken: 10 });
  }, 180_000);
});
