import type Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expressAccount, type Harness, startHarness, stripeError } from './harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());
beforeEach(() => h.control.reset());

async function available(currency = 'usd'): Promise<number> {
  const balance = await h.stripe.balance.retrieve();
  return balance.available.find((b) => b.currency === currency)?.amount ?? 0;
}

/** Event types of the platform, oldest first, from the first event after `sinceId` (the SDK lists newest first). */
async function eventTypes(): Promise<string[]> {
  const events = await h.stripe.events.list({ limit: 100 });
  return events.data.map((e) => e.type).reverse();
}

async function disputedDestinationCharge(paymentMethod: string) {
  const account = await expressAccount(h, { verified: true });
  const intent = await h.stripe.paymentIntents.create({
    amount: 10_000,
    currency: 'usd',
    application_fee_amount: 1_000,
    transfer_data: { destination: account.id },
    payment_method: paymentMethod,
    confirm: true,
  });
  expect(intent.status).toBe('succeeded');
  const disputes = await h.stripe.disputes.list({ payment_intent: intent.id });
  return { account, intent, disputes: disputes.data };
}

describe('disputes (Stripe test cards and evidence tokens)', () => {
  it('pm_card_createDispute disputes the charge once it succeeds and withdraws the amount and the fee', async () => {
    await h.control.fundBalance({ amount: 100_000, currency: 'usd' });
    const before = await available();
    const { intent, disputes } = await disputedDestinationCharge('pm_card_createDispute');
    expect(disputes).toHaveLength(1);
    const dispute = disputes[0] as Stripe.Dispute;
    expect(dispute).toMatchObject({
      object: 'dispute',
      amount: 10_000,
      currency: 'usd',
      status: 'needs_response',
      reason: 'fraudulent',
      payment_intent: intent.id,
    });
    const charge = await h.stripe.charges.retrieve(String(dispute.charge));
    expect(charge.disputed).toBe(true);
    const [withdrawal] = dispute.balance_transactions;
    expect(withdrawal).toMatchObject({ amount: -10_000, fee: 1_500, net: -11_500, reporting_category: 'dispute' });
    // The destination charge's amount is still pending at the platform; the withdrawal is taken from what is available.
    expect(await available()).toBe(before - 11_500);
    const types = await eventTypes();
    expect(types.slice(types.indexOf('payment_intent.succeeded'))).toEqual([
      'payment_intent.succeeded',
      'charge.dispute.created',
      'charge.dispute.funds_withdrawn',
    ]);
  });

  it('the hosted Checkout page pays with the dispute test card (0259): paid, then disputed like pm_card_createDispute', async () => {
    const session = await h.stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [
        { quantity: 2, price_data: { currency: 'usd', unit_amount: 2_500, product_data: { name: 'Crate' } } },
      ],
      payment_intent_data: { transfer_group: 'ord_1' },
      success_url: 'https://shop.example/ok',
    });
    const page = await fetch(String(session.url));
    expect(await page.text()).toContain('data-action="pay_disputed"');
    const paid = await fetch(String(session.url), {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams({ action: 'pay_disputed' }),
    });
    expect(paid.status).toBe(303);
    const done = await h.stripe.checkout.sessions.retrieve(session.id);
    expect([done.status, done.payment_status]).toEqual(['complete', 'paid']);
    const [dispute] = (await h.stripe.disputes.list({ payment_intent: String(done.payment_intent) })).data;
    expect(dispute).toMatchObject({ amount: 5_000, status: 'needs_response', reason: 'fraudulent' });
    const types = await eventTypes();
    expect(types.slice(types.indexOf('payment_intent.succeeded'))).toEqual([
      'payment_intent.succeeded',
      'charge.dispute.created',
      'charge.dispute.funds_withdrawn',
      'checkout.session.completed',
    ]);
  });

  it('winning_evidence wins: under_review, then closed as won with the funds reinstated', async () => {
    const { disputes } = await disputedDestinationCharge('pm_card_createDispute');
    const id = (disputes[0] as Stripe.Dispute).id;
    const afterWithdrawal = await available();
    const updated = await h.stripe.disputes.update(id, { evidence: { uncategorized_text: 'winning_evidence' } });
    expect(updated.status).toBe('under_review');
    const closed = await h.stripe.disputes.retrieve(id);
    expect(closed.status).toBe('won');
    expect(closed.balance_transactions.map((t) => t.net)).toEqual([-11_500, 11_500]);
    expect(await available()).toBe(afterWithdrawal + 11_500);
    const types = await eventTypes();
    expect(types.slice(types.indexOf('charge.dispute.funds_withdrawn') + 1)).toEqual([
      'charge.dispute.updated',
      'charge.dispute.closed',
      'charge.dispute.funds_reinstated',
    ]);
  });

  it('losing_evidence loses: closed as lost, the funds stay withdrawn', async () => {
    const { disputes } = await disputedDestinationCharge('pm_card_createDispute');
    const id = (disputes[0] as Stripe.Dispute).id;
    const afterWithdrawal = await available();
    await h.stripe.disputes.update(id, { evidence: { uncategorized_text: 'losing_evidence' } });
    const closed = await h.stripe.disputes.retrieve(id);
    expect(closed.status).toBe('lost');
    expect(closed.balance_transactions).toHaveLength(1);
    expect(await available()).toBe(afterWithdrawal);
    const types = await eventTypes();
    expect(types.slice(-2)).toEqual(['charge.dispute.updated', 'charge.dispute.closed']);
    // A closed dispute takes no more evidence.
    const error = await stripeError(h.stripe.disputes.update(id, { evidence: { uncategorized_text: 'more' } }));
    expect(error.statusCode).toBe(400);
  });

  it('closing a dispute accepts it (lost); an inquiry withdraws nothing until it is lost', async () => {
    const { disputes } = await disputedDestinationCharge('pm_card_createDisputeInquiry');
    const inquiry = disputes[0] as Stripe.Dispute;
    expect(inquiry.status).toBe('warning_needs_response');
    expect(inquiry.balance_transactions).toEqual([]);
    const closed = await h.stripe.disputes.close(inquiry.id);
    expect(closed.status).toBe('lost');
    expect((await h.stripe.disputes.retrieve(inquiry.id)).balance_transactions.map((t) => t.net)).toEqual([-11_500]);
  });

  it('evidence saved without submitting leaves the dispute open; an ordinary card is never disputed', async () => {
    const { disputes } = await disputedDestinationCharge('pm_card_createDisputeProductNotReceived');
    const dispute = disputes[0] as Stripe.Dispute;
    expect(dispute.reason).toBe('product_not_received');
    const saved = await h.stripe.disputes.update(dispute.id, {
      evidence: { uncategorized_text: 'winning_evidence' },
      submit: false,
    });
    expect(saved.status).toBe('needs_response');
    expect(saved.evidence.uncategorized_text).toBe('winning_evidence');
    const plain = await disputedDestinationCharge('pm_card_visa');
    expect(plain.disputes).toEqual([]);
    const missing = await stripeError(h.stripe.disputes.retrieve('dp_missing'));
    expect(missing.statusCode).toBe(404);
  });
});
