import type Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import { heldIndexPk } from '#adapters/dynamodb/payment-keys';
import { newPartnerUser, onboard } from '#tests/connect';
import { api, stackInfo } from '#tests/local';
import {
  type AdminPayment,
  activePayee,
  confirm,
  createIntent,
  customer,
  deliverWebhooks,
  type EntryItem,
  earnings,
  emulator,
  eventually,
  expectBalanced,
  ledgerOf,
  payCheckout,
  paymentIntentIdOf,
  paymentRecord,
  paymentWithStatus,
  platformEvents,
  postPlatformWebhook,
  queryTable,
  reissue,
  stripeSdk,
  tableItem,
} from '#tests/payments';
import { freshPeriod, opsToken, recordHeld, settledRun, startRun, transfersOf } from '#tests/payouts';
import { createListing } from '#tests/sales';
import { changesSince, markState, NO_CHANGE, stripeCallsSince, stripeLogMark } from '#tests/table-snapshot';

/**
 * The payment flow end to end, over HTTP only: our API on the local API Gateway, the Stripe emulator through the
 * official SDK and its hosted Checkout page, and webhooks the emulator delivers to our API. Every scenario checks
 * both sides of the money: what DynamoDB holds (payments, orders, ledger entries and their running totals) and what
 * Stripe holds (PaymentIntents, charges, application fees, refunds, transfers and the partner's Stripe balance).
 *
 * The cross-check used throughout: for a partner, the money Stripe has put in their connected account equals what
 * our ledger says they earned minus what the platform still holds for them — per currency, at every step.
 */

type Payee = Awaited<ReturnType<typeof activePayee>>;

interface LedgerItem extends EntryItem {
  description: string;
  occurredAt: number;
  payoutId?: string;
  availableAt?: number;
  GSI3PK?: string;
}

interface CheckoutBody {
  orderId: string;
  paymentId: string;
  url: string;
  error?: { code: string };
}

interface PayoutBody {
  id: string;
  period: string;
  amount: number;
  currency: string;
  status: string;
  stripeTransferId: string | null;
  entryCount: number;
  reason: string | null;
}

interface OrderView {
  id: string;
  status: string;
  amount: number;
  fee: number;
  net: number;
  payment: AdminPayment;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);
const VISIBLE = new Set(['earning', 'refund', 'clawback', 'adjustment', 'hold', 'release']);

afterEach(async () => {
  await emulator().setDeliveryMode({ duplicate: false, reorder: false, hold: false, delayMs: 0 });
  await emulator().clearFaults();
});

// ---------------------------------------------------------------------------------------------------------------
// Our API

const shop = () => ({
  successUrl: `${stackInfo().apiUrl}/shop/thanks?session_id={CHECKOUT_SESSION_ID}`,
  cancelUrl: `${stackInfo().apiUrl}/shop/cart`,
});

/** The seller lists each item at its price; the buyer checks them out by reference. */
async function checkout(
  token: string,
  seller: { idToken: string },
  items: Array<{ name: string; unitAmount: number; quantity: number }>,
) {
  const refs: Array<{ listingId: string; quantity: number }> = [];
  for (const item of items) {
    const listing = await createListing(seller.idToken, { title: item.name, unitAmount: item.unitAmount });
    refs.push({ listingId: listing.id, quantity: item.quantity });
  }
  return buyByReference(token, refs);
}

function buyByReference(token: string, items: Array<{ listingId: string; quantity: number }>) {
  return api<CheckoutBody>('POST', '/payments/checkout-sessions', { token, body: { items, ...shop() } });
}

async function setFee(partnerId: string, policy: { bps: number | null; minimumFee?: number }) {
  const response = await api('PUT', `/admin/partners/${partnerId}/fee-policy`, {
    token: await opsToken(),
    body: policy,
  });
  expect(response.status, response.text).toBe(200);
}

async function deposit(token: string, payeeId: string, amount: number, description = 'Deposit') {
  const created = await createIntent(token, { payeeId, amount, currency: 'usd', kind: 'deposit', description });
  expect(created.status, created.text).toBe(201);
  return { ...created.body, paymentIntentId: paymentIntentIdOf(created.body.clientSecret) };
}

async function order(orderId: string) {
  const response = await api<OrderView>('GET', `/admin/orders/${orderId}`, { token: await opsToken() });
  expect(response.status, response.text).toBe(200);
  return response.body;
}

async function payouts(token: string) {
  const response = await api<{ payouts: PayoutBody[] }>('GET', '/payouts', { token });
  expect(response.status, response.text).toBe(200);
  return response.body.payouts;
}

const refund = (paymentIntent: string, params: Omit<Stripe.RefundCreateParams, 'payment_intent'> = {}) =>
  stripeSdk().refunds.create({ payment_intent: paymentIntent, ...params });

// ---------------------------------------------------------------------------------------------------------------
// DynamoDB

async function ledger(partnerId: string): Promise<LedgerItem[]> {
  return (await ledgerOf(partnerId)).entries as LedgerItem[];
}

/** The ledger as `[type, amount]` pairs, sorted, so assertions never depend on same-millisecond ordering. */
async function ledgerFacts(partnerId: string, currency = 'usd'): Promise<Array<[string, number]>> {
  return (await ledger(partnerId))
    .filter((entry) => entry.currency === currency)
    .map((entry): [string, number] => [entry.type, Number(entry.amount)])
    .sort(([ta, a], [tb, b]) => ta.localeCompare(tb) || a - b);
}

/**
 * When a fact happened: Stripe's time, clamped to when we heard of it (the emulator's clock may run ahead when other
 * suites advanced it). `recordedAt` is the settlement's own time (the payment's `updatedAt` after that write).
 */
const factIso = (stripeSeconds: number, recordedAt: unknown) =>
  new Date(Math.min(stripeSeconds * 1000, Date.parse(String(recordedAt)))).toISOString();

const facts = (...pairs: Array<[string, number]>) =>
  [...pairs].sort(([ta, a], [tb, b]) => ta.localeCompare(tb) || a - b);

async function eventRecord(eventId: string) {
  return tableItem(`EVENT#${eventId}`, 'EVENT');
}

// ---------------------------------------------------------------------------------------------------------------
// Stripe (the emulator, through the official SDK)

function expanded<T extends { id: string }>(value: string | T | null | undefined): T {
  if (!value || typeof value === 'string') throw new Error(`expected an expanded object, got ${String(value)}`);
  return value;
}

