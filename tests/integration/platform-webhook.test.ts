import type Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import { api, stackInfo } from '#tests/local';
import {
  type AdminPayment,
  activePayee,
  admin,
  confirm,
  createIntent,
  customer,
  deliverWebhooks,
  disputedPayment,
  earnings,
  emulator,
  expectBalanced,
  ledgerOf,
  paidIntent,
  paymentRecord,
  paymentWithStatus,
  platformEvents,
  postPlatformWebhook,
  reissue,
  stripeSdk,
} from '#tests/payments';
import { changesSince, markState, NO_CHANGE } from '#tests/table-snapshot';

/** POST /webhooks/stripe: signatures, de-duplication, refunds, reversals, disputes, late and reordered events. */

afterEach(async () => {
  await emulator().setDeliveryMode({ duplicate: false, reorder: false, hold: false, delayMs: 0 });
});

const refund = (paymentIntent: string, params: Omit<Stripe.RefundCreateParams, 'payment_intent'> = {}) =>
  stripeSdk().refunds.create({
    payment_intent: paymentIntent,
    reverse_transfer: true,
    refund_application_fee: true,
    ...params,
  });

async function visibleAmounts(token: string) {
  return (await earnings(token)).body.entries.map((entry) => [entry.type, entry.amount]);
}

describe('signature verification', () => {
  it('refuses a wrong secret, the Connect secret, a missing or forged header with 400 and changes nothing', async () => {
    const payee = await activePayee('wh-sig');
    const buyer = await customer();
    const created = await createIntent(buyer.idToken, {
      payeeId: payee.partnerId,
      amount: 3_000,
      currency: 'usd',
      kind: 'deposit',
      description: 'Deposit',
    });
    const paymentIntentId = created.body.clientSecret.split('_secret_')[0];
    // A forged "succeeded" event for a payment nobody paid.
    const forged = JSON.stringify({
      id: `evt_forged_${Date.now()}`,
      object: 'event',
      type: 'payment_intent.succeeded',
      created: Math.floor(Date.now() / 1000),
      data: { object: { id: paymentIntentId, object: 'payment_intent', status: 'succeeded' } },
    });
    const before = await markState();
    const wrong = await postPlatformWebhook(forged, 'whsec_not_ours');
    expect(wrong.status).toBe(400);
    expect(wrong.body).toMatchObject({ error: { code: 'invalid_signature' } });
    expect((await postPlatformWebhook(forged, stackInfo().connectWebhookSecret)).status).toBe(400);
    const unsigned = await api('POST', '/webhooks/stripe', {
      rawBody: forged,
      headers: { 'content-type': 'application/json' },
    });
    expect(unsigned.body).toMatchObject({ error: { code: 'missing_signature' } });
    const tampered = await api('POST', '/webhooks/stripe', {
      rawBody: forged,
      headers: {
        'content-type': 'application/json',
        'stripe-signature': `t=${Math.floor(Date.now() / 1000)},v1=${'a'.repeat(64)}`,
      },
    });
    expect(tampered.status).toBe(400);
    expect(await changesSince(before)).toEqual(NO_CHANGE);
    expect((await paymentRecord(created.body.paymentId))?.status).toBe('pending');

    // Even a correctly signed event cannot mark it paid: the handler asks Stripe, which says it is not.
    const beforeSigned = await markState();
    const signed = await postPlatformWebhook(forged);
    expect(signed.status).toBe(200);
    expect((await paymentRecord(created.body.paymentId))?.status).toBe('pending');
    expect((await ledgerOf(payee.partnerId)).entries).toEqual([]);
    // What it wrote is the record of the event alone (the control: the detector sees that write).
    const change = await changesSince(beforeSigned);
    expect(change.table).toEqual({ added: [`EVENT#${JSON.parse(forged).id}|EVENT`], removed: [], changed: [] });
    expect(change.stripeWrites).toEqual([]);
  });
});

