import { describe, expect, it } from 'vitest';
import { newPartnerUser, onboard } from '#tests/connect';
import { api } from '#tests/local';
import {
  activePayee,
  admin,
  confirm,
  createIntent,
  customer,
  deliverWebhooks,
  earnings,
  emulator,
  eventually,
  expectBalanced,
  ledgerOf,
  paidIntent,
  paymentIntentIdOf,
  paymentRecord,
  paymentsOfCustomer,
  paymentWithStatus,
  stripeSdk,
} from '#tests/payments';

/** POST /payments/intents: destination charges with the platform fee, settled only by the platform webhook. */

describe('PaymentIntent to an active partner', () => {
  it('writes the payment pending, creates the destination charge with fee and metadata, and settles it from the webhook', async () => {
    const payee = await activePayee('pi-ok');
    const buyer = await customer();
    const created = await createIntent(buyer.idToken, {
      payeeId: payee.partnerId,
      amount: 10_000,
      currency: 'usd',
      kind: 'deposit',
      description: 'Deposit for the kitchen job',
      metadata: { job: 'kitchen-42' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ paymentId: expect.stringMatching(/^pay_[a-f0-9]{24}$/), status: 'pending' });
    const paymentId = created.body.paymentId;
    const paymentIntentId = paymentIntentIdOf(created.body.clientSecret);

    // What Stripe received: a destination charge with our fee (default 10 %), our ids, our idempotency key.
    const intent = await stripeSdk().paymentIntents.retrieve(paymentIntentId);
    expect(intent).toMatchObject({
      amount: 10_000,
      currency: 'usd',
      application_fee_amount: 1_000,
      transfer_data: { destination: payee.accountId },
      metadata: { paymentId, partnerId: payee.partnerId, kind: 'deposit', job: 'kitchen-42' },
      description: 'Deposit for the kitchen job',
    });
    const log = await emulator().requestLog({ path: '/v1/payment_intents', method: 'POST' });
    expect(log.filter((entry) => entry.idempotencyKey === `create-payment-intent:${paymentId}`)).toHaveLength(1);

    const pending = await paymentRecord(paymentId);
    expect(pending).toMatchObject({
      status: 'pending',
      stripePaymentIntentId: paymentIntentId,
      fee: 1_000,
      net: 9_000,
    });

    await confirm(created.body.clientSecret);
    const paid = await paymentWithStatus(paymentId, 'paid');
    expect(paid).toMatchObject({ stripeChargeId: expect.stringMatching(/^ch_/), fee: 1_000, net: 9_000 });

    const history = await earnings(payee.idToken);
    expect(history.body.entries).toEqual([
      expect.objectContaining({
        type: 'earning',
        amount: 9_000,
        currency: 'usd',
        reference: paymentId,
        payoutStatus: 'transferred',
        description: 'Deposit for the kitchen job',
      }),
    ]);
    // Stripe paid the partner with the charge: the platform holds nothing for them.
    expect(await expectBalanced(payee.partnerId)).toEqual({ usd: 0 });
  });

  it('applies a per-partner fee (3 %, 5 %, 20 %) with the one half-up rounding rule', async () => {
    const payee = await activePayee('pi-rate');
    const ops = await admin();
    const buyer = await customer();
    const cases = [
      { bps: 300, amount: 1_050, fee: 32 }, // 31.5 -> 32
      { bps: 500, amount: 1_010, fee: 51 }, // 50.5 -> 51
      { bps: 2_000, amount: 2_499, fee: 500 }, // 499.8 -> 500 (the driver keeps 80 %)
    ];
    for (const c of cases) {
      const set = await api('PUT', `/admin/partners/${payee.partnerId}/fee-policy`, {
        token: ops.idToken,
        body: { bps: c.bps },
      });
      expect(set.status).toBe(200);
      const { paymentIntentId, paymentId } = await paidIntent(buyer.idToken, payee, c.amount);
      const intent = await stripeSdk().paymentIntents.retrieve(paymentIntentId);
      expect(intent.application_fee_amount).toBe(c.fee);
      expect(await paymentWithStatus(paymentId, 'paid')).toMatchObject({ fee: c.fee, net: c.amount - c.fee });
    }
    const reset = await api('PUT', `/admin/partners/${payee.partnerId}/fee-policy`, {
      token: ops.idToken,
      body: { bps: null },
    });
    expect(reset.body).toMatchObject({ default: true, feePolicy: { bps: 1_000 } });
    const history = await earnings(payee.idToken);
    expect(history.body.summary.usd?.allTime).toBe(1_050 - 32 + 1_010 - 51 + 2_499 - 500);
    await expectBalanced(payee.partnerId);
  });

  it('marks a declined payment failed, and paid when the customer retries with another card', async () => {
    const payee = await activePayee('pi-decline');
    const buyer = await customer();
    const created = await createIntent(buyer.idToken, {
      payeeId: payee.partnerId,
      amount: 5_000,
      currency: 'usd',
      kind: 'custom',
      description: 'Custom work',
    });
    await confirm(created.body.clientSecret, 'pm_card_chargeDeclined');
    const failed = await paymentWithStatus(created.body.paymentId, 'failed');
    expect(failed.failureCode).toBe('generic_decline');
    expect((await ledgerOf(payee.partnerId)).entries).toHaveLength(0);

    await confirm(created.body.clientSecret, 'pm_card_visa');
    await paymentWithStatus(created.body.paymentId, 'paid');
    expect((await earnings(payee.idToken)).body.entries.map((e) => e.amount)).toEqual([4_500]);
    await expectBalanced(payee.partnerId);
  });

  it('writes the payment before calling Stripe: when Stripe refuses, the pending row stays and the caller gets 502', async () => {
    const payee = await activePayee('pi-stale');
    // The account is gone at Stripe, and no event told us yet: our record still says active.
    await stripeSdk().accounts.del(payee.accountId);
    const buyer = await customer();
    const refused = await createIntent(buyer.idToken, {
      payeeId: payee.partnerId,
      amount: 2_000,
      currency: 'usd',
      kind: 'deposit',
      description: 'Deposit',
    });
    expect(refused.status).toBe(502);
    expect(refused.body).toMatchObject({ error: { code: 'stripe_invalid_request' } });
    expect(refused.text).not.toContain(payee.accountId);
    const rows = await paymentsOfCustomer(buyer.sub);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'pending', stripePaymentIntentId: null, partnerId: payee.partnerId });
    const log = await emulator().requestLog({ path: '/v1/payment_intents', method: 'POST' });
    expect(log.some((entry) => entry.idempotencyKey === `create-payment-intent:${String(rows[0]?.id)}`)).toBe(true);
  });
});