/** The PaymentIntent with its charge, the charge's transfer and its application fee, as Stripe holds them now. */
async function stripePayment(paymentIntentId: string) {
  const intent = await stripeSdk().paymentIntents.retrieve(paymentIntentId, {
    expand: ['latest_charge', 'latest_charge.transfer', 'latest_charge.application_fee'],
  });
  const charge = expanded<Stripe.Charge>(intent.latest_charge);
  const transfer = expanded<Stripe.Transfer>(charge.transfer);
  const fee = charge.application_fee ? expanded<Stripe.ApplicationFee>(charge.application_fee) : null;
  return { intent, charge, transfer, fee };
}

/** The connected account's Stripe balance per currency (available + pending), zero currencies left out. */
async function stripeBalanceOf(accountId: string): Promise<Record<string, number>> {
  const balance = await stripeSdk().balance.retrieve({}, { stripeAccount: accountId });
  const total: Record<string, number> = {};
  for (const amount of [...balance.available, ...balance.pending]) {
    total[amount.currency] = (total[amount.currency] ?? 0) + amount.amount;
  }
  return Object.fromEntries(Object.entries(total).filter(([, amount]) => amount !== 0));
}

/**
 * Both sides agree: the ledger's running totals equal the sum of its entries (expectBalanced), and per currency the
 * partner's Stripe balance equals what they earned (partner-visible entries) minus what the platform still holds
 * (the ledger balance). Returns both figures for further assertions.
 */
async function expectStripeAgrees(partner: Pick<Payee, 'partnerId' | 'accountId'>) {
  const held = await expectBalanced(partner.partnerId);
  const earned: Record<string, number> = {};
  for (const entry of await ledger(partner.partnerId)) {
    if (VISIBLE.has(entry.type)) earned[entry.currency] = (earned[entry.currency] ?? 0) + Number(entry.amount);
  }
  const expected: Record<string, number> = {};
  for (const currency of new Set([...Object.keys(earned), ...Object.keys(held)])) {
    const inStripe = (earned[currency] ?? 0) - (held[currency] ?? 0);
    if (inStripe !== 0) expected[currency] = inStripe;
  }
  const stripe = await stripeBalanceOf(partner.accountId);
  expect(stripe, `Stripe balance of ${partner.accountId} vs the ledger of ${partner.partnerId}`).toEqual(expected);
  return { earned, held, stripe };
}

// ---------------------------------------------------------------------------------------------------------------

describe('Checkout: hosted page, webhook, fee and destination', () => {
  it('settles a 3 % Checkout order from checkout.session.completed alone; Stripe took exactly our fee and paid the seller the rest', async () => {
    const seller = await activePayee('pf-co3');
    await setFee(seller.partnerId, { bps: 300 });
    const buyer = await customer('pf-co3-buyer');
    const items = [
      { name: 'Festival pass', unitAmount: 4_999, quantity: 2 },
      { name: 'Parking', unitAmount: 1_201, quantity: 1 },
    ];
    const gross = 11_199;
    const fee = 336; // 335.97 -> 336
    const since = nowSeconds() - 5;
    // Hold Stripe's deliveries: the only event our API sees first is the session's completion, posted below.
    await emulator().setDeliveryMode({ hold: true });
    const created = await checkout(buyer.idToken, seller, items);
    expect(created.status, created.text).toBe(201);
    const { orderId, paymentId, url } = created.body;
    const paid = await payCheckout(url, 'pay');
    expect(paid.status).toBe(303);
    const sessionId = String((await paymentRecord(paymentId))?.stripeCheckoutSessionId);
    expect(paid.headers.get('location')).toBe(`${stackInfo().apiUrl}/shop/thanks?session_id=${sessionId}`);
    // The browser came back to the success URL; nothing is paid until Stripe says so.
    expect(await paymentRecord(paymentId)).toMatchObject({ status: 'pending', stripeChargeId: null });
    expect((await ledgerOf(seller.partnerId)).entries).toEqual([]);

    const session = await stripeSdk().checkout.sessions.retrieve(sessionId);
    expect(session).toMatchObject({
      status: 'complete',
      payment_status: 'paid',
      amount_total: gross,
      client_reference_id: orderId,
      metadata: { orderId, paymentId, partnerId: seller.partnerId },
    });
    const paymentIntentId = String(session.payment_intent);
    const completed = (await platformEvents([sessionId, paymentIntentId], since)).find(
      (event) => event.type === 'checkout.session.completed',
    );
    if (!completed) throw new Error('no checkout.session.completed event');
    const delivered = await postPlatformWebhook(JSON.stringify(completed));
    expect(delivered.body).toEqual({ received: true });
    expect(await eventRecord(completed.id)).toMatchObject({ type: 'checkout.session.completed', outcome: 'paid' });

    const { intent, charge, transfer, fee: applicationFee } = await stripePayment(paymentIntentId);
    const record = await paymentRecord(paymentId);
    expect(record).toMatchObject({
      status: 'paid',
      amount: gross,
      fee,
      net: gross - fee,
      feeBps: 300,
      stripePaymentIntentId: paymentIntentId,
      stripeChargeId: charge.id,
      paidAt: factIso(charge.created, record?.updatedAt),
    });
    expect((await tableItem(`ORDER#${orderId}`, 'ORDER'))?.status).toBe('paid');
    expect(intent).toMatchObject({
      status: 'succeeded',
      amount: gross,
      application_fee_amount: fee,
      transfer_data: { destination: seller.accountId },
      transfer_group: orderId,
    });
    expect(transfer).toMatchObject({ amount: gross, destination: seller.accountId, source_transaction: charge.id });
    expect(applicationFee).toMatchObject({ amount: fee, account: seller.accountId, amount_refunded: 0 });
    expect(await ledgerFacts(seller.partnerId)).toEqual(facts(['earning', gross - fee], ['transfer', -(gross - fee)]));

    // Stripe's own deliveries now: the completion is a duplicate, the other events find nothing new.
    await emulator().setDeliveryMode({ hold: false });
    await deliverWebhooks();
    const mine = new Set((await platformEvents([sessionId, paymentIntentId, charge.id], since)).map((e) => e.id));
    const deliveries = (await emulator().webhookDeliveries()).filter((d) => mine.has(d.eventId));
    expect(deliveries.length).toBeGreaterThan(0);
    for (const d of deliveries) expect(d.attempts.map((a) => a.status)).toEqual([200]);
    expect(await ledgerFacts(seller.partnerId)).toEqual(facts(['earning', gross - fee], ['transfer', -(gross - fee)]));
    expect((await earnings(seller.idToken)).body.entries).toEqual([
      expect.objectContaining({
        type: 'earning',
        amount: gross - fee,
        reference: orderId,
        payoutStatus: 'transferred',
      }),
    ]);
    const sides = await expectStripeAgrees(seller);
    expect(sides.stripe).toEqual({ usd: gross - fee });
    expect(sides.held).toEqual({ usd: 0 });
  });

  it('keeps the fee fixed when the order was created, even if the partner’s fee policy changes before the customer pays', async () => {
    const seller = await activePayee('pf-feefix');
    await setFee(seller.partnerId, { bps: 300 });
    const buyer = await customer('pf-feefix-buyer');
    const created = await checkout(buyer.idToken, seller, [{ name: 'Ticket', unitAmount: 2_500, quantity: 2 }]);
    expect(created.status, created.text).toBe(201);
    // The operator renegotiates: 20 % from now on. The customer is still on the Checkout page.
    await setFee(seller.partnerId, { bps: 2_000 });
    expect((await payCheckout(created.body.url, 'pay')).status).toBe(303);
    const paid = await paymentWithStatus(created.body.paymentId, 'paid');
    expect(paid).toMatchObject({ fee: 150, net: 4_850, feeBps: 300 });
    const first = await stripePayment(String(paid.stripePaymentIntentId));
    expect(first.intent.application_fee_amount).toBe(150);
    expect(first.fee?.amount).toBe(150);

    // The next payment uses the new policy, on both sides.
    const next = await deposit(buyer.idToken, seller.partnerId, 5_000);
    await confirm(next.clientSecret);
    expect(await paymentWithStatus(next.paymentId, 'paid')).toMatchObject({ fee: 1_000, net: 4_000, feeBps: 2_000 });
    expect((await stripePayment(next.paymentIntentId)).fee?.amount).toBe(1_000);
    expect((await order(created.body.orderId)).payment).toMatchObject({ status: 'paid', fee: 150, net: 4_850 });
    expect((await expectStripeAgrees(seller)).stripe).toEqual({ usd: 4_850 + 4_000 });
  });

  it('pays two sellers from one cart as two orders, each with its own fee, destination and transfer group', async () => {
    const [venue, caterer] = await Promise.all([activePayee('pf-cart-venue'), activePayee('pf-cart-caterer')]);
    await setFee(venue.partnerId, { bps: 300 });
    const buyer = await customer('pf-cart-buyer');
    const venueOrder = await checkout(buyer.idToken, venue, [{ name: 'Hall', unitAmount: 7_777, quantity: 1 }]);
    const catererOrder = await checkout(buyer.idToken, caterer, [{ name: 'Menu', unitAmount: 1_999, quantity: 3 }]);
    expect([venueOrder.status, catererOrder.status]).toEqual([201, 201]);
    for (const o of [venueOrder, catererOrder]) expect((await payCheckout(o.body.url, 'pay')).status).toBe(303);

    const expected = [
      { seller: venue, o: venueOrder.body, gross: 7_777, fee: 233 }, // 3 %: 233.31 -> 233
      { seller: caterer, o: catererOrder.body, gross: 5_997, fee: 600 }, // default 10 %: 599.7 -> 600
    ];
    for (const { seller, o, gross, fee } of expected) {
      const record = await paymentWithStatus(o.paymentId, 'paid');
      expect(record).toMatchObject({ partnerId: seller.partnerId, customerSub: buyer.sub, fee, net: gross - fee });
      const stripe = await stripePayment(String(record.stripePaymentIntentId));
      expect(stripe.intent).toMatchObject({
        amount: gross,
        application_fee_amount: fee,
        transfer_group: o.orderId,
        transfer_data: { destination: seller.accountId },
      });
      expect(stripe.transfer.destination).toBe(seller.accountId);
      expect(stripe.fee?.account).toBe(seller.accountId);
      // Each seller's ledger holds their own order only.
      expect(await ledgerFacts(seller.partnerId)).toEqual(facts(['earning', gross - fee], ['transfer', fee - gross]));
      expect((await earnings(seller.idToken)).body.entries.map((e) => e.reference)).toEqual([o.orderId]);
      expect((await expectStripeAgrees(seller)).stripe).toEqual({ usd: gross - fee });
    }
  });
});