describe('refunds and reversals', () => {
  it('records partial then full refunds with the partner share Stripe took back; the balance stays zero', async () => {
    const payee = await activePayee('wh-refund');
    const buyer = await customer();
    const { paymentId, paymentIntentId } = await paidIntent(buyer.idToken, payee, 10_000);

    await refund(paymentIntentId, { amount: 2_500 });
    const partial = await paymentWithStatus(paymentId, 'partially_refunded');
    // Stripe reversed 2,500 of the transfer and gave back 250 of the fee: the partner lost 2,250.
    expect(partial).toMatchObject({ amountRefunded: 2_500, partnerRefunded: 2_250 });
    expect(await expectBalanced(payee.partnerId)).toEqual({ usd: 0 });

    await refund(paymentIntentId);
    const full = await paymentWithStatus(paymentId, 'refunded');
    expect(full).toMatchObject({ amountRefunded: 10_000, partnerRefunded: 9_000 });
    expect(await visibleAmounts(payee.idToken)).toEqual([
      ['refund', -6_750],
      ['refund', -2_250],
      ['earning', 9_000],
    ]);
    const history = await earnings(payee.idToken);
    expect(history.body.summary.usd).toEqual({ today: 0, last7Days: 0, last30Days: 0, allTime: 0 });
    expect(await expectBalanced(payee.partnerId)).toEqual({ usd: 0 });
  });

  it('leaves the partner share alone when the platform refunds without reversing the transfer', async () => {
    const payee = await activePayee('wh-absorb');
    const buyer = await customer();
    const { paymentId, paymentIntentId } = await paidIntent(buyer.idToken, payee, 4_000);
    await stripeSdk().refunds.create({ payment_intent: paymentIntentId });
    await paymentWithStatus(paymentId, 'refunded');
    expect(await visibleAmounts(payee.idToken)).toEqual([['earning', 3_600]]);
    expect(await expectBalanced(payee.partnerId)).toEqual({ usd: 0 });
  });

  it('claws back a transfer reversal that no refund caused (transfer.reversed); the payment stays paid', async () => {
    const payee = await activePayee('wh-reversal');
    const buyer = await customer();
    const { paymentId, paymentIntentId } = await paidIntent(buyer.idToken, payee, 6_000);
    const intent = await stripeSdk().paymentIntents.retrieve(paymentIntentId, { expand: ['latest_charge'] });
    const transferId = String((intent.latest_charge as Stripe.Charge).transfer);
    await stripeSdk().transfers.createReversal(transferId, { amount: 1_000 });
    await deliverWebhooks();
    const record = await paymentWithStatus(paymentId, 'paid');
    expect(record.partnerRefunded).toBe(1_000);
    expect(await visibleAmounts(payee.idToken)).toEqual([
      ['clawback', -1_000],
      ['earning', 5_400],
    ]);
    expect(await expectBalanced(payee.partnerId)).toEqual({ usd: 0 });
  });
});

describe('duplicates, late and reordered events', () => {
  it('acknowledges a redelivered event id without processing it again', async () => {
    const payee = await activePayee('wh-dup');
    const buyer = await customer();
    const since = Math.floor(Date.now() / 1000) - 5;
    const { paymentIntentId } = await paidIntent(buyer.idToken, payee, 2_000);
    const events = await platformEvents([paymentIntentId], since);
    const succeeded = events.find((event) => event.type === 'payment_intent.succeeded');
    expect(succeeded).toBeDefined();
    const again = await postPlatformWebhook(JSON.stringify(succeeded));
    expect(again.body).toEqual({ received: true, duplicate: true });
    // Stripe's own duplicate deliveries, too.
    await emulator().setDeliveryMode({ duplicate: true });
    const second = await paidIntent(buyer.idToken, payee, 2_000);
    await refund(second.paymentIntentId, { amount: 1_000 });
    await paymentWithStatus(second.paymentId, 'partially_refunded');
    expect((await ledgerOf(payee.partnerId)).entries).toHaveLength(6); // 2 per payment, 2 for the refund
    expect(await expectBalanced(payee.partnerId)).toEqual({ usd: 0 });
  });

  it('converges when events arrive newest first, and old events replayed later never move a payment back', async () => {
    const payee = await activePayee('wh-order');
    const buyer = await customer();
    const since = Math.floor(Date.now() / 1000) - 5;
    await emulator().setDeliveryMode({ hold: true, reorder: true });
    const created = await createIntent(buyer.idToken, {
      payeeId: payee.partnerId,
      amount: 8_000,
      currency: 'usd',
      kind: 'milestone',
      description: 'Milestone 2',
    });
    const paymentIntentId = created.body.clientSecret.split('_secret_')[0] ?? '';
    await confirm(created.body.clientSecret, 'pm_card_chargeDeclined');
    await confirm(created.body.clientSecret, 'pm_card_visa');
    await refund(paymentIntentId, { amount: 2_000 });
    await refund(paymentIntentId, { amount: 1_000 });
    expect((await paymentRecord(created.body.paymentId))?.status).toBe('pending'); // nothing delivered yet
    await deliverWebhooks();
    await emulator().setDeliveryMode({ hold: false, reorder: false });
    const settled = await paymentWithStatus(created.body.paymentId, 'partially_refunded');
    expect(settled).toMatchObject({ amountRefunded: 3_000, partnerRefunded: 2_700, failureCode: null });

    // Every event of this payment again, oldest first, under ids never seen: nothing changes.
    const before = await ledgerOf(payee.partnerId);
    for (const event of await platformEvents([paymentIntentId], since)) {
      const replay = await postPlatformWebhook(reissue(event));
      expect(replay.status).toBe(200);
    }
    expect(await paymentRecord(created.body.paymentId)).toMatchObject({
      status: 'partially_refunded',
      amountRefunded: 3_000,
    });
    expect((await ledgerOf(payee.partnerId)).entries).toHaveLength(before.entries.length);
    expect(await visibleAmounts(payee.idToken)).toEqual(
      expect.arrayContaining([
        ['earning', 7_200],
        ['refund', -2_700],
      ]),
    );
    expect(await expectBalanced(payee.partnerId)).toEqual({ usd: 0 });
  });
});

