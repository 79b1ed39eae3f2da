import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expressAccount, type Harness, startHarness, stripeError } from './harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());
beforeEach(() => h.control.reset());

function amountOf(list: Stripe.Balance.Available[] | Stripe.Balance.Pending[], currency = 'usd'): number {
  return list.find((b) => b.currency === currency)?.amount ?? 0;
}

async function balances(account?: string) {
  const b = account
    ? await h.stripe.balance.retrieve({}, { stripeAccount: account })
    : await h.stripe.balance.retrieve();
  return { available: amountOf(b.available), pending: amountOf(b.pending) };
}

describe('balance', () => {
  it('starts empty and is funded at once by a 4000 0000 0000 0077 charge', async () => {
    expect(await balances()).toEqual({ available: 0, pending: 0 });
    const charge = await h.stripe.charges.create({ amount: 50_000, currency: 'usd', source: 'tok_bypassPending' });
    expect(charge.status).toBe('succeeded');
    expect(await balances()).toEqual({ available: 50_000, pending: 0 });
    await h.control.fundBalance({ amount: 25_000, currency: 'usd' });
    expect(await balances()).toEqual({ available: 75_000, pending: 0 });
    const txns = await h.stripe.balanceTransactions.list({ limit: 2 });
    expect(txns.data.map((t) => [t.type, t.amount, t.status])).toEqual([
      ['charge', 25_000, 'available'],
      ['charge', 50_000, 'available'],
    ]);
  });

  it('restores the configured initial balance on reset', async () => {
    const funded = await startHarness({
      initialBalance: [
        { currency: 'usd', amount: 1234 },
        { currency: 'eur', amount: 99 },
      ],
    });
    try {
      const b = await funded.stripe.balance.retrieve();
      expect(amountOf(b.available, 'usd')).toBe(1234);
      expect(amountOf(b.available, 'eur')).toBe(99);
      await funded.control.fundBalance({ amount: 1000, currency: 'usd' });
      await funded.control.reset();
      expect(amountOf((await funded.stripe.balance.retrieve()).available, 'usd')).toBe(1234);
    } finally {
      await funded.close();
    }
  });
});