describe('PaymentIntent deposits', () => {
  it('applies the one half-up rounding rule, minimum fees and zero fees identically in our records and at Stripe', async () => {
    const payee = await activePayee('pf-round');
    const buyer = await customer('pf-round-buyer');
    const cases = [
      { policy: { bps: 300 }, amount: 3_333, fee: 100 }, // 99.99 -> 100 (the docs' 3 % of 3333)
      { policy: { bps: 300 }, amount: 1_649, fee: 49 }, // 49.47 -> 49
      { policy: { bps: 125 }, amount: 1_000, fee: 13 }, // 12.5 -> 13: half up
      { policy: { bps: 300, minimumFee: 75 }, amount: 1_000, fee: 75 }, // 30 raised to the floor
      { policy: { bps: 0 }, amount: 2_000, fee: 0 }, // no fee: no application fee at Stripe at all
    ];
    let net = 0;
    for (const c of cases) {
      await setFee(payee.partnerId, c.policy);
      const created = await deposit(buyer.idToken, payee.partnerId, c.amount, `Deposit ${c.amount}`);
      await confirm(created.clientSecret);
      const label = JSON.stringify(c);
      expect(await paymentWithStatus(created.paymentId, 'paid'), label).toMatchObject({
        amount: c.amount,
        fee: c.fee,
        net: c.amount - c.fee,
      });
      const stripe = await stripePayment(created.paymentIntentId);
      expect(stripe.intent.application_fee_amount ?? 0, label).toBe(c.fee);
      expect(stripe.fee?.amount ?? 0, label).toBe(c.fee);
      if (c.fee === 0) expect(stripe.charge.application_fee, label).toBeNull();
      expect(stripe.transfer.amount, label).toBe(c.amount);
      const earning = (await ledger(payee.partnerId)).find((e) => e.id === `${created.paymentId}:earning`);
      expect(earning?.amount, label).toBe(c.amount - c.fee);
      net += c.amount - c.fee;
    }
    expect(net).toBe(3_233 + 1_600 + 987 + 925 + 2_000);
    expect((await earnings(payee.idToken)).body.summary.usd?.allTime).toBe(net);
    expect((await expectStripeAgrees(payee)).stripe).toEqual({ usd: net });
  });

  it('settles a confirmed deposit from Stripe’s webhooks with reads only: our API makes no Stripe write of its own', async () => {
    const payee = await activePayee('pf-dep');
    const buyer = await customer('pf-dep-buyer');
    const created = await deposit(buyer.idToken, payee.partnerId, 25_000, 'Deposit for the stage build');
    const creations = (await emulator().requestLog({ path: '/v1/payment_intents', method: 'POST' })).filter(
      (entry) => entry.idempotencyKey === `create-payment-intent:${created.paymentId}`,
    );
    expect(creations.map((entry) => [entry.status, entry.replayed])).toEqual([[200, false]]);
    expect(await paymentRecord(created.paymentId)).toMatchObject({
      status: 'pending',
      stripePaymentIntentId: created.paymentIntentId,
      customerSub: buyer.sub,
      fee: 2_500,
      net: 22_500,
    });

    const mark = await stripeLogMark();
    const confirmed = await confirm(created.clientSecret, 'pm_card_mastercard');
    expect(confirmed?.status).toBe('succeeded');
    const paid = await paymentWithStatus(created.paymentId, 'paid');
    // The only write since the mark is the customer's own confirmation: settlement only read Stripe.
    expect((await stripeCallsSince(mark)).map((entry) => entry.endpoint)).toEqual([
      'POST /v1/payment_intents/:id/confirm',
    ]);
    const stripe = await stripePayment(created.paymentIntentId);
    expect(stripe.intent).toMatchObject({
      status: 'succeeded',
      metadata: { paymentId: created.paymentId, partnerId: payee.partnerId, kind: 'deposit' },
    });
    const paidAt = factIso(stripe.charge.created, paid.updatedAt);
    expect(paid).toMatchObject({ stripeChargeId: stripe.charge.id, paidAt, failureCode: null });
    expect(stripe.fee).toMatchObject({ amount: 2_500, account: payee.accountId });
    const [entry] = (await earnings(payee.idToken)).body.entries;
    expect(entry).toMatchObject({
      type: 'earning',
      amount: 22_500,
      description: 'Deposit for the stage build',
      reference: created.paymentId,
      date: paidAt,
    });
    // Operators see the same Stripe ids as Stripe.
    const listed = await api<{ payments: AdminPayment[] }>('GET', '/admin/payments?limit=50', {
      token: await opsToken(),
    });
    expect(listed.body.payments.find((p) => p.id === created.paymentId)?.stripe).toEqual({
      accountId: payee.accountId,
      paymentIntentId: created.paymentIntentId,
      chargeId: stripe.charge.id,
      checkoutSessionId: null,
    });
    expect((await expectStripeAgrees(payee)).stripe).toEqual({ usd: 22_500 });
  });

  it('marks declined attempts failed with Stripe’s decline code: no earning, no transfer, no application fee', async () => {
    const payee = await activePayee('pf-decl');
    const buyer = await customer('pf-decl-buyer');
    const created = await deposit(buyer.idToken, payee.partnerId, 8_000);
    await confirm(created.clientSecret, 'pm_card_chargeDeclinedInsufficientFunds');
    const failed = await paymentWithStatus(created.paymentId, 'failed');
    expect(failed).toMatchObject({ failureCode: 'insufficient_funds', stripeChargeId: null, paidAt: null });
    await confirm(created.clientSecret, 'pm_card_chargeDeclined');
    await deliverWebhooks();
    expect((await paymentRecord(created.paymentId))?.status).toBe('failed');

    const intent = await stripeSdk().paymentIntents.retrieve(created.paymentIntentId);
    expect(intent.status).toBe('requires_payment_method');
    const charges = await stripeSdk().charges.list({ payment_intent: created.paymentIntentId });
    expect(charges.data.map((c) => c.status)).toEqual(['failed', 'failed']);
    expect(charges.data.every((c) => c.transfer === null && c.application_fee === null)).toBe(true);
    expect((await stripeSdk().transfers.list({ destination: payee.accountId })).data).toEqual([]);
    expect((await ledgerOf(payee.partnerId)).entries).toEqual([]);
    expect((await earnings(payee.idToken)).body).toMatchObject({ entries: [], summary: {} });
    expect(await stripeBalanceOf(payee.accountId)).toEqual({});
  });

  it('survives Stripe failing while the payment is created (500, then a dropped connection): one PaymentIntent, one payment', async () => {
    const payee = await activePayee('pf-flaky');
    const buyer = await customer('pf-flaky-buyer');
    // First attempt: 500 before anything runs; second: Stripe commits, then the connection drops.
    await emulator().addFault({ endpoint: 'POST /v1/payment_intents', serverErrorRate: 1, times: 1 });
    await emulator().addFault({ endpoint: 'POST /v1/payment_intents', ambiguousRate: 1, times: 1 });
    const created = await deposit(buyer.idToken, payee.partnerId, 6_000);
    const key = `create-payment-intent:${created.paymentId}`;
    const attempts = (await emulator().requestLog({ path: '/v1/payment_intents', method: 'POST' })).filter(
      (entry) => entry.idempotencyKey === key,
    );
    expect(attempts.map((a) => [a.status, a.fault, a.replayed])).toEqual([
      [500, 'server_error', false],
      [0, 'ambiguous', false], // committed, but the connection dropped before any answer
      [200, null, true],
    ]);
    const intents = (await stripeSdk().paymentIntents.list({ limit: 100 })).data.filter(
      (pi) => pi.metadata.paymentId === created.paymentId,
    );
    expect(intents.map((pi) => pi.id)).toEqual([created.paymentIntentId]);
    expect(await paymentRecord(created.paymentId)).toMatchObject({ stripePaymentIntentId: created.paymentIntentId });

    // The same for Checkout: the order id is the key.
    await emulator().addFault({ endpoint: 'POST /v1/checkout/sessions', ambiguousRate: 1, times: 1 });
    const co = await checkout(buyer.idToken, payee, [{ name: 'Gear', unitAmount: 3_000, quantity: 1 }]);
    expect(co.status, co.text).toBe(201);
    const sessions = (await stripeSdk().checkout.sessions.list({ limit: 100 })).data.filter(
      (s) => s.client_reference_id === co.body.orderId,
    );
    expect(sessions).toHaveLength(1);
    expect(await paymentRecord(co.body.paymentId)).toMatchObject({ stripeCheckoutSessionId: sessions[0]?.id });

    await confirm(created.clientSecret);
    expect((await payCheckout(co.body.url, 'pay')).status).toBe(303);
    await paymentWithStatus(created.paymentId, 'paid');
    await paymentWithStatus(co.body.paymentId, 'paid');
    expect(await ledgerFacts(payee.partnerId)).toEqual(
      facts(['earning', 5_400], ['transfer', -5_400], ['earning', 2_700], ['transfer', -2_700]),
    );
    expect((await expectStripeAgrees(payee)).stripe).toEqual({ usd: 8_100 });
  });
});

