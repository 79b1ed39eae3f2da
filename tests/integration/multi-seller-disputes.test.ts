import type Stripe from 'stripe';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { api } from '#tests/local';
import {
  activePayee,
  admin,
  customer,
  deliverWebhooks,
  emulator,
  eventually,
  expectBalanced,
  ledgerOf,
  payCheckout,
  paymentRecord,
  paymentWithStatus,
  platformEvents,
  postPlatformWebhook,
  reissue,
  stripeSdk,
  tableItem,
} from '#tests/payments';
import { buyListings, createListing } from '#tests/sales';
import { stripeCallsSince, stripeLogMark } from '#tests/table-snapshot';

/**
 * Disputes and early refunds on carts across sellers (separate charges and transfers), checked against what the
 * Stripe emulator did: each seller's transfer, its reversals and the seller's Stripe balance agree with the ledger.
 */

afterEach(async () => {
  await emulator().setDeliveryMode({ duplicate: false, reorder: false, hold: false, delayMs: 0 });
  await emulator().clearFaults();
  await deliverWebhooks();
});

const BPS = [300, 500, 1_000];
const PRICES = [3_333, 12_345, 9_999];
const QUANTITIES = [3, 1, 2];
const GROSS = PRICES.map((price, i) => price * (QUANTITIES[i] ?? 0));
const FEES = GROSS.map((g, i) => Math.floor((g * (BPS[i] ?? 0) + 5_000) / 10_000));
const NETS = GROSS.map((g, i) => g - (FEES[i] ?? 0));
const TOTAL = GROSS.reduce((a, b) => a + b, 0);
const VISIBLE = new Set(['earning', 'refund', 'clawback', 'adjustment', 'hold', 'release']);

/** A seller's share of `refunded` of their own items: `R − round_half_up(fee × R / gross)` (the refund rule). */
const shareOf = (i: number, refunded: number) => {
  const gross = GROSS[i] ?? 0;
  const fee = FEES[i] ?? 0;
  if (refunded >= gross) return gross - fee;
  const product = fee * refunded;
  const feeBack = Math.floor(product / gross) + ((product % gross) * 2 >= gross ? 1 : 0);
  return refunded - feeBack;
};

type Seller = Awaited<ReturnType<typeof activePayee>>;

/** Three sellers (fees 3 %, 5 %, 10 %), shared by the tests below: each test checks its own order's lines. */
let sellers: Seller[] = [];

beforeAll(async () => {
  sellers = await Promise.all([activePayee('msd-a'), activePayee('msd-b'), activePayee('msd-c')]);
  const ops = await admin();
  for (const [i, seller] of sellers.entries()) {
    const set = await api('PUT', `/admin/partners/${seller.partnerId}/fee-policy`, {
      token: ops.idToken,
      body: { bps: BPS[i] },
    });
    expect(set.status).toBe(200);
  }
});

/** One listing of each seller and a customer's Checkout order for all three. */
async function cart(prefix: string) {
  const listings = await Promise.all(
    sellers.map((seller, i) =>
      createListing(seller.idToken, { title: `Item ${i}`, unitAmount: PRICES[i], capacity: 10 }),
    ),
  );
  const buyer = await customer(`${prefix}-buyer`);
  const order = await buyListings(
    buyer.idToken,
    listings.map((listing, i) => ({ listingId: listing.id, quantity: QUANTITIES[i] ?? 1 })),
  );
  expect(order.status, order.text).toBe(201);
  return { sellers, orderId: order.body.orderId, paymentId: order.body.paymentId, url: order.body.url };
}

/** The order's PaymentIntent and charge, from its Checkout Session (known before any event reached us). */
async function chargeOf(paymentId: string) {
  const payment = await tableItem(`PAYMENT#${paymentId}`, 'PAYMENT');
  const session = await stripeSdk().checkout.sessions.retrieve(String(payment?.stripeCheckoutSessionId));
  const intent = await stripeSdk().paymentIntents.retrieve(String(session.payment_intent), {
    expand: ['latest_charge'],
  });
  return { paymentIntentId: intent.id, chargeId: (intent.latest_charge as Stripe.Charge).id, created: intent.created };
}

