import { describe, expect, it } from 'vitest';
import { api, stackInfo } from '#tests/local';
import {
  activePayee,
  admin,
  createIntent,
  customer,
  deliverWebhooks,
  earnings,
  expectBalanced,
  ledgerOf,
  paidIntent,
  payCheckout,
  paymentIntentIdOf,
  paymentRecord,
  paymentsOfCustomer,
  paymentWithStatus,
  platformEvents,
  postPlatformWebhook,
  reissue,
  stripeSdk,
  tableItem,
} from '#tests/payments';
import { createListing } from '#tests/sales';

/** POST /payments/checkout-sessions: one order per seller, paid on Stripe's hosted page, settled by the webhook. */

interface CheckoutBody {
  orderId: string;
  paymentId: string;
  url: string;
  error?: { code: string };
}

const shop = () => ({
  successUrl: `${stackInfo().apiUrl}/shop/thanks?session_id={CHECKOUT_SESSION_ID}`,
  cancelUrl: `${stackInfo().apiUrl}/shop/cart`,
});

const items = [
  { name: 'Concert ticket', unitAmount: 2_500, quantity: 2 },
  { name: 'Booking fee', unitAmount: 150, quantity: 1 },
];

/**
 * A checkout of the given items, each sold by the seller as a listing at that price (prices come from listings:
 * the buyer's request names only listings and quantities).
 */
async function checkout(token: string, body: Record<string, unknown>, seller?: { idToken: string }) {
  const {
    currency,
    items: priced,
    ...rest
  } = body as {
    currency?: string;
    items?: Array<{ name: string; unitAmount: number; quantity: number }>;
  };
  const refs: Array<{ listingId: string; quantity: number }> = [];
  for (const item of priced ?? []) {
    const listing = await createListing(seller?.idToken ?? '', {
      title: item.name,
      unitAmount: item.unitAmount,
      currency: currency ?? 'usd',
    });
    refs.push({ listingId: listing.id, quantity: item.quantity });
  }
  return api<CheckoutBody>('POST', '/payments/checkout-sessions', { token, body: { items: refs, ...rest } });
}

describe('Checkout Session for one seller', () => {
  it('writes the order and its items pending, passes fee, destination and order id to Stripe, and is paid by the webhook', async () => {
    const seller = await activePayee('co-seller');
    const ops = await admin();
    // The ticketing site takes 3 %.
    await api('PUT', `/admin/partners/${seller.partnerId}/fee-policy`, { token: ops.idToken, body: { bps: 300 } });
    const buyer = await customer();
    const created = await checkout(buyer.idToken, { currency: 'usd', items, ...shop() }, seller);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const { orderId, paymentId, url } = created.body;
    expect(orderId).toMatch(/^ord_[a-f0-9]{24}$/);

    const pending = await api<Record<string, unknown>>('GET', `/admin/orders/${orderId}`, { token: ops.idToken });
    expect(pending.body).toMatchObject({
      status: 'pending',
      amount: 5_150,
      fee: 155, // 154.5 -> 155
      net: 4_995,
      items: [
        { name: 'Concert ticket', unitAmount: 2_500, quantity: 2, amount: 5_000 },
        { name: 'Booking fee', unitAmount: 150, quantity: 1, amount: 150 },
      ],
      payment: { id: paymentId, status: 'pending', stripe: { checkoutSessionId: expect.stringMatching(/^cs_test_/) } },
    });

    const paid = await payCheckout(url, 'pay');
    expect(paid.status).toBe(303);
    expect(paid.headers.get('location')).toContain(`${stackInfo().apiUrl}/shop/thanks?session_id=cs_test_`);
    await paymentWithStatus(paymentId, 'paid');

    const order = await api<{ status: string; payment: { stripe: { paymentIntentId: string; chargeId: string } } }>(
      'GET',
      `/admin/orders/${orderId}`,
      { token: ops.idToken },
    );
    expect(order.body.status).toBe('paid');
    const intent = await stripeSdk().paymentIntents.retrieve(order.body.payment.stripe.paymentIntentId);
    expect(intent).toMatchObject({
      amount: 5_150,
      application_fee_amount: 155,
      transfer_data: { destination: seller.accountId },
      metadata: { orderId, paymentId },
      status: 'succeeded',
    });
    expect(order.body.payment.stripe.chargeId).toMatch(/^ch_/);

    const history = await earnings(seller.idToken);
    expect(history.body.entries).toEqual([
      expect.objectContaining({ amount: 4_995, reference: orderId, payoutStatus: 'transferred' }),
    ]);
    expect(await expectBalanced(seller.partnerId)).toEqual({ usd: 0 });
  });

  it('never marks an order paid from the browser: a delayed payment that fails still redirects to the success URL', async () => {
    const seller = await activePayee('co-async');
    const buyer = await customer();
    const failing = await checkout(buyer.idToken, { currency: 'usd', items, ...shop() }, seller);
    const redirect = await payCheckout(failing.body.url, 'pay_async_fail');
    expect(redirect.status).toBe(303);
    expect(redirect.headers.get('location')).toContain('/shop/thanks');
    await paymentWithStatus(failing.body.paymentId, 'failed');
    expect((await tableItem(`ORDER#${failing.body.orderId}`, 'ORDER'))?.status).toBe('failed');

    const succeeding = await checkout(buyer.idToken, { currency: 'usd', items, ...shop() }, seller);
    await payCheckout(succeeding.body.url, 'pay_async_success');
    await paymentWithStatus(succeeding.body.paymentId, 'paid');
    expect((await tableItem(`ORDER#${succeeding.body.orderId}`, 'ORDER'))?.status).toBe('paid');
    expect((await earnings(seller.idToken)).body.entries.map((e) => e.amount)).toEqual([4_635]); // 5,150 - 515
    await expectBalanced(seller.partnerId);
  });

  it('marks a declined attempt failed and the retry on the same page paid; a cancelled checkout stays pending', async () => {
    const seller = await activePayee('co-decline');
    const buyer = await customer();
    const declined = await checkout(buyer.idToken, { currency: 'usd', items, ...shop() }, seller);
    const page = await payCheckout(declined.body.url, 'pay_declined');
    expect(page.status).toBe(402);
    await paymentWithStatus(declined.body.paymentId, 'failed');
    expect((await ledgerOf(seller.partnerId)).entries).toEqual([]);
    // The session is still open: the customer tries another card.
    expect((await payCheckout(declined.body.url, 'pay')).status).toBe(303);
    await paymentWithStatus(declined.body.paymentId, 'paid');
    expect((await tableItem(`ORDER#${declined.body.orderId}`, 'ORDER'))?.status).toBe('paid');

    const cancelled = await checkout(buyer.idToken, { currency: 'usd', items, ...shop() }, seller);
    const back = await payCheckout(cancelled.body.url, 'cancel');
    expect(back.headers.get('location')).toBe(shop().cancelUrl);
    await deliverWebhooks();
    expect((await tableItem(`ORDER#${cancelled.body.orderId}`, 'ORDER'))?.status).toBe('pending');
    expect((await earnings(seller.idToken)).body.entries).toHaveLength(1);
    await expectBalanced(seller.partnerId);
  });
});