describe('payees who cannot be paid', () => {
  it('refuses not-onboarded, pending, restricted, disconnected and unknown payees on both routes, writing nothing in DynamoDB or at Stripe', async () => {
    const buyer = await customer('pf-refuse-buyer');
    const [notSetUp, pending, restricted, disconnected] = await Promise.all([
      newPartnerUser('pf-refuse-new'),
      newPartnerUser('pf-refuse-pending'),
      activePayee('pf-refuse-restricted'),
      activePayee('pf-refuse-gone'),
    ]);
    await onboard(pending.idToken, 'pending');
    await emulator().setAccountState(restricted.accountId, 'restricted');
    await emulator().setAccountState(disconnected.accountId, 'deauthorized');
    await deliverWebhooks();
    for (const [who, status] of [
      [pending, 'pending_verification'],
      [restricted, 'restricted'],
      [disconnected, 'disconnected'],
    ] as const) {
      const me = await eventually(
        () => api<{ status: string }>('GET', '/partners/me', { token: who.idToken }),
        (response) => response.body.status === status,
      );
      expect(me.body.status).toBe(status);
    }
    const cases: Array<[string, number, string]> = [
      [notSetUp.partnerId, 422, 'partner_not_onboarded'],
      [pending.partnerId, 422, 'partner_not_onboarded'],
      [restricted.partnerId, 422, 'partner_not_onboarded'],
      [disconnected.partnerId, 422, 'partner_not_onboarded'],
      ['ptn_0123456789abcdef01234567', 404, 'payee_not_found'],
    ];
    // Each of them lists a ticket (a listing can be written before its seller can be paid; it is not on sale).
    const listingOf = new Map<string, string>();
    for (const who of [notSetUp, pending, restricted, disconnected]) {
      listingOf.set(who.partnerId, (await createListing(who.idToken, { title: 'Ticket', unitAmount: 2_500 })).id);
    }
    const before = await markState();
    for (const [payeeId, status, code] of cases) {
      const intent = await createIntent(buyer.idToken, {
        payeeId,
        amount: 5_000,
        currency: 'usd',
        kind: 'deposit',
        description: 'Deposit',
      });
      expect([intent.status, intent.body.error?.code], `intent to ${payeeId}`).toEqual([status, code]);
      const listingId = listingOf.get(payeeId) ?? 'lst_0123456789abcdef01234567';
      const co = await buyByReference(buyer.idToken, [{ listingId, quantity: 2 }]);
      expect([co.status, co.body.error?.code], `checkout to ${payeeId}`).toEqual(
        listingOf.has(payeeId) ? [422, 'listing_not_on_sale'] : [404, 'listing_not_found'],
      );
    }
    // The restricted partner still has a working account at Stripe: nothing reached it either.
    expect(await changesSince(before)).toEqual(NO_CHANGE);
    expect(await stripeBalanceOf(restricted.accountId)).toEqual({});
    for (const who of [restricted, disconnected]) {
      expect((await stripeSdk().transfers.list({ destination: who.accountId })).data).toEqual([]);
      expect((await ledgerOf(who.partnerId)).entries).toEqual([]);
    }
  });
});