describe('transfers', () => {
  it('moves available funds to the connected account and lists with filters', async () => {
    const a = await expressAccount(h, { verified: true });
    const b = await expressAccount(h, { verified: true });
    await h.control.fundBalance({ amount: 10_000, currency: 'usd' });
    const t1 = await h.stripe.transfers.create({
      amount: 3000,
      currency: 'usd',
      destination: a.id,
      transfer_group: 'payout_2026_01',
      metadata: { payout: 'po_1' },
    });
    expect(t1).toMatchObject({
      object: 'transfer',
      amount: 3000,
      amount_reversed: 0,
      destination: a.id,
      transfer_group: 'payout_2026_01',
      reversed: false,
    });
    expect(t1.id).toMatch(/^tr_/);
    expect(t1.destination_payment).toMatch(/^py_/);
    await h.control.advanceClock(10);
    const t2 = await h.stripe.transfers.create({
      amount: 2000,
      currency: 'usd',
      destination: b.id,
      transfer_group: 'payout_2026_01',
    });
    expect(await balances()).toEqual({ available: 5000, pending: 0 });
    expect(await balances(a.id)).toEqual({ available: 3000, pending: 0 });
    expect((await h.stripe.transfers.list({ destination: a.id })).data.map((t) => t.id)).toEqual([t1.id]);
    expect((await h.stripe.transfers.list({ transfer_group: 'payout_2026_01' })).data.map((t) => t.id)).toEqual([
      t2.id,
      t1.id,
    ]);
    expect((await h.stripe.transfers.list({ created: { gt: t1.created } })).data.map((t) => t.id)).toEqual([t2.id]);
    const payment = await h.stripe.charges.retrieve(t1.destination_payment as string, {}, { stripeAccount: a.id });
    expect(payment).toMatchObject({ amount: 3000, source_transfer: t1.id });
  });

  it('fails with balance_insufficient beyond the available balance', async () => {
    const a = await expressAccount(h, { verified: true });
    await h.control.fundBalance({ amount: 1000, currency: 'usd' });
    const err = await stripeError(h.stripe.transfers.create({ amount: 1001, currency: 'usd', destination: a.id }));
    expect([err.statusCode, err.rawType, err.code]).toEqual([400, 'invalid_request_error', 'balance_insufficient']);
    expect(err.message).toContain('4000000000000077');
    // pending funds do not count
    await h.control.fundBalance({ amount: 5000, currency: 'usd', pending: true });
    expect(
      (await stripeError(h.stripe.transfers.create({ amount: 2000, currency: 'usd', destination: a.id }))).code,
    ).toBe('balance_insufficient');
  });

  it('requires a connected destination with the transfers capability active', async () => {
    await h.control.fundBalance({ amount: 1000, currency: 'usd' });
    const unknown = await stripeError(
      h.stripe.transfers.create({ amount: 100, currency: 'usd', destination: 'acct_unknown' }),
    );
    expect([unknown.param, unknown.message]).toEqual(['destination', "No such destination: 'acct_unknown'"]);
    const unverified = await expressAccount(h);
    const inactive = await stripeError(
      h.stripe.transfers.create({ amount: 100, currency: 'usd', destination: unverified.id }),
    );
    expect([inactive.code, inactive.param]).toEqual(['insufficient_capabilities_for_transfer', 'destination']);
  });

  it('reverses partially and fully, crediting the platform back', async () => {
    const a = await expressAccount(h, { verified: true });
    await h.control.fundBalance({ amount: 5000, currency: 'usd' });
    const t = await h.stripe.transfers.create({ amount: 5000, currency: 'usd', destination: a.id });
    const r1 = await h.stripe.transfers.createReversal(t.id, { amount: 1500, metadata: { reason: 'clawback' } });
    expect(r1).toMatchObject({
      object: 'transfer_reversal',
      amount: 1500,
      transfer: t.id,
      metadata: { reason: 'clawback' },
    });
    expect(r1.id).toMatch(/^trr_/);
    expect(await balances()).toEqual({ available: 1500, pending: 0 });
    expect(await balances(a.id)).toEqual({ available: 3500, pending: 0 });
    const tooMuch = await stripeError(h.stripe.transfers.createReversal(t.id, { amount: 3501 }));
    expect(tooMuch.param).toBe('amount');
    const r2 = await h.stripe.transfers.createReversal(t.id);
    expect(r2.amount).toBe(3500);
    const after = await h.stripe.transfers.retrieve(t.id);
    expect([after.amount_reversed, after.reversed]).toEqual([5000, true]);
    expect((await h.stripe.transfers.listReversals(t.id)).data.map((r) => r.id)).toEqual([r2.id, r1.id]);
    expect(await balances(a.id)).toEqual({ available: 0, pending: 0 });
  });
});