describe('abandoned payments', () => {
  it('an expired Checkout Session cancels its order and payment (final), with nothing in the ledger', async () => {
    const seller = await activePayee('co-expired');
    const buyer = await customer();
    const since = Math.floor(Date.now() / 1000) - 5;
    const created = await checkout(buyer.idToken, { currency: 'usd', items, ...shop() }, seller);
    expect(created.status).toBe(201);
    const order = await tableItem(`ORDER#${created.body.orderId}`, 'ORDER');
    const sessionId = String(order?.stripeCheckoutSessionId);
    expect(sessionId).toMatch(/^cs_test_/);

    await stripeSdk().checkout.sessions.expire(sessionId); // what Stripe does after 24 h unpaid
    await deliverWebhooks();
    await paymentWithStatus(created.body.paymentId, 'canceled');
    expect((await tableItem(`ORDER#${created.body.orderId}`, 'ORDER'))?.status).toBe('canceled');
    expect((await ledgerOf(seller.partnerId)).entries).toEqual([]);
    // The expired page can no longer be paid, and the event again (Stripe retries) changes nothing.
    expect((await fetch(created.body.url, { redirect: 'manual' })).status).toBe(410);
    const version = (await paymentRecord(created.body.paymentId))?.version;
    const [expired] = (await platformEvents([sessionId], since)).filter((e) => e.type === 'checkout.session.expired');
    if (!expired) throw new Error('no checkout.session.expired event');
    expect((await postPlatformWebhook(reissue(expired))).status).toBe(200);
    expect(await paymentRecord(created.body.paymentId)).toMatchObject({ status: 'canceled', version });
  });

  it('a canceled PaymentIntent cancels its payment; a paid one is never canceled', async () => {
    const seller = await activePayee('pi-canceled');
    const buyer = await customer();
    const created = await createIntent(buyer.idToken, {
      payeeId: seller.partnerId,
      amount: 4_000,
      currency: 'usd',
      kind: 'deposit',
      description: 'Deposit, then changed their mind',
    });
    expect(created.status).toBe(201);
    await stripeSdk().paymentIntents.cancel(paymentIntentIdOf(created.body.clientSecret));
    await deliverWebhooks();
    await paymentWithStatus(created.body.paymentId, 'canceled');
    expect((await ledgerOf(seller.partnerId)).entries).toEqual([]);

    const paid = await paidIntent(buyer.idToken, seller, 5_000);
    await paymentWithStatus(paid.paymentId, 'paid');
    const refused = await stripeSdk()
      .paymentIntents.cancel(paid.paymentIntentId)
      .catch((error: { statusCode?: number }) => error);
    expect((refused as { statusCode?: number }).statusCode).toBe(400); // Stripe refuses to cancel a succeeded one
    await deliverWebhooks();
    expect(await paymentRecord(paid.paymentId)).toMatchObject({ status: 'paid' });
  });
});