describe('refunds and reversals', () => {
  it('refunds a Checkout order partially then fully: ledger refunds equal the transfer reversed minus the fee refunded, to the cent', async () => {
    const seller = await activePayee('pf-refund');
    await setFee(seller.partnerId, { bps: 300 });
    const buyer = await customer('pf-refund-buyer');
    const created = await checkout(buyer.idToken, seller, [{ name: 'Seat', unitAmount: 1_111, quantity: 3 }]);
    expect((await payCheckout(created.body.url, 'pay')).status).toBe(303);
    const paid = await paymentWithStatus(created.body.paymentId, 'paid');
    expect(paid).toMatchObject({ amount: 3_333, fee: 100, net: 3_233 });
    const paymentIntentId = String(paid.stripePaymentIntentId);
    const flags = { reverse_transfer: true, refund_application_fee: true };

    const first = await refund(paymentIntentId, { amount: 1_111, ...flags });
    await paymentWithStatus(created.body.paymentId, 'partially_refunded');
    let stripe = await stripePayment(paymentIntentId);
    // Stripe took back 1,111 of the transfer and returned round(1,111 x 100 / 3,333) = 33 of the fee.
    expect([stripe.transfer.amount_reversed, stripe.fee?.amount_refunded]).toEqual([1_111, 33]);
    expect(first.transfer_reversal).toEqual(expect.stringMatching(/^trr_/));
    expect((await order(created.body.orderId)).payment).toMatchObject({
      status: 'partially_refunded',
      amountRefunded: 1_111,
      partnerRefunded: 1_078,
    });
    expect((await order(created.body.orderId)).status).toBe('partially_refunded');
    await expectStripeAgrees(seller);

    await refund(paymentIntentId, flags);
    await paymentWithStatus(created.body.paymentId, 'refunded');
    stripe = await stripePayment(paymentIntentId);
    expect(stripe.charge).toMatchObject({ amount_refunded: 3_333, refunded: true });
    expect([stripe.transfer.amount_reversed, stripe.fee?.amount_refunded]).toEqual([3_333, 100]);
    const refunds = await stripeSdk().refunds.list({ payment_intent: paymentIntentId });
    expect(refunds.data.map((r) => r.amount).sort((a, b) => a - b)).toEqual([1_111, 2_222]);
    expect((await order(created.body.orderId)).payment).toMatchObject({
      status: 'refunded',
      amountRefunded: 3_333,
      partnerRefunded: 3_233,
    });
    expect(await ledgerFacts(seller.partnerId)).toEqual(
      facts(
        ['earning', 3_233],
        ['transfer', -3_233],
        ['refund', -1_078],
        ['reversal', 1_078],
        ['refund', -2_155],
        ['reversal', 2_155],
      ),
    );
    expect((await earnings(seller.idToken)).body.summary.usd?.allTime).toBe(0);
    expect((await expectStripeAgrees(seller)).stripe).toEqual({});
  });

  it('records what each refund policy takes from the partner: reverse without the fee, the fee without a reversal', async () => {
    const payee = await activePayee('pf-policy');
    const buyer = await customer('pf-policy-buyer');
    // 1. The platform keeps its fee and takes the refunded amount back from the partner.
    const a = await deposit(buyer.idToken, payee.partnerId, 10_000, 'Job A');
    await confirm(a.clientSecret);
    await paymentWithStatus(a.paymentId, 'paid');
    await refund(a.paymentIntentId, { amount: 4_000, reverse_transfer: true });
    expect(await paymentWithStatus(a.paymentId, 'partially_refunded')).toMatchObject({ partnerRefunded: 4_000 });
    const stripeA = await stripePayment(a.paymentIntentId);
    expect([stripeA.transfer.amount_reversed, stripeA.fee?.amount_refunded]).toEqual([4_000, 0]);

    // 2. The platform absorbs the refund and gives the partner its fee share back.
    const b = await deposit(buyer.idToken, payee.partnerId, 10_000, 'Job B');
    await confirm(b.clientSecret);
    await paymentWithStatus(b.paymentId, 'paid');
    await refund(b.paymentIntentId, { amount: 5_000, refund_application_fee: true });
    expect(await paymentWithStatus(b.paymentId, 'partially_refunded')).toMatchObject({ partnerRefunded: -500 });
    const stripeB = await stripePayment(b.paymentIntentId);
    expect([stripeB.transfer.amount_reversed, stripeB.fee?.amount_refunded]).toEqual([0, 500]);

    // 3. The platform absorbs the whole refund: the partner keeps everything.
    const c = await deposit(buyer.idToken, payee.partnerId, 2_000, 'Job C');
    await confirm(c.clientSecret);
    await paymentWithStatus(c.paymentId, 'paid');
    await refund(c.paymentIntentId);
    expect(await paymentWithStatus(c.paymentId, 'refunded')).toMatchObject({ partnerRefunded: 0 });

    const visible = (await earnings(payee.idToken)).body.entries.map((e) => [e.type, e.amount, e.description]);
    expect(visible).toEqual(
      expect.arrayContaining([
        ['refund', -4_000, 'Refund: Job A'],
        ['adjustment', 500, 'Fee refund: Job B'],
      ]),
    );
    expect(visible).toHaveLength(5); // three earnings, one refund, one adjustment
    const sides = await expectStripeAgrees(payee);
    expect(sides.stripe).toEqual({ usd: 9_000 - 4_000 + 9_000 + 500 + 1_800 });
    expect((await earnings(payee.idToken)).body.summary.usd?.allTime).toBe(16_300);
  });

  it('a lost dispute after a partial refund takes back what the partner still holds by transfer reversal; ledger and Stripe agree', async () => {
    const payee = await activePayee('pf-dispute');
    const buyer = await customer('pf-dispute-buyer');
    const paid = await deposit(buyer.idToken, payee.partnerId, 10_000, 'Kitchen job');
    // Stripe's dispute test card: the charge is disputed as soon as it succeeds.
    await confirm(paid.clientSecret, 'pm_card_createDisputeProductNotReceived');
    await paymentWithStatus(paid.paymentId, 'paid');
    await deliverWebhooks();
    const [dispute] = (await stripeSdk().disputes.list({ payment_intent: paid.paymentIntentId })).data;
    expect(dispute).toMatchObject({ status: 'needs_response', reason: 'product_not_received', amount: 10_000 });
    const disputeId = String(dispute?.id);
    // While it is open, the partner's share (9,000) is held: not payable, netted by the next payout.
    expect(
      await eventually(
        () => ledgerFacts(payee.partnerId),
        (facts) => facts.length === 3,
      ),
    ).toEqual([
      ['earning', 9_000],
      ['hold', -9_000],
      ['transfer', -9_000],
    ]);
    expect(await expectBalanced(payee.partnerId)).toEqual({ usd: -9_000 });

    // A partial refund meanwhile (the customer returned part of the order)...
    await refund(paid.paymentIntentId, { amount: 2_500, reverse_transfer: true, refund_application_fee: true });
    await paymentWithStatus(paid.paymentId, 'partially_refunded');
    // ...then the dispute is lost: what the partner still holds of the payment (6,750) is taken back.
    const mark = await stripeLogMark();
    await stripeSdk().disputes.update(disputeId, { evidence: { uncategorized_text: 'losing_evidence' } });
    await deliverWebhooks();
    const recovered = await eventually(
      () => paymentRecord(paid.paymentId),
      (record) => record?.partnerRefunded === 9_000,
    );
    expect(recovered).toMatchObject({
      status: 'partially_refunded',
      amountRefunded: 2_500,
      partnerRefunded: 9_000,
      dispute: { id: disputeId, status: 'lost' },
    });
    // One reversal, keyed by the dispute and the partner, however often the events were delivered.
    const reversals = (await stripeCallsSince(mark)).filter((e) => e.endpoint === 'POST /v1/transfers/:id/reversals');
    expect(reversals.map((e) => [e.idempotencyKey, e.status])).toEqual([
      [`dispute-reversal:${disputeId}:${payee.partnerId}`, 200],
    ]);

    const visible = (await earnings(payee.idToken)).body.entries.map((e) => [e.type, e.amount]);
    expect(visible).toHaveLength(5);
    expect(visible).toEqual(
      expect.arrayContaining([
        ['earning', 9_000],
        ['hold', -9_000],
        ['refund', -2_250],
        ['release', 9_000],
        ['clawback', -6_750],
      ]),
    );
    const after = await stripePayment(paid.paymentIntentId);
    expect(after.transfer.amount_reversed).toBe(2_500 + 6_750);
    expect(after.fee?.amount_refunded).toBe(250);
    // The platform absorbs the dispute fee (DISPUTE_FEE_PAYER=platform): nothing more is owed, the partner's Stripe
    // balance is empty, and our ledger says the same.
    expect((await expectStripeAgrees(payee)).stripe).toEqual({});
    const closed = await stripeSdk().disputes.retrieve(disputeId);
    expect(closed.balance_transactions.map((t) => [t.amount, t.fee])).toEqual([[-10_000, 1_500]]);
  });
});

