import type { Order, Payment } from './payment.ts';
import type { PayoutRecord } from './payment-ports.ts';

/** The JSON shapes operators see for payments and orders, and partners for payouts. */

export function adminPaymentView(payment: Payment) {
  return {
    id: payment.id,
    kind: payment.kind,
    orderId: payment.orderId,
    partnerId: payment.partnerId,
    customerSub: payment.customerSub,
    amount: payment.amount,
    currency: payment.currency,
    fee: payment.fee,
    net: payment.net,
    feeBps: payment.feeBps,
    description: payment.description,
    metadata: payment.metadata,
    reference: payment.reference,
    status: payment.status,
    amountRefunded: payment.amountRefunded,
    partnerRefunded: payment.partnerRefunded,
    disputed: payment.dispute !== null,
    dispute: payment.dispute
      ? {
          id: payment.dispute.id,
          status: payment.dispute.status,
          reason: payment.dispute.reason,
          amount: payment.dispute.amount,
        }
      : null,
    failureCode: payment.failureCode,
    stripe: {
      accountId: payment.stripeAccountId,
      paymentIntentId: payment.stripePaymentIntentId,
      chargeId: payment.stripeChargeId,
      checkoutSessionId: payment.stripeCheckoutSessionId,
    },
    paidAt: payment.paidAt,
    createdAt: payment.createdAt,
    updatedAt: payment.updatedAt,
  };
}

export function adminOrderView(order: Order, payment: Payment | undefined) {
  return {
    id: order.id,
    partnerId: order.partnerId,
    customerSub: order.customerSub,
    customerEmail: order.customerEmail,
    currency: order.currency,
    amount: order.amount,
    fee: order.fee,
    net: order.net,
    status: order.status,
    reference: order.reference,
    metadata: order.metadata,
    items: order.items,
    successUrl: order.successUrl,
    cancelUrl: order.cancelUrl,
    stripeCheckoutSessionId: order.stripeCheckoutSessionId,
    payment: payment ? adminPaymentView(payment) : null,
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
  };
}

/**
 * A platform payout to the partner (the monthly run): the final shape of `GET /payouts` entries. `entryCount` is
 * the number of ledger entries the payout covers; `reason` says why an amount was carried forward or failed.
 */
export function payoutView(payout: PayoutRecord) {
  return {
    id: payout.id,
    period: payout.period,
    amount: payout.amount,
    currency: payout.currency,
    status: payout.status,
    stripeTransferId: payout.stripeTransferId,
    reversedAmount: payout.reversedAmount,
    entryCount: payout.entryCount,
    coveredEarnings: payout.coveredEarnings,
    reason: payout.reason,
    createdAt: payout.createdAt,
    updatedAt: payout.updatedAt,
  };
}

/** What the customer who placed an order sees of it (nothing about the seller's fee). */
export function customerOrderView(order: Order) {
  return {
    id: order.id,
    partnerId: order.partnerId,
    currency: order.currency,
    amount: order.amount,
    status: order.status,
    reference: order.reference,
    items: order.items.map((item) => ({
      listingId: item.listingId,
      name: item.name,
      unitAmount: item.unitAmount,
      quantity: item.quantity,
      amount: item.amount,
    })),
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
  };
}