describe('payments', () => {
  it('a destination charge creates the charge, the transfer and the application fee, and moves balances', async () => {
    const a = await expressAccount(h, { verified: true });
    const pi = await h.stripe.paymentIntents.create({
      amount: 10_000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      transfer_data: { destination: a.id },
      application_fee_amount: 1_200,
      metadata: { order_id: 'ord_1' },
    });
    expect(pi.status).toBe('succeeded');
    expect(pi.amount_received).toBe(10_000);
    expect(pi.id).toMatch(/^pi_/);
    const charge = await h.stripe.charges.retrieve(pi.latest_charge as string);
    expect(charge).toMatchObject({
      status: 'succeeded',
      paid: true,
      amount: 10_000,
      payment_intent: pi.id,
      metadata: { order_id: 'ord_1' },
    });
    expect(charge.id).toMatch(/^ch_/);
    const transfer = await h.stripe.transfers.retrieve(charge.transfer as string);
    expect(transfer).toMatchObject({
      amount: 10_000,
      destination: a.id,
      source_transaction: charge.id,
      transfer_group: `group_${pi.id}`,
    });
    const fee = await h.stripe.applicationFees.retrieve(charge.application_fee as string);
    expect(fee).toMatchObject({ amount: 1_200, account: a.id, originating_transaction: charge.id });
    expect(fee.id).toMatch(/^fee_/);
    // Card funds are pending for two days: platform keeps the fee, the partner gets amount − fee.
    expect(await balances()).toEqual({ available: 0, pending: 1_200 });
    expect(await balances(a.id)).toEqual({ available: 0, pending: 8_800 });
    await h.control.advanceClock(2 * 86400);
    expect(await balances()).toEqual({ available: 1_200, pending: 0 });
    expect(await balances(a.id)).toEqual({ available: 8_800, pending: 0 });
    const types = (await h.stripe.events.list({ limit: 100 })).data.map((e) => e.type);
    for (const t of [
      'payment_intent.created',
      'charge.succeeded',
      'payment_intent.succeeded',
      'transfer.created',
      'application_fee.created',
      'balance.available',
    ]) {
      expect(types).toContain(t);
    }
  });

  it('a declined card answers 402 card_error, records the failed charge and leaves the intent retryable', async () => {
    const pi = await h.stripe.paymentIntents.create({
      amount: 2000,
      currency: 'usd',
      payment_method: 'pm_card_chargeDeclined',
    });
    expect(pi.status).toBe('requires_confirmation');
    const err = await stripeError(h.stripe.paymentIntents.confirm(pi.id));
    expect(err).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect([err.statusCode, err.code, err.decline_code, err.message]).toEqual([
      402,
      'card_declined',
      'generic_decline',
      'Your card was declined.',
    ]);
    expect(err.payment_intent?.id).toBe(pi.id);
    expect(err.payment_intent?.status).toBe('requires_payment_method');
    const failed = await h.stripe.paymentIntents.retrieve(pi.id);
    expect(failed.last_payment_error?.code).toBe('card_declined');
    expect((await h.stripe.charges.retrieve(failed.latest_charge as string)).status).toBe('failed');
    const ok = await h.stripe.paymentIntents.confirm(pi.id, { payment_method: 'pm_card_visa' });
    expect(ok.status).toBe('succeeded');
    const types = (await h.stripe.events.list()).data.map((e) => e.type);
    expect(types).toContain('payment_intent.payment_failed');
    expect(types).toContain('charge.failed');
  });

  it('validates application fees and destinations on payment intents', async () => {
    const a = await expressAccount(h, { verified: true });
    const noDestination = await stripeError(
      h.stripe.paymentIntents.create({ amount: 1000, currency: 'usd', application_fee_amount: 100 }),
    );
    expect(noDestination.param).toBe('application_fee_amount');
    const tooBig = await stripeError(
      h.stripe.paymentIntents.create({
        amount: 1000,
        currency: 'usd',
        application_fee_amount: 1001,
        transfer_data: { destination: a.id },
      }),
    );
    expect(tooBig.param).toBe('application_fee_amount');
    const pending = await expressAccount(h);
    const notActive = await stripeError(
      h.stripe.paymentIntents.create({ amount: 1000, currency: 'usd', transfer_data: { destination: pending.id } }),
    );
    expect([notActive.code, notActive.param]).toEqual([
      'insufficient_capabilities_for_transfer',
      'transfer_data[destination]',
    ]);
    const obo = await h.stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      on_behalf_of: a.id,
      transfer_data: { destination: a.id },
    });
    expect(obo.on_behalf_of).toBe(a.id);
    const canceled = await h.stripe.paymentIntents.cancel(obo.id);
    expect(canceled.status).toBe('canceled');
  });
});

