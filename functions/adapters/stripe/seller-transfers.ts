import Stripe from 'stripe';
import type { StripePayments } from '#core/payment-ports';
import { idempotencyKey, stripe } from './client.ts';
import { stripeFailure } from './errors.ts';

/**
 * Separate charges and transfers (orders of several sellers): one Transfer per seller, funded by the order's charge
 * (`source_transaction`), grouped by the order id; reversals of it when the customer is refunded.
 */
export const createSellerTransfer: StripePayments['createSellerTransfer'] = async (request) => {
  const params: Stripe.TransferCreateParams = {
    amount: request.amount,
    currency: request.currency,
    destination: request.destination,
    source_transaction: request.sourceTransaction,
    transfer_group: request.orderId,
    description: `Order ${request.orderId}`,
    metadata: { ...request.metadata, orderId: request.orderId, partnerId: request.partnerId },
  };
  const ids = request.attempt === 0 ? [] : [`a${request.attempt}`];
  try {
    const transfer = await (await stripe()).transfers.create(params, {
      idempotencyKey: idempotencyKey('order-transfer', request.orderId, request.partnerId, ...ids),
    });
    return { kind: 'created', id: transfer.id };
  } catch (error) {
    // Stripe refused the request itself (nothing was sent); an idempotency conflict or any other failure is retried.
    if (
      error instanceof Stripe.errors.StripeInvalidRequestError &&
      !(error instanceof Stripe.errors.StripeIdempotencyError)
    ) {
      return { kind: 'refused', message: error.code ?? error.message };
    }
    throw stripeFailure(error, "pay the seller's share");
  }
};

export const reverseSellerTransfer: StripePayments['reverseSellerTransfer'] = async (request) => {
  try {
    const reversal = await (await stripe()).transfers.createReversal(
      request.transferId,
      { amount: request.amount, metadata: { orderId: request.orderId, partnerId: request.partnerId } },
      { idempotencyKey: idempotencyKey('order-reversal', request.orderId, request.partnerId, request.target) },
    );
    return { id: reversal.id };
  } catch (error) {
    throw stripeFailure(error, "take back the seller's share");
  }
};

export const chargeRefunds: StripePayments['chargeRefunds'] = async (chargeId) => {
  try {
    const refunds: { amount: number; partnerId: string | null; status: string }[] = [];
    for await (const refund of (await stripe()).refunds.list({ charge: chargeId, limit: 100 })) {
      refunds.push({
        amount: refund.amount,
        partnerId: refund.metadata?.partnerId ?? null,
        status: refund.status ?? '',
      });
    }
    return refunds;
  } catch (error) {
    throw stripeFailure(error, 'read the refunds');
  }
};