describe('disputes', () => {
  it('flags the payment from Stripe’s dispute, and an older dispute event delivered late changes nothing', async () => {
    // Stripe's dispute test card: the charge is disputed once it succeeds; the evidence token decides the outcome.
    const ops = await admin();
    const since = Math.floor(Date.now() / 1000) - 1;
    const { payee, paymentId, dispute } = await disputedPayment('wh-dispute', 7_000);
    expect(dispute.status).toBe('needs_response');
    await stripeSdk().disputes.update(String(dispute?.id), { evidence: { uncategorized_text: 'losing_evidence' } });
    await deliverWebhooks();
    const [opened] = await platformEvents([String(dispute?.id)], since);
    expect(opened?.type).toBe('charge.dispute.created');
    // The first event again, under a new id, after the dispute closed: it re-reads Stripe and changes nothing.
    expect((await postPlatformWebhook(reissue(opened as Stripe.Event))).status).toBe(200);

    const page = await api<{ payments: AdminPayment[] }>('GET', '/admin/payments?limit=100', { token: ops.idToken });
    const payment = page.body.payments.find((p) => p.id === paymentId);
    expect(payment).toMatchObject({
      status: 'paid',
      disputed: true,
      dispute: { status: 'lost', reason: 'fraudulent', amount: 7_000 },
    });
    // The lost dispute took the partner's share back (held, released, then clawed back by transfer reversal).
    expect(await visibleAmounts(payee.idToken)).toEqual(
      expect.arrayContaining([
        ['earning', 6_300],
        ['hold', -6_300],
        ['release', 6_300],
        ['clawback', -6_300],
      ]),
    );
    expect(await expectBalanced(payee.partnerId)).toEqual({ usd: 0 });
  });
});

describe('commissions from platform charges', () => {
  it('holds a commission for the referring partner named in metadata, and claws back the refunded part', async () => {
    const referrer = await activePayee('wh-ref');
    // A platform charge (no destination): a subscription sold through the partner's referral link.
    const charge = await stripeSdk().paymentIntents.create({
      amount: 20_000,
      currency: 'usd',
      description: 'Annual plan',
      metadata: { referring_partner_id: referrer.partnerId },
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    await deliverWebhooks();
    const held = await earnings(referrer.idToken);
    expect(held.body.entries).toEqual([
      expect.objectContaining({
        type: 'earning',
        amount: 2_000, // COMMISSION_BPS default 10 %
        reference: `commission:${charge.id}`,
        payoutStatus: 'pending',
        description: 'Commission: Annual plan',
      }),
    ]);
    const availableAt = Date.parse(String(held.body.entries[0]?.availableAt));
    expect(availableAt - Date.now()).toBeGreaterThan(6.9 * 86_400_000); // HOLDING_PERIOD_DAYS default 7

    await stripeSdk().refunds.create({ payment_intent: charge.id, amount: 5_000 });
    await deliverWebhooks();
    const after = await earnings(referrer.idToken);
    expect(after.body.entries.map((e) => [e.type, e.amount, e.payoutStatus])).toEqual([
      ['clawback', -500, 'pending'],
      ['earning', 2_000, 'pending'],
    ]);
    // Platform-held: the platform owes the partner 1,500 until a payout moves it.
    expect(await expectBalanced(referrer.partnerId)).toEqual({ usd: 1_500 });

    // An unknown referrer earns nothing and breaks nothing.
    await stripeSdk().paymentIntents.create({
      amount: 5_000,
      currency: 'usd',
      metadata: { referring_partner_id: 'ptn_000000000000000000000000' },
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    const flushed = await emulator().flushWebhooks();
    expect(flushed.failed).toBe(0);
  });
});