describe('refusals write nothing', () => {
  const body = (payeeId: string, overrides: Record<string, unknown> = {}) => ({
    payeeId,
    amount: 1_000,
    currency: 'usd',
    kind: 'deposit',
    description: 'Deposit',
    ...overrides,
  });

  it('refuses payees that are not active: not set up, pending verification, restricted, disconnected (422)', async () => {
    const buyer = await customer();
    const notSetUp = await newPartnerUser('pi-new');
    const pending = await newPartnerUser('pi-pending');
    await onboard(pending.idToken, 'pending');
    const restricted = await activePayee('pi-restricted');
    const disconnected = await activePayee('pi-gone');
    await emulator().setAccountState(restricted.accountId, 'restricted');
    await emulator().setAccountState(disconnected.accountId, 'deauthorized');
    await deliverWebhooks();
    for (const [payee, status] of [
      [notSetUp, 'not_set_up'],
      [pending, 'pending_verification'],
      [restricted, 'restricted'],
      [disconnected, 'disconnected'],
    ] as const) {
      const me = await eventually(
        () => api<{ status: string }>('GET', '/partners/me', { token: payee.idToken }),
        (r) => r.body.status === status,
      );
      expect(me.body.status).toBe(status);
      const refused = await createIntent(buyer.idToken, body(payee.partnerId));
      expect(refused.status, status).toBe(422);
      expect(refused.body).toMatchObject({ error: { code: 'partner_not_onboarded' } });
    }
    expect(await paymentsOfCustomer(buyer.sub)).toEqual([]);
  });

  it('refuses unknown and malformed payees, bad amounts, unsupported currencies and reserved metadata', async () => {
    const payee = await activePayee('pi-bad');
    const buyer = await customer();
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [body('ptn_000000000000000000000000'), 404, 'payee_not_found'],
      [body('acct_123'), 400, 'validation_error'],
      [body(payee.partnerId, { amount: 0 }), 400, 'invalid_amount'],
      [body(payee.partnerId, { amount: -500 }), 400, 'invalid_amount'],
      [body(payee.partnerId, { amount: 10.5 }), 400, 'validation_error'],
      [body(payee.partnerId, { amount: '1000' }), 400, 'validation_error'],
      [body(payee.partnerId, { amount: 49 }), 400, 'invalid_amount'], // under Stripe's $0.50
      [body(payee.partnerId, { amount: 100_000_000 }), 400, 'invalid_amount'], // over 99,999,999
      [body(payee.partnerId, { currency: 'xyz' }), 400, 'unsupported_currency'],
      [body(payee.partnerId, { currency: 'nzd' }), 400, 'unsupported_currency'],
      [body(payee.partnerId, { currency: 'eur' }), 422, 'currency_mismatch'],
      [body(payee.partnerId, { kind: 'tip' }), 400, 'validation_error'],
      [body(payee.partnerId, { metadata: { paymentId: 'pay_mine' } }), 400, 'reserved_metadata_key'],
      [body(payee.partnerId, { extra: true }), 400, 'validation_error'],
    ];
    for (const [request, status, code] of cases) {
      const refused = await createIntent(buyer.idToken, request);
      expect(refused.status, JSON.stringify(request)).toBe(status);
      expect(refused.body.error?.code, JSON.stringify(request)).toBe(code);
    }
    expect(await paymentsOfCustomer(buyer.sub)).toEqual([]);
    expect((await ledgerOf(payee.partnerId)).entries).toEqual([]);
  });

  it('requires a signed-in customer', async () => {
    const anonymous = await api('POST', '/payments/intents', { body: body('ptn_000000000000000000000000') });
    expect(anonymous.status).toBe(401);
  });
});