describe('webhook delivery: duplicates, reordering and replays', () => {
  it('applies a Checkout order and its refund once when Stripe delivers every event twice, newest first, and old events are replayed', async () => {
    const seller = await activePayee('pf-chaos');
    const buyer = await customer('pf-chaos-buyer');
    const since = nowSeconds() - 5;
    await emulator().setDeliveryMode({ hold: true, reorder: true, duplicate: true });
    const created = await checkout(buyer.idToken, seller, [{ name: 'Crate', unitAmount: 4_321, quantity: 1 }]);
    expect((await payCheckout(created.body.url, 'pay_declined')).status).toBe(402);
    expect((await payCheckout(created.body.url, 'pay')).status).toBe(303);
    const sessionId = String((await paymentRecord(created.body.paymentId))?.stripeCheckoutSessionId);
    const session = await stripeSdk().checkout.sessions.retrieve(sessionId);
    const paymentIntentId = String(session.payment_intent);
    await refund(paymentIntentId, { amount: 1_000, reverse_transfer: true, refund_application_fee: true });
    expect((await paymentRecord(created.body.paymentId))?.status).toBe('pending'); // nothing delivered yet
    await deliverWebhooks();
    await emulator().setDeliveryMode({ hold: false, reorder: false, duplicate: false });

    const settled = await paymentWithStatus(created.body.paymentId, 'partially_refunded');
    // 4,321 at 10 %: fee 432 (432.1); the refund of 1,000 returned 100 of it.
    expect(settled).toMatchObject({ fee: 432, net: 3_889, amountRefunded: 1_000, partnerRefunded: 900 });
    const events = await platformEvents([sessionId, paymentIntentId], since);
    const mine = new Set(events.map((e) => e.id));
    const deliveries = (await emulator().webhookDeliveries()).filter((d) => mine.has(d.eventId));
    expect(deliveries.length).toBeGreaterThan(0);
    // Each delivered twice, and both copies acknowledged.
    for (const d of deliveries) expect(d.attempts.map((a) => a.status)).toEqual([200, 200]);
    const expectedFacts = facts(['earning', 3_889], ['transfer', -3_889], ['refund', -900], ['reversal', 900]);
    expect(await ledgerFacts(seller.partnerId)).toEqual(expectedFacts);

    // Every event again under new ids (a replay tool, a second endpoint), oldest first then newest first.
    const version = Number(settled.version);
    for (const event of [...events, ...[...events].reverse()]) {
      expect((await postPlatformWebhook(reissue(event))).status).toBe(200);
    }
    // And the originals once more: acknowledged as duplicates.
    for (const event of events.filter((e) => e.type === 'charge.refunded')) {
      expect((await postPlatformWebhook(JSON.stringify(event))).body).toEqual({ received: true, duplicate: true });
    }
    expect(await paymentRecord(created.body.paymentId)).toMatchObject({ status: 'partially_refunded', version });
    expect((await tableItem(`ORDER#${created.body.orderId}`, 'ORDER'))?.status).toBe('partially_refunded');
    expect(await ledgerFacts(seller.partnerId)).toEqual(expectedFacts);
    const stripe = await stripePayment(paymentIntentId);
    expect([stripe.transfer.amount_reversed, stripe.fee?.amount_refunded]).toEqual([1_000, 100]);
    expect((await expectStripeAgrees(seller)).stripe).toEqual({ usd: 2_989 });
  });
});