async function transfersOf(orderId: string): Promise<Stripe.Transfer[]> {
  const transfers: Stripe.Transfer[] = [];
  for await (const transfer of stripeSdk().transfers.list({ transfer_group: orderId, limit: 100 })) {
    transfers.push(transfer);
  }
  return transfers;
}

const transferTo = (transfers: readonly Stripe.Transfer[], seller: Seller) =>
  transfers.find((transfer) => transfer.destination === seller.accountId);

async function stripeBalanceOf(accountId: string): Promise<Record<string, number>> {
  const balance = await stripeSdk().balance.retrieve({}, { stripeAccount: accountId });
  const total: Record<string, number> = {};
  for (const amount of [...balance.available, ...balance.pending]) {
    total[amount.currency] = (total[amount.currency] ?? 0) + amount.amount;
  }
  return Object.fromEntries(Object.entries(total).filter(([, amount]) => amount !== 0));
}

/**
 * The seller's ledger and Stripe agree: its running totals equal its entries, and its Stripe balance equals what it
 * earned (partner-visible lines) minus what the platform still holds for it (the ledger balance; negative: owed).
 */
async function expectStripeAgrees(seller: Seller) {
  const held = await expectBalanced(seller.partnerId);
  const earned: Record<string, number> = {};
  for (const entry of (await ledgerOf(seller.partnerId)).entries) {
    if (VISIBLE.has(entry.type)) earned[entry.currency] = (earned[entry.currency] ?? 0) + Number(entry.amount);
  }
  const expected: Record<string, number> = {};
  for (const currency of new Set([...Object.keys(earned), ...Object.keys(held)])) {
    const inStripe = (earned[currency] ?? 0) - (held[currency] ?? 0);
    if (inStripe !== 0) expected[currency] = inStripe;
  }
  expect(await stripeBalanceOf(seller.accountId), `Stripe balance of ${seller.partnerId}`).toEqual(expected);
  return { held, earned };
}

/** The seller's ledger lines of one order (its own lines and its payment's dispute lines), as sorted pairs. */
async function facts(partnerId: string, c: { orderId: string; paymentId: string }) {
  return (await ledgerOf(partnerId)).entries
    .filter((entry) => entry.reference === c.orderId || entry.reference === c.paymentId)
    .map((entry): [string, number] => [entry.type, Number(entry.amount)])
    .sort(([ta, a], [tb, b]) => ta.localeCompare(tb) || a - b);
}

/**
 * What one order left in the seller's ledger: `visible`, the seller's partner-visible lines (what they were paid of
 * it: must equal their Transfer net of its reversals), and `held`, every line (what the platform still holds for
 * them of it; negative: owed).
 */
async function orderSums(partnerId: string, c: { orderId: string; paymentId: string }) {
  const lines = await facts(partnerId, c);
  return {
    visible: lines.filter(([type]) => VISIBLE.has(type)).reduce((sum, [, amount]) => sum + amount, 0),
    held: lines.reduce((sum, [, amount]) => sum + amount, 0),
  };
}

/** Pays the cart with Stripe's dispute test card (0259): paid, then disputed as fraudulent at once. */
async function disputedCart(prefix: string) {
  const c = await cart(prefix);
  expect((await payCheckout(c.url, 'pay_disputed')).status).toBe(303);
  await deliverWebhooks();
  await paymentWithStatus(c.paymentId, 'paid');
  const { paymentIntentId, chargeId, created } = await chargeOf(c.paymentId);
  const [dispute] = (await stripeSdk().disputes.list({ payment_intent: paymentIntentId })).data;
  expect(dispute).toMatchObject({ status: 'needs_response', amount: TOTAL });
  return { ...c, paymentIntentId, chargeId, created, disputeId: String(dispute?.id) };
}

async function disputeReversals(mark: string | null) {
  return (await stripeCallsSince(mark))
    .filter((entry) => entry.endpoint === 'POST /v1/transfers/:id/reversals')
    .map((entry) => [entry.idempotencyKey, entry.status]);
}

