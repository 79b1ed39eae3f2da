import { randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { dynamoReconciliationStore } from '#adapters/dynamodb/reconciliation-store';
import { reconciliationDeps } from '#adapters/reconciliation-deps';
import { type Discrepancy, reconcileDay } from '#core/reconciliation';
import { api } from '#tests/local';
import {
  activePayee,
  admin,
  customer,
  deliverWebhooks,
  emulator,
  eventually,
  ledgerOf,
  payCheckout,
  paymentWithStatus,
  stripeSdk,
  tableItem,
} from '#tests/payments';
import { buyListings, createListing, expectCountersMatchOrders } from '#tests/sales';

/** A cart across three sellers: separate charges and transfers, reconciled against Stripe's transfers. */

async function transfersOf(orderId: string): Promise<Stripe.Transfer[]> {
  const transfers: Stripe.Transfer[] = [];
  for await (const transfer of stripeSdk().transfers.list({ transfer_group: orderId, limit: 100 })) {
    transfers.push(transfer);
  }
  return transfers;
}

/** What the ledger says each seller got from the order: earnings + refunds (their visible lines). */
async function ledgerNet(partnerId: string, orderId: string) {
  const { entries } = await ledgerOf(partnerId);
  return entries
    .filter((entry) => entry.reference === orderId && (entry.type === 'earning' || entry.type === 'refund'))
    .reduce((sum, entry) => sum + entry.amount, 0);
}

describe('a cart across sellers', () => {
  it('charges on the platform, transfers each seller their net from the charge, and a partial refund of one item reverses only that seller', async () => {
    const sellers = await Promise.all([activePayee('ms-a'), activePayee('ms-b'), activePayee('ms-c')]);
    const ops = await admin();
    const bps = [300, 500, 1_000];
    for (const [i, seller] of sellers.entries()) {
      const set = await api('PUT', `/admin/partners/${seller.partnerId}/fee-policy`, {
        token: ops.idToken,
        body: { bps: bps[i] },
      });
      expect(set.status).toBe(200);
    }
    const prices = [3_333, 12_345, 9_999];
    const quantities = [3, 1, 2];
    const listings = await Promise.all(
      sellers.map((seller, i) =>
        createListing(seller.idToken, { title: `Item ${i}`, unitAmount: prices[i], capacity: 10 }),
      ),
    );
    const buyer = await customer('ms-buyer');
    const order = await buyListings(
      buyer.idToken,
      listings.map((listing, i) => ({ listingId: listing.id, quantity: quantities[i] ?? 1 })),
    );
    expect(order.status, order.text).toBe(201);
    const { orderId, paymentId } = order.body;
    expect((await payCheckout(order.body.url, 'pay')).status).toBe(303);
    await paymentWithStatus(paymentId, 'paid');

    const gross = prices.map((price, i) => price * (quantities[i] ?? 0));
    const fees = gross.map((g, i) => Math.floor((g * (bps[i] ?? 0) + 5_000) / 10_000));
    const nets = gross.map((g, i) => g - (fees[i] ?? 0));
    // The charge stayed on the platform: no destination, no application fee, the order id as transfer group.
    const payment = await tableItem(`PAYMENT#${paymentId}`, 'PAYMENT');
    const intent = await stripeSdk().paymentIntents.retrieve(String(payment?.stripePaymentIntentId), {
      expand: ['latest_charge'],
    });
    expect(intent.transfer_data).toBeNull();
    expect(intent.application_fee_amount).toBeNull();
    expect(intent.transfer_group).toBe(orderId);
    const chargeId = (intent.latest_charge as Stripe.Charge).id;

    const transfers = await eventually(
      () => transfersOf(orderId),
      (list) => list.length === 3,
    );
    expect(transfers).toHaveLength(3);
    for (const [i, seller] of sellers.entries()) {
      const transfer = transfers.find((t) => t.destination === seller.accountId);
      expect(transfer, seller.partnerId).toMatchObject({
        amount: nets[i],
        source_transaction: chargeId,
        transfer_group: orderId,
        metadata: { orderId, partnerId: seller.partnerId },
      });
      expect(await ledgerNet(seller.partnerId, orderId)).toBe(nets[i]);
    }
    const log = await stripeSdk().transfers.list({ transfer_group: orderId });
    expect(log.data).toHaveLength(3);

    // A partial refund of seller b's item (half of it): only b's transfer is reversed, by b's share of it.
    const refunded = Math.floor((gross[1] ?? 0) / 2);
    await stripeSdk().refunds.create({
      charge: chargeId,
      amount: refunded,
      metadata: { partnerId: sellers[1]?.partnerId ?? '' },
    });
    await deliverWebhooks();
    await paymentWithStatus(paymentId, 'partially_refunded');
    const feeBack = Math.floor(((fees[1] ?? 0) * refunded * 2 + (gross[1] ?? 0)) / (2 * (gross[1] ?? 1)));
    const expectedReversal = refunded - feeBack;
    const after = await eventually(
      () => transfersOf(orderId),
      (list) => list.some((t) => t.amount_reversed > 0),
    );
    for (const [i, seller] of sellers.entries()) {
      const transfer = after.find((t) => t.destination === seller.accountId);
      expect(transfer?.amount_reversed, seller.partnerId).toBe(i === 1 ? expectedReversal : 0);
      // Stripe's transfers and the ledger reconcile, per seller: transferred − reversed = earnings + refunds.
      expect(await ledgerNet(seller.partnerId, orderId)).toBe(
        (transfer?.amount ?? 0) - (transfer?.amount_reversed ?? 0),
      );
    }
    // Duplicated deliveries and a second look change nothing.
    await deliverWebhooks();
    const again = await transfersOf(orderId);
    expect(again.map((t) => t.amount_reversed).sort()).toEqual(after.map((t) => t.amount_reversed).sort());
    for (const listing of listings) expect((await expectCountersMatchOrders(listing.id)).sold).toBeGreaterThan(0);

    // The daily reconciliation compares each seller's transfer with the order's record of it: nothing differs...
    const mine = new Set(after.map((t) => t.id));
    const reconcile = async () => {
      const found: Discrepancy[] = [];
      for (const date of new Set(after.map((t) => new Date(t.created * 1000).toISOString().slice(0, 10)))) {
        await reconcileDay(reconciliationDeps(), date, `inline-${randomUUID()}`);
        found.push(
          ...(await dynamoReconciliationStore.get(date)).discrepancies.filter((d) => mine.has(d.stripeId ?? '')),
        );
      }
      return found;
    };
    expect(await reconcile()).toEqual([]);
    // ...and a seller's reversal Stripe made without its event is found (the positive control).
    const first = after.find((t) => t.destination === sellers[0]?.accountId);
    await emulator().injectDiscrepancy({ kind: 'reversal_without_webhook', transferId: first?.id ?? '', amount: 100 });
    expect(await reconcile()).toEqual([
      expect.objectContaining({
        kind: 'reversal_unrecorded',
        stripeId: first?.id,
        recordId: orderId,
        expected: 0,
        actual: 100,
      }),
    ]);

    // One earning per seller, in that seller's own ledger only.
    for (const seller of sellers) {
      const { entries } = await ledgerOf(seller.partnerId);
      const mine = entries.filter((entry) => entry.reference === orderId);
      expect(mine.filter((entry) => entry.type === 'earning')).toHaveLength(1);
      expect(mine.every((entry) => entry.id.startsWith(`${orderId}:${seller.partnerId}:`))).toBe(true);
    }
  });
});
