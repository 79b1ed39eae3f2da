import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expressAccount, type Harness, startHarness, stripeError } from './harness.ts';

/** Separate charges and transfers, and Checkout Session expiry on the clock, through the official SDK. */

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());
beforeEach(() => h.control.reset());

describe('separate charges and transfers', () => {
  it('splits one platform charge into transfers with source_transaction, grouped, never more than the charge', async () => {
    const [a, b] = [await expressAccount(h, { verified: true }), await expressAccount(h, { verified: true })];
    const pi = await h.stripe.paymentIntents.create({
      amount: 10_000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      transfer_group: 'ord_1',
    });
    const charge = pi.latest_charge as string;
    // The charge is still pending: transfers funded by it do not need the platform's available balance.
    const ta = await h.stripe.transfers.create(
      { amount: 6_000, currency: 'usd', destination: a.id, source_transaction: charge, transfer_group: 'ord_1' },
      { idempotencyKey: 'order-transfer:ord_1:a' },
    );
    const tb = await h.stripe.transfers.create({
      amount: 3_500,
      currency: 'usd',
      destination: b.id,
      source_transaction: charge,
      transfer_group: 'ord_1',
    });
    expect(ta).toMatchObject({ source_transaction: charge, transfer_group: 'ord_1', amount: 6_000 });
    const replay = await h.stripe.transfers.create(
      { amount: 6_000, currency: 'usd', destination: a.id, source_transaction: charge, transfer_group: 'ord_1' },
      { idempotencyKey: 'order-transfer:ord_1:a' },
    );
    expect(replay.id).toBe(ta.id);
    const grouped = await h.stripe.transfers.list({ transfer_group: 'ord_1' });
    expect(grouped.data.map((t) => t.id).sort()).toEqual([ta.id, tb.id].sort());
    const over = await stripeError(
      h.stripe.transfers.create({ amount: 600, currency: 'usd', destination: b.id, source_transaction: charge }),
    );
    expect(over.code).toBe('balance_insufficient');

    const reversal = await h.stripe.transfers.createReversal(tb.id, { amount: 1_000 });
    expect(reversal).toMatchObject({ amount: 1_000, transfer: tb.id });
    expect((await h.stripe.transfers.retrieve(tb.id)).amount_reversed).toBe(1_000);
    // A refund of a charge without a destination leaves the sellers' transfers to the platform.
    await h.stripe.refunds.create({ charge, amount: 2_000, metadata: { partnerId: 'ptn_b' } });
    const refunds = await h.stripe.refunds.list({ charge });
    expect(refunds.data.map((r) => r.metadata?.partnerId)).toEqual(['ptn_b']);
    expect((await h.stripe.transfers.retrieve(ta.id)).amount_reversed).toBe(0);
  });

  it('expires an open Checkout Session when the clock passes expires_at, with checkout.session.expired', async () => {
    const created = await h.control.clock();
    const session = await h.stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ quantity: 1, price_data: { currency: 'usd', unit_amount: 2_500, product_data: { name: 'T' } } }],
      success_url: 'https://shop.example.com/ok',
      cancel_url: 'https://shop.example.com/no',
      expires_at: created.now + 1_860,
    });
    await h.control.advanceClock(1_800);
    let types = (await h.stripe.events.list({ type: 'checkout.session.expired' })).data;
    expect(types).toHaveLength(0);
    await h.control.advanceClock(120);
    types = (await h.stripe.events.list({ type: 'checkout.session.expired' })).data;
    expect(types.map((e) => (e.data.object as { id: string }).id)).toEqual([session.id]);
    expect((await h.stripe.checkout.sessions.retrieve(session.id)).status).toBe('expired');
  });
});