describe('a dispute on a cart across sellers', () => {
  it('holds each seller’s share while open; lost, reverses each seller’s transfer for it, and the ledger reconciles with Stripe', async () => {
    const c = await disputedCart('msd-lost');
    const transfers = await eventually(
      () => transfersOf(c.orderId),
      (list) => list.length === 3,
    );
    for (const [i, seller] of c.sellers.entries()) {
      expect(transferTo(transfers, seller)).toMatchObject({ amount: NETS[i], source_transaction: c.chargeId });
      // The whole order is disputed: each seller's share is their whole net, held (netted by their next payout).
      expect(await facts(seller.partnerId, c)).toEqual([
        ['earning', NETS[i]],
        ['hold', -(NETS[i] ?? 0)],
        ['transfer', -(NETS[i] ?? 0)],
      ]);
      expect(await expectBalanced(seller.partnerId)).toEqual({ usd: -(NETS[i] ?? 0) });
    }

    const mark = await stripeLogMark();
    await stripeSdk().disputes.update(c.disputeId, { evidence: { uncategorized_text: 'losing_evidence' } });
    await deliverWebhooks();
    const after = await eventually(
      () => transfersOf(c.orderId),
      (list) => list.length === 3 && list.every((t) => t.amount_reversed === t.amount),
    );
    // One reversal per seller, keyed by the dispute and the seller.
    expect((await disputeReversals(mark)).sort()).toEqual(
      c.sellers.map((seller) => [`dispute-reversal:${c.disputeId}:${seller.partnerId}`, 200]).sort(),
    );
    for (const [i, seller] of c.sellers.entries()) {
      const transfer = transferTo(after, seller);
      expect([transfer?.amount, transfer?.amount_reversed]).toEqual([NETS[i], NETS[i]]);
      const net = NETS[i] ?? 0;
      expect(await facts(seller.partnerId, c)).toEqual([
        ['clawback', -net],
        ['earning', net],
        ['hold', -net],
        ['release', net],
        ['reversal', net],
        ['transfer', -net],
      ]);
      // Stripe's transfer net of reversals (0) = the seller's visible lines of the order; the ledger agrees with the
      // seller's Stripe balance.
      expect(await orderSums(seller.partnerId, c)).toEqual({ visible: 0, held: 0 });
      await expectStripeAgrees(seller);
    }
    expect(await paymentRecord(c.paymentId)).toMatchObject({ status: 'paid', dispute: { status: 'lost' } });
    const order = await tableItem(`ORDER#${c.orderId}`, 'ORDER');
    expect(((order?.sellers ?? []) as { disputeReversed: number }[]).map((s) => s.disputeReversed)).toEqual(NETS);
    // The dispute record: each seller's share reversed, nothing owed, no fee charged (the platform absorbs it).
    const record = await tableItem(`PAYMENT#${c.paymentId}`, `DISPUTE#${c.disputeId}`);
    expect(record).toMatchObject({ phase: 'lost' });
    expect(
      ((record?.shares ?? []) as { reversed: number; owed: number; feeCharged: number }[]).map((s) => [
        s.reversed,
        s.owed,
        s.feeCharged,
      ]),
    ).toEqual(NETS.map((net) => [net, 0, 0]));
  });

  it('lost after a refund of one seller’s item: that seller gives back only what they still hold, nothing is asked twice', async () => {
    const c = await disputedCart('msd-refund');
    await eventually(
      () => transfersOf(c.orderId),
      (list) => list.length === 3,
    );
    // The customer is refunded half of seller b's item while the dispute is open: b's transfer gives back b's share.
    const refunded = Math.floor((GROSS[1] ?? 0) / 2);
    await stripeSdk().refunds.create({
      charge: c.chargeId,
      amount: refunded,
      metadata: { partnerId: c.sellers[1]?.partnerId ?? '' },
    });
    await deliverWebhooks();
    await paymentWithStatus(c.paymentId, 'partially_refunded');
    const refundShare = shareOf(1, refunded);
    await eventually(
      () => transfersOf(c.orderId),
      (list) => transferTo(list, c.sellers[1] as Seller)?.amount_reversed === refundShare,
    );

    const mark = await stripeLogMark();
    await stripeSdk().disputes.update(c.disputeId, { evidence: { uncategorized_text: 'losing_evidence' } });
    await deliverWebhooks();
    const after = await eventually(
      () => transfersOf(c.orderId),
      (list) => list.every((t) => t.amount_reversed === t.amount),
    );
    expect((await disputeReversals(mark)).sort()).toEqual(
      c.sellers.map((seller) => [`dispute-reversal:${c.disputeId}:${seller.partnerId}`, 200]).sort(),
    );
    const reversals = await stripeSdk().transfers.listReversals(String(transferTo(after, c.sellers[1] as Seller)?.id));
    // b: the refund share, then the rest of the net for the dispute (never the full share again).
    expect(reversals.data.map((r) => r.amount).sort((a, b) => a - b)).toEqual(
      [refundShare, (NETS[1] ?? 0) - refundShare].sort((a, b) => a - b),
    );
    const b = await facts(c.sellers[1]?.partnerId ?? '', c);
    expect(b.filter(([type]) => type === 'refund' || type === 'clawback')).toEqual([
      ['clawback', -((NETS[1] ?? 0) - refundShare)],
      ['refund', -refundShare],
    ]);
    for (const seller of c.sellers) {
      expect(await orderSums(seller.partnerId, c)).toEqual({ visible: 0, held: 0 });
      await expectStripeAgrees(seller);
    }
    // Redelivering the refund and the dispute's events (one of each type, oldest first) changes nothing.
    const events = (await platformEvents([c.paymentIntentId, c.chargeId, c.disputeId], c.created - 5)).filter(
      (event, i, all) => all.findIndex((e) => e.type === event.type) === i,
    );
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['charge.refunded', 'charge.dispute.closed', 'transfer.reversed']),
    );
    const before = await Promise.all(c.sellers.map((seller) => facts(seller.partnerId, c)));
    const again = await stripeLogMark();
    for (const event of events) expect((await postPlatformWebhook(reissue(event))).status).toBe(200);
    expect(await disputeReversals(again)).toEqual([]);
    expect(await Promise.all(c.sellers.map((seller) => facts(seller.partnerId, c)))).toEqual(before);
  });

  it('won: every seller’s hold is released and nothing is taken back', async () => {
    const c = await disputedCart('msd-won');
    await eventually(
      () => transfersOf(c.orderId),
      (list) => list.length === 3,
    );
    for (const seller of c.sellers) {
      await eventually(
        () => facts(seller.partnerId, c),
        (list) => list.some(([type]) => type === 'hold'),
      );
    }
    const mark = await stripeLogMark();
    await stripeSdk().disputes.update(c.disputeId, { evidence: { uncategorized_text: 'winning_evidence' } });
    await deliverWebhooks();
    for (const [i, seller] of c.sellers.entries()) {
      const net = NETS[i] ?? 0;
      expect(
        await eventually(
          () => facts(seller.partnerId, c),
          (list) => list.some(([type]) => type === 'release'),
        ),
      ).toEqual([
        ['earning', net],
        ['hold', -net],
        ['release', net],
        ['transfer', -net],
      ]);
      expect(await orderSums(seller.partnerId, c)).toEqual({ visible: net, held: 0 });
      await expectStripeAgrees(seller);
    }
    expect(await disputeReversals(mark)).toEqual([]);
    expect((await transfersOf(c.orderId)).map((t) => t.amount_reversed)).toEqual([0, 0, 0]);
    expect(await tableItem(`PAYMENT#${c.paymentId}`, `DISPUTE#${c.disputeId}`)).toMatchObject({ phase: 'won' });
  });

  it('converges exactly once when every event is delivered twice, newest first (the loss before the payment), and replayed', async () => {
    const c = await cart('msd-chaos');
    await deliverWebhooks();
    await emulator().setDeliveryMode({ hold: true, reorder: true, duplicate: true });
    const mark = await stripeLogMark();
    expect((await payCheckout(c.url, 'pay_disputed')).status).toBe(303);
    const { paymentIntentId, chargeId, created } = await chargeOf(c.paymentId);
    const [dispute] = (await stripeSdk().disputes.list({ payment_intent: paymentIntentId })).data;
    const disputeId = String(dispute?.id);
    await stripeSdk().disputes.update(disputeId, { evidence: { uncategorized_text: 'losing_evidence' } });
    expect((await paymentRecord(c.paymentId))?.status).toBe('pending'); // nothing delivered yet
    await emulator().setDeliveryMode({ hold: false });
    await deliverWebhooks();
    await emulator().setDeliveryMode({ reorder: false, duplicate: false });

    const after = await eventually(
      () => transfersOf(c.orderId),
      (list) => list.length === 3 && list.every((t) => t.amount_reversed === t.amount),
    );
    const writes = await stripeCallsSince(mark);
    const keysOf = (endpoint: string) =>
      [...new Set(writes.filter((e) => e.endpoint === endpoint).map((e) => e.idempotencyKey))].sort();
    // One Transfer per seller and one dispute reversal per seller, however often and in whatever order.
    expect(keysOf('POST /v1/transfers')).toEqual(
      c.sellers.map((seller) => `order-transfer:${c.orderId}:${seller.partnerId}`).sort(),
    );
    expect(keysOf('POST /v1/transfers/:id/reversals')).toEqual(
      c.sellers.map((seller) => `dispute-reversal:${disputeId}:${seller.partnerId}`).sort(),
    );
    for (const [i, seller] of c.sellers.entries()) {
      expect(transferTo(after, seller)?.amount).toBe(NETS[i]);
      const net = NETS[i] ?? 0;
      expect(await facts(seller.partnerId, c)).toEqual([
        ['clawback', -net],
        ['earning', net],
        ['hold', -net],
        ['release', net],
        ['reversal', net],
        ['transfer', -net],
      ]);
      expect(await orderSums(seller.partnerId, c)).toEqual({ visible: 0, held: 0 });
      await expectStripeAgrees(seller);
    }

    // One event of each type about the payment, its charge's transfers and the dispute, replayed under new ids,
    // oldest first: nothing moves.
    const events = (await platformEvents([paymentIntentId, chargeId, disputeId], created - 5)).filter(
      (event, i, all) => all.findIndex((e) => e.type === event.type) === i,
    );
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining([
        'payment_intent.succeeded',
        'charge.dispute.created',
        'charge.dispute.closed',
        'transfer.reversed',
      ]),
    );
    const before = await Promise.all(c.sellers.map((seller) => facts(seller.partnerId, c)));
    const again = await stripeLogMark();
    for (const event of events) expect((await postPlatformWebhook(reissue(event))).status).toBe(200);
    expect((await stripeCallsSince(again)).map((e) => e.endpoint)).toEqual([]);
    expect(await Promise.all(c.sellers.map((seller) => facts(seller.partnerId, c)))).toEqual(before);
  });
});