describe('checkout refusals write nothing', () => {
  it('refuses redirect URLs outside the allowed origins', async () => {
    const seller = await activePayee('co-redirect');
    const buyer = await customer();
    const bad = [
      { successUrl: 'https://evil.example/steal', cancelUrl: shop().cancelUrl },
      { successUrl: shop().successUrl, cancelUrl: 'https://evil.example/' },
      { successUrl: `https://user@evil.example/${stackInfo().apiUrl}`, cancelUrl: shop().cancelUrl },
      { successUrl: `${stackInfo().apiUrl.replace('http://', 'http://user:pw@')}/x`, cancelUrl: shop().cancelUrl },
      { successUrl: 'javascript:alert(1)', cancelUrl: shop().cancelUrl },
      { successUrl: '/relative/path', cancelUrl: shop().cancelUrl },
      { successUrl: `${stackInfo().apiUrl}.evil.example/x`, cancelUrl: shop().cancelUrl },
    ];
    for (const urls of bad) {
      const refused = await checkout(buyer.idToken, { currency: 'usd', items, ...urls }, seller);
      expect(refused.status, JSON.stringify(urls)).toBe(400);
      expect(['redirect_not_allowed', 'invalid_redirect_url']).toContain(refused.body.error?.code);
    }
    expect(await paymentsOfCustomer(buyer.sub)).toEqual([]);
  });

  it('refuses bad items, unknown listings and sellers who cannot be paid', async () => {
    const seller = await activePayee('co-bad');
    const listing = await createListing(seller.idToken, { unitAmount: 2_500 });
    const buyer = await customer();
    const item = { listingId: listing.id, quantity: 1 };
    const base = { items: [item], ...shop() };
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ ...base, items: [] }, 400, 'validation_error'],
      [{ ...base, items: [{ ...item, quantity: 0 }] }, 400, 'validation_error'],
      [{ ...base, items: [{ ...item, quantity: 1.5 }] }, 400, 'validation_error'],
      [{ ...base, items: [item, item] }, 400, 'duplicate_listing'],
      [{ ...base, items: [{ listingId: 'lst_ffffffffffffffffffffffff', quantity: 1 }] }, 404, 'listing_not_found'],
      [{ ...base, items: [{ listingId: 'not-a-listing', quantity: 1 }] }, 400, 'validation_error'],
      [{ ...base, customerEmail: 'not-an-email' }, 400, 'validation_error'],
    ];
    for (const [request, status, code] of cases) {
      const refused = await api<CheckoutBody>('POST', '/payments/checkout-sessions', {
        token: buyer.idToken,
        body: request,
      });
      expect(refused.status, JSON.stringify(request)).toBe(status);
      expect(refused.body.error?.code, JSON.stringify(request)).toBe(code);
    }
    // A listing of a seller who cannot be paid (yet) is not on sale.
    await api('PATCH', `/listings/${listing.id}`, { token: seller.idToken, body: { active: false } });
    const inactive = await api<CheckoutBody>('POST', '/payments/checkout-sessions', {
      token: buyer.idToken,
      body: base,
    });
    expect(inactive.status).toBe(422);
    expect(inactive.body.error?.code).toBe('listing_not_on_sale');
    expect(await paymentsOfCustomer(buyer.sub)).toEqual([]);
  });
});

describe('admin payment views', () => {
  it('lists payments newest first with a cursor, shows one order, and is for the admin group only', async () => {
    const seller = await activePayee('co-admin');
    const buyer = await customer();
    const ops = await admin();
    const orders: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const created = await checkout(buyer.idToken, { currency: 'usd', items, ...shop() }, seller);
      orders.push(created.body.paymentId);
    }
    const first = await api<{ payments: Array<{ id: string }>; nextCursor: string | null }>(
      'GET',
      '/admin/payments?limit=2',
      { token: ops.idToken },
    );
    expect(first.status).toBe(200);
    expect(first.body.payments.map((p) => p.id)).toEqual([orders[2], orders[1]]);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await api<{ payments: Array<{ id: string }> }>(
      'GET',
      `/admin/payments?limit=2&cursor=${first.body.nextCursor}`,
      { token: ops.idToken },
    );
    expect(second.body.payments[0]?.id).toBe(orders[0]);

    const badCursor = await api('GET', '/admin/payments?cursor=bm90LWEtY3Vyc29y', { token: ops.idToken });
    expect(badCursor.status).toBe(400);
    const unknown = await api('GET', '/admin/orders/ord_000000000000000000000000', { token: ops.idToken });
    expect(unknown.status).toBe(404);
    for (const path of ['/admin/payments', '/admin/orders/ord_000000000000000000000000']) {
      expect((await api('GET', path, { token: buyer.idToken })).status).toBe(403);
    }
    const notAdminFee = await api('PUT', `/admin/partners/${seller.partnerId}/fee-policy`, {
      token: seller.idToken,
      body: { bps: 0 },
    });
    expect(notAdminFee.status).toBe(403);
  });
});