describe('earnings across currencies and payouts', () => {
  it('keeps currencies apart in GET /earnings and pays platform-held earnings per currency, leaving destination charges alone', async () => {
    const partner = await activePayee('pf-multi');
    const buyer = await customer('pf-multi-buyer');
    const paid = await deposit(buyer.idToken, partner.partnerId, 20_000, 'Tour deposit');
    await confirm(paid.clientSecret);
    await paymentWithStatus(paid.paymentId, 'paid');
    const { period, inside } = await freshPeriod();
    await recordHeld(partner.partnerId, 1_500, inside, 'usd');
    await recordHeld(partner.partnerId, 2_400, inside, 'eur');
    await recordHeld(partner.partnerId, 600, new Date(Date.now() + 86_400_000).toISOString(), 'eur');

    const all = (await earnings(partner.idToken)).body;
    // Held earnings count when they are recorded (today), whatever their availability.
    expect(all.summary).toEqual({
      usd: { today: 19_500, last7Days: 19_500, last30Days: 19_500, allTime: 19_500 },
      eur: { today: 3_000, last7Days: 3_000, last30Days: 3_000, allTime: 3_000 },
    });
    const eur = (await earnings(partner.idToken, '?currency=eur')).body;
    expect(Object.keys(eur.summary)).toEqual(['eur']);
    expect(eur.entries.map((e) => [e.amount, e.currency, e.payoutStatus]).sort()).toEqual([
      [2_400, 'eur', 'available'],
      [600, 'eur', 'pending'],
    ]);
    // Stripe paid the deposit's share with the charge; the platform holds the rest, per currency.
    let sides = await expectStripeAgrees(partner);
    expect(sides).toMatchObject({ held: { usd: 1_500, eur: 3_000 }, stripe: { usd: 18_000 } });

    await emulator().fundBalance({ amount: 100_000, currency: 'eur' });
    expect((await startRun(period)).status).toBe(202);
    await settledRun(period);
    const transfers = (await transfersOf(`run_${period}`)).filter((t) => t.destination === partner.accountId);
    expect(transfers.map((t) => [t.currency, t.amount]).sort()).toEqual([
      ['eur', 2_400],
      ['usd', 1_500],
    ]);
    const mine = await payouts(partner.idToken);
    expect(mine.map((p) => [p.currency, p.amount, p.status, p.entryCount]).sort()).toEqual([
      ['eur', 2_400, 'paid', 1],
      ['usd', 1_500, 'paid', 1],
    ]);
    sides = await expectStripeAgrees(partner);
    expect(sides).toMatchObject({ held: { usd: 0, eur: 600 }, stripe: { usd: 19_500, eur: 2_400 } });
    // The summary did not change: paying out is not earning.
    expect((await earnings(partner.idToken)).body.summary.eur?.allTime).toBe(3_000);
    expect((await earnings(partner.idToken)).body.summary.usd?.allTime).toBe(19_500);
  });

  it('moves held earnings from pending to available to paid: the run pays exactly what was available at its cutoff', async () => {
    const partner = await activePayee('pf-held');
    const { period, inside } = await freshPeriod();
    await recordHeld(partner.partnerId, 1_250, inside);
    await recordHeld(partner.partnerId, 750, inside);
    const soon = new Date(Date.now() + 2_500).toISOString(); // past the holding period in 2.5 s, after the cutoff
    await recordHeld(partner.partnerId, 700, soon);
    await api('POST', '/admin/earnings', {
      token: await opsToken(),
      body: {
        partnerId: partner.partnerId,
        amount: 900,
        currency: 'usd',
        externalId: `pf-default-hold-${Date.now()}`,
        description: 'Default holding period',
      },
    });
    const statuses = async () =>
      Object.fromEntries(
        (await earnings(partner.idToken)).body.entries.map((e) => [e.amount, [e.payoutStatus, e.payoutId]]),
      );
    expect(await statuses()).toEqual({
      1250: ['available', null],
      750: ['available', null],
      700: ['pending', null],
      900: ['pending', null],
    });

    expect((await startRun(period)).status).toBe(202);
    const run = await settledRun(period);
    const payoutId = `po_${period}_usd_${partner.partnerId}`;
    const [transfer, ...others] = (await transfersOf(`run_${period}`)).filter(
      (t) => t.destination === partner.accountId,
    );
    expect(others).toEqual([]);
    expect(transfer).toMatchObject({
      amount: 2_000, // 1,250 + 750: the entries available at the cutoff
      currency: 'usd',
      transfer_group: `run_${period}`,
      metadata: { payoutId, partnerId: partner.partnerId, period },
    });
    expect(run.status).toBe('completed');
    expect(await payouts(partner.idToken)).toEqual([
      expect.objectContaining({ id: payoutId, amount: 2_000, status: 'paid', stripeTransferId: transfer?.id }),
    ]);
    expect(await payouts(partner.idToken)).toHaveLength(1);
    const paidEntries = (await ledger(partner.partnerId)).filter((e) => e.payoutId === payoutId);
    expect(paidEntries.map((e) => [e.type, Number(e.amount), e.payoutStatus]).sort()).toEqual([
      ['earning', 1_250, 'paid'],
      ['earning', 750, 'paid'],
      ['payout', -2_000, 'paid'],
    ]);

    // The 700 becomes available on its own (derived at read time) and waits for a later run.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(soon) - Date.now() + 100)));
    expect(await statuses()).toEqual({
      1250: ['paid', payoutId],
      750: ['paid', payoutId],
      700: ['available', null],
      900: ['pending', null],
    });
    const sides = await expectStripeAgrees(partner);
    expect(sides).toMatchObject({ held: { usd: 1_600 }, stripe: { usd: 2_000 } });
  });

  it('hands a fully reversed payout back: entries available again, payout reversed, and the next run pays them once more', async () => {
    const later = await freshPeriod(); // allocated first: a later month than the first run's
    const { period, inside } = await freshPeriod();
    const partner = await activePayee('pf-reverse');
    await recordHeld(partner.partnerId, 3_000, inside);
    await recordHeld(partner.partnerId, 1_200, inside);
    await startRun(period);
    await settledRun(period);
    const firstId = `po_${period}_usd_${partner.partnerId}`;
    const [first] = (await transfersOf(`run_${period}`)).filter((t) => t.destination === partner.accountId);
    if (!first) throw new Error('the first run paid nothing');
    expect(first.amount).toBe(4_200);
    expect((await expectStripeAgrees(partner)).stripe).toEqual({ usd: 4_200 });

    const reversal = await stripeSdk().transfers.createReversal(
      first.id,
      {},
      { idempotencyKey: `pf-reversal-${first.id}` },
    );
    expect(reversal.amount).toBe(4_200);
    await deliverWebhooks();
    const reversed = await eventually(
      () => payouts(partner.idToken),
      (list) => list.some((p) => p.id === firstId && p.status === 'reversed'),
    );
    expect(reversed).toEqual([
      expect.objectContaining({ id: firstId, status: 'reversed', stripeTransferId: first.id }),
    ]);
    expect(
      (await earnings(partner.idToken)).body.entries.map((e) => [e.amount, e.payoutStatus, e.payoutId]).sort(),
    ).toEqual([
      [1_200, 'available', null],
      [3_000, 'available', null],
    ]);
    expect((await stripeSdk().transfers.retrieve(first.id)).reversed).toBe(true);
    let sides = await expectStripeAgrees(partner);
    expect(sides).toMatchObject({ held: { usd: 4_200 }, stripe: {} });

    await startRun(later.period);
    await settledRun(later.period);
    const secondId = `po_${later.period}_usd_${partner.partnerId}`;
    const again = (await transfersOf(`run_${later.period}`)).filter((t) => t.destination === partner.accountId);
    expect(again.map((t) => [t.amount, t.metadata.payoutId])).toEqual([[4_200, secondId]]);
    expect(
      (await earnings(partner.idToken)).body.entries.map((e) => [e.amount, e.payoutStatus, e.payoutId]).sort(),
    ).toEqual([
      [1_200, 'paid', secondId],
      [3_000, 'paid', secondId],
    ]);
    expect((await payouts(partner.idToken)).map((p) => [p.id, p.status]).sort()).toEqual(
      [
        [firstId, 'reversed'],
        [secondId, 'paid'],
      ].sort(),
    );
    sides = await expectStripeAgrees(partner);
    expect(sides).toMatchObject({ held: { usd: 0 }, stripe: { usd: 4_200 } });
  });

  it('holds a partially reversed payout’s amount for the partner again, available at once in the planner’s index', async () => {
    const { period, inside } = await freshPeriod();
    const partner = await activePayee('pf-partial-rev');
    await recordHeld(partner.partnerId, 5_000, inside);
    await startRun(period);
    await settledRun(period);
    const payoutId = `po_${period}_usd_${partner.partnerId}`;
    const [transfer] = (await transfersOf(`run_${period}`)).filter((t) => t.destination === partner.accountId);
    if (!transfer) throw new Error('the run paid nothing');
    const before = Date.now();
    await stripeSdk().transfers.createReversal(
      transfer.id,
      { amount: 1_200 },
      { idempotencyKey: `pf-partial-${transfer.id}` },
    );
    await deliverWebhooks();
    await eventually(
      () => payouts(partner.idToken),
      (list) => list.some((p) => p.id === payoutId && p.status === 'reversed'),
    );
    const entries = await ledger(partner.partnerId);
    const back = entries.filter((e) => e.type === 'reversal');
    expect(back).toEqual([
      expect.objectContaining({
        amount: 1_200,
        payoutStatus: 'pending',
        reference: payoutId,
        GSI3PK: heldIndexPk('usd', partner.partnerId),
      }),
    ]);
    expect(Number(back[0]?.availableAt)).toBeGreaterThanOrEqual(before - 1_000);
    expect(Number(back[0]?.availableAt)).toBeLessThanOrEqual(Date.now());
    // The covered earning stays paid (the partner was paid 3,800 of it for good).
    expect((await earnings(partner.idToken)).body.entries.map((e) => [e.amount, e.payoutStatus])).toEqual([
      [5_000, 'paid'],
    ]);
    // The planner finds the returned amount among the held entries available now.
    const indexed = await queryTable({
      IndexName: 'GSI3',
      KeyConditionExpression: 'GSI3PK = :pk AND GSI3SK BETWEEN :from AND :to',
      FilterExpression: 'partnerId = :partner',
      ExpressionAttributeValues: {
        ':pk': heldIndexPk('usd', partner.partnerId),
        ':from': new Date(before - 60_000).toISOString(),
        ':to': new Date(Date.now() + 1_000).toISOString(),
        ':partner': partner.partnerId,
      },
    });
    expect(indexed.map((item) => [item.type, item.amount])).toEqual([['reversal', 1_200]]);
    expect((await stripeSdk().transfers.retrieve(transfer.id)).amount_reversed).toBe(1_200);
    const sides = await expectStripeAgrees(partner);
    expect(sides).toMatchObject({ held: { usd: 1_200 }, stripe: { usd: 3_800 } });
  });
});