describe('a refund before the sellers are paid', () => {
  it('sends each seller their net minus their share of what was refunded: the seller is never paid refunded money', async () => {
    const c = await cart('msd-early');
    await deliverWebhooks();
    // Stripe's deliveries are held: the customer pays and is refunded half of b's item and all of c's before any
    // event reaches us (no transfer exists yet).
    await emulator().setDeliveryMode({ hold: true });
    expect((await payCheckout(c.url, 'pay')).status).toBe(303);
    const { chargeId } = await chargeOf(c.paymentId);
    const halfOfB = Math.floor((GROSS[1] ?? 0) / 2);
    await stripeSdk().refunds.create({
      charge: chargeId,
      amount: halfOfB,
      metadata: { partnerId: c.sellers[1]?.partnerId ?? '' },
    });
    await stripeSdk().refunds.create({
      charge: chargeId,
      amount: GROSS[2] ?? 0,
      metadata: { partnerId: c.sellers[2]?.partnerId ?? '' },
    });
    expect(await transfersOf(c.orderId)).toEqual([]);
    await emulator().setDeliveryMode({ hold: false });
    await deliverWebhooks();
    await paymentWithStatus(c.paymentId, 'partially_refunded');

    const withheld = [0, shareOf(1, halfOfB), NETS[2] ?? 0];
    const transfers = await eventually(
      () => transfersOf(c.orderId),
      (list) => list.length === 2,
    );
    // a: the whole net; b: net minus b's refund share; c (wholly refunded): no transfer at all. Nothing reversed.
    expect(transferTo(transfers, c.sellers[0] as Seller)).toMatchObject({ amount: NETS[0], amount_reversed: 0 });
    expect(transferTo(transfers, c.sellers[1] as Seller)).toMatchObject({
      amount: (NETS[1] ?? 0) - (withheld[1] ?? 0),
      amount_reversed: 0,
    });
    expect(transferTo(transfers, c.sellers[2] as Seller)).toBeUndefined();
    for (const [i, seller] of c.sellers.entries()) {
      const visible = (await facts(seller.partnerId, c)).filter(([type]) => VISIBLE.has(type));
      expect(visible, seller.partnerId).toEqual([
        ['earning', NETS[i] ?? 0],
        ...((withheld[i] ?? 0) > 0 ? [['refund', -(withheld[i] ?? 0)]] : []),
      ]);
      // Stripe's transfer (none for c) = earnings + refunds; the ledger agrees with the seller's Stripe balance.
      expect(await orderSums(seller.partnerId, c)).toEqual({ visible: (NETS[i] ?? 0) - (withheld[i] ?? 0), held: 0 });
      await expectStripeAgrees(seller);
    }
    // Redelivered, nothing changes.
    await deliverWebhooks();
    expect((await transfersOf(c.orderId)).map((t) => t.amount_reversed)).toEqual([0, 0]);
  });

  it('a transfer failing while the whole order is refunded: the fixed amount is refused, a new one (nothing) is fixed and no seller is paid', async () => {
    const c = await cart('msd-failing');
    await deliverWebhooks();
    // Stripe fails every Transfer for a while: the order is paid, its sellers not.
    await emulator().addFault({ endpoint: 'POST /v1/transfers', serverErrorRate: 1 });
    expect((await payCheckout(c.url, 'pay')).status).toBe(303);
    await deliverWebhooks();
    await paymentWithStatus(c.paymentId, 'paid');
    const order = await tableItem(`ORDER#${c.orderId}`, 'ORDER');
    // The first seller's amount was fixed (its whole net) before Stripe failed.
    expect(((order?.sellers ?? []) as { transferPlan?: unknown }[])[0]?.transferPlan).toEqual({
      amount: NETS[0],
      withheld: 0,
      attempt: 0,
    });
    expect(await transfersOf(c.orderId)).toEqual([]);

    // The customer is refunded in full; then Stripe recovers.
    const { chargeId } = await chargeOf(c.paymentId);
    await stripeSdk().refunds.create({ charge: chargeId });
    await emulator().clearFaults();
    const mark = await stripeLogMark();
    await deliverWebhooks();
    await paymentWithStatus(c.paymentId, 'refunded');
    await eventually(
      async () => (await tableItem(`ORDER#${c.orderId}`, 'ORDER'))?.sellers as { transferred?: number }[],
      (sellers) => sellers.every((s) => s.transferred === 0),
    );
    expect(await transfersOf(c.orderId)).toEqual([]);
    // Stripe refused the fixed amount once (nothing left on the charge); no other Transfer was asked for.
    expect(
      (await stripeCallsSince(mark)).filter((e) => e.endpoint === 'POST /v1/transfers').map((e) => e.status),
    ).toEqual([400]);
    for (const [i, seller] of c.sellers.entries()) {
      expect(await facts(seller.partnerId, c)).toEqual([
        ['earning', NETS[i] ?? 0],
        ['refund', -(NETS[i] ?? 0)],
      ]);
      expect(await orderSums(seller.partnerId, c)).toEqual({ visible: 0, held: 0 });
      await expectStripeAgrees(seller);
    }
  });
});