describe('refunds', () => {
  it('refunds with reverse_transfer and refund_application_fee restore every balance pro rata', async () => {
    const a = await expressAccount(h, { verified: true });
    await h.control.fundBalance({ amount: 20_000, currency: 'usd' });
    const pi = await h.stripe.paymentIntents.create({
      amount: 10_000,
      currency: 'usd',
      payment_method: 'pm_card_bypassPending',
      confirm: true,
      transfer_data: { destination: a.id },
      application_fee_amount: 1_000,
    });
    expect(await balances()).toEqual({ available: 21_000, pending: 0 });
    expect(await balances(a.id)).toEqual({ available: 9_000, pending: 0 });
    const partial = await h.stripe.refunds.create({
      payment_intent: pi.id,
      amount: 4_000,
      reverse_transfer: true,
      refund_application_fee: true,
    });
    expect(partial).toMatchObject({ object: 'refund', amount: 4_000, status: 'succeeded', payment_intent: pi.id });
    expect(partial.id).toMatch(/^re_/);
    expect(partial.transfer_reversal).toMatch(/^trr_/);
    // platform: −4000 refund +4000 reversal −400 fee refund; partner: −4000 reversal +400 fee refund
    expect(await balances()).toEqual({ available: 20_600, pending: 0 });
    expect(await balances(a.id)).toEqual({ available: 5_400, pending: 0 });
    const charge = await h.stripe.charges.retrieve(pi.latest_charge as string);
    expect([charge.amount_refunded, charge.refunded]).toEqual([4_000, false]);
    const fee = await h.stripe.applicationFees.retrieve(charge.application_fee as string);
    expect(fee.amount_refunded).toBe(400);

    const tooMuch = await stripeError(h.stripe.refunds.create({ charge: charge.id, amount: 6_001 }));
    expect(tooMuch.message).toBe('Refund amount ($60.01 usd) is greater than unrefunded amount on charge ($60.00 usd)');
    const rest = await h.stripe.refunds.create({ charge: charge.id });
    expect(rest.amount).toBe(6_000);
    // without reverse_transfer the platform bears the refund alone
    expect(await balances()).toEqual({ available: 14_600, pending: 0 });
    expect(await balances(a.id)).toEqual({ available: 5_400, pending: 0 });
    const again = await stripeError(h.stripe.refunds.create({ charge: charge.id }));
    expect(again.code).toBe('charge_already_refunded');
    const refunded = await h.stripe.charges.retrieve(charge.id);
    expect(refunded.refunded).toBe(true);
    expect((await h.stripe.refunds.list({ charge: charge.id })).data.map((r) => r.id)).toEqual([rest.id, partial.id]);
    const types = (await h.stripe.events.list({ limit: 100 })).data.map((e) => e.type);
    expect(types.filter((t) => t === 'charge.refunded')).toHaveLength(2);
    expect(types).toContain('transfer.reversed');
    expect(types).toContain('application_fee.refunded');
  });
});

describe('checkout', () => {
  it('the hosted page pays a destination charge and redirects to success_url; cancel goes to cancel_url', async () => {
    const a = await expressAccount(h, { verified: true });
    const session = await h.stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [
        { quantity: 3, price_data: { currency: 'usd', unit_amount: 1000, product_data: { name: 'Ticket' } } },
      ],
      payment_intent_data: {
        application_fee_amount: 450,
        transfer_data: { destination: a.id },
        metadata: { order: 'o_9' },
      },
      success_url: 'https://shop.example/ok?cs={CHECKOUT_SESSION_ID}',
      cancel_url: 'https://shop.example/cancel',
      customer_email: 'buyer@example.com',
      client_reference_id: 'order_9',
      metadata: { order: 'o_9' },
    });
    expect(session.id).toMatch(/^cs_test_/);
    expect(session).toMatchObject({
      object: 'checkout.session',
      status: 'open',
      payment_status: 'unpaid',
      amount_total: 3000,
      mode: 'payment',
    });
    const cancel = await fetch(session.url as string, {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams({ action: 'cancel' }),
    });
    expect(cancel.headers.get('location')).toBe('https://shop.example/cancel');
    const page = await fetch(session.url as string);
    expect(await page.text()).toContain('data-action="pay"');
    const paid = await fetch(session.url as string, {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams({ action: 'pay' }),
    });
    expect(paid.status).toBe(303);
    expect(paid.headers.get('location')).toBe(`https://shop.example/ok?cs=${session.id}`);
    const done = await h.stripe.checkout.sessions.retrieve(session.id, { expand: ['payment_intent'] });
    expect([done.status, done.payment_status]).toEqual(['complete', 'paid']);
    const pi = done.payment_intent as Stripe.PaymentIntent;
    expect(pi).toMatchObject({ status: 'succeeded', application_fee_amount: 450, metadata: { order: 'o_9' } });
    expect(await balances(a.id)).toEqual({ available: 0, pending: 2550 });
    const completed = (await h.stripe.events.list({ type: 'checkout.session.completed' })).data[0];
    const completedSession = completed?.data.object as Stripe.Checkout.Session | undefined;
    expect(completedSession?.client_reference_id).toBe('order_9');
  });

  it('async payment methods complete first and settle later; sessions expire', async () => {
    const mk = () =>
      h.stripe.checkout.sessions.create({
        mode: 'payment',
        line_items: [
          { quantity: 1, price_data: { currency: 'usd', unit_amount: 5000, product_data: { name: 'Plan' } } },
        ],
        success_url: 'https://shop.example/ok',
      });
    const ok = await mk();
    await fetch(ok.url as string, {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams({ action: 'pay_async_success' }),
    });
    const bad = await mk();
    await fetch(bad.url as string, {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams({ action: 'pay_async_fail' }),
    });
    const types = (await h.stripe.events.list({ type: 'checkout.session.*' })).data.map((e) => e.type).reverse();
    expect(types).toEqual([
      'checkout.session.completed',
      'checkout.session.async_payment_succeeded',
      'checkout.session.completed',
      'checkout.session.async_payment_failed',
    ]);
    expect((await h.stripe.checkout.sessions.retrieve(bad.id)).payment_status).toBe('unpaid');
    const stale = await mk();
    const expired = await h.stripe.checkout.sessions.expire(stale.id);
    expect(expired.status).toBe('expired');
    const again = await stripeError(h.stripe.checkout.sessions.expire(stale.id));
    expect(again.statusCode).toBe(400);
  });
});

describe('payouts of connected accounts', () => {
  it('debits the connected balance; a control call marks it paid or failed (money returns)', async () => {
    const a = await expressAccount(h, { verified: true });
    await h.control.fundBalance({ amount: 10_000, currency: 'usd' });
    await h.stripe.transfers.create({ amount: 10_000, currency: 'usd', destination: a.id });
    const p1 = await h.stripe.payouts.create({ amount: 6_000, currency: 'usd' }, { stripeAccount: a.id });
    expect(p1).toMatchObject({ object: 'payout', status: 'pending', amount: 6_000 });
    expect(p1.id).toMatch(/^po_/);
    expect(await balances(a.id)).toEqual({ available: 4_000, pending: 0 });
    const tooMuch = await stripeError(
      h.stripe.payouts.create({ amount: 4_001, currency: 'usd' }, { stripeAccount: a.id }),
    );
    expect(tooMuch.code).toBe('balance_insufficient');
    const p2 = await h.stripe.payouts.create({ amount: 4_000, currency: 'usd' }, { stripeAccount: a.id });
    expect((await h.control.payoutPaid(p1.id)).status).toBe('paid');
    const failed = await h.control.payoutFailed(p2.id, 'account_closed');
    expect([failed.status, failed.failure_code]).toEqual(['failed', 'account_closed']);
    expect(await balances(a.id)).toEqual({ available: 4_000, pending: 0 });
    const listed = await h.stripe.payouts.list({ status: 'paid' }, { stripeAccount: a.id });
    expect(listed.data.map((p) => p.id)).toEqual([p1.id]);
    const events = await h.stripe.events.list({ types: ['payout.paid', 'payout.failed'] }, { stripeAccount: a.id });
    expect(events.data.map((e) => [e.type, e.account])).toEqual([
      ['payout.failed', a.id],
      ['payout.paid', a.id],
    ]);
    await h.control.setAccountState(a.id, 'payouts_disabled');
    const disabled = await stripeError(
      h.stripe.payouts.create({ amount: 100, currency: 'usd' }, { stripeAccount: a.id }),
    );
    expect(disabled.code).toBe('payouts_not_allowed');
  });
});
