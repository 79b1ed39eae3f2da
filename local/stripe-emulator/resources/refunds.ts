import { formatAmount } from '../currency.ts';
import { invalidRequest, missingParam, resourceMissing } from '../errors.ts';
import { paginate, readPage } from '../pagination.ts';
import { applyMetadata, inRange } from '../params.ts';
import type { RequestContext, Router } from '../router.ts';
import { PLATFORM } from '../store.ts';
import type { ApplicationFeeRefund, Charge, Refund } from '../types.ts';
import { reverseTransfer } from './transfers.ts';

function createRefund(ctx: RequestContext): Refund {
  const { core, params: p } = ctx;
  const chargeId = p.string('charge');
  const piId = p.string('payment_intent');
  if (!chargeId && !piId) throw missingParam('charge');
  let charge: Charge | undefined;
  if (chargeId) {
    charge = core.store.charges.get(chargeId, ctx.owner);
    if (!charge) throw resourceMissing('charge', chargeId, 'charge', 400);
  } else if (piId) {
    const pi = core.store.paymentIntents.get(piId, ctx.owner);
    if (!pi) throw resourceMissing('payment_intent', piId, 'payment_intent', 400);
    charge = pi.latest_charge ? core.store.charges.get(pi.latest_charge) : undefined;
    if (charge?.status !== 'succeeded') {
      throw invalidRequest(`This PaymentIntent (${piId}) does not have a successful charge to refund.`, {
        param: 'payment_intent',
        code: 'charge_not_refundable',
      });
    }
  }
  if (!charge) throw missingParam('charge');
  if (charge.status !== 'succeeded') {
    throw invalidRequest(`Charge ${charge.id} has not succeeded and cannot be refunded.`, {
      code: 'charge_not_refundable',
    });
  }
  const remaining = charge.amount - charge.amount_refunded;
  if (remaining <= 0) {
    throw invalidRequest(`Charge ${charge.id} has already been refunded.`, { code: 'charge_already_refunded' });
  }
  const amount = p.int('amount', { min: 1 }) ?? remaining;
  if (amount > remaining) {
    throw invalidRequest(
      `Refund amount (${formatAmount(amount, charge.currency)}) is greater than unrefunded amount on charge (${formatAmount(remaining, charge.currency)})`,
      { param: 'amount' },
    );
  }
  const reason = p.string('reason', { enum: ['duplicate', 'fraudulent', 'requested_by_customer'] }) ?? null;
  const metadata = applyMetadata({}, p.metadata());
  const reverse = p.bool('reverse_transfer') ?? false;
  const refundFee = p.bool('refund_application_fee') ?? false;
  p.ignore('instructions_email', 'origin');
  p.done();
  if (reverse && !charge.transfer) {
    throw invalidRequest('You cannot reverse the transfer of a charge that has no transfer (`reverse_transfer`).', {
      param: 'reverse_transfer',
    });
  }
  const now = core.now();
  const before = structuredClone(charge);
  const id = core.id('re');
  const txn = core.store.ledger.post(ctx.owner, {
    id: core.id('txn'),
    amount: -amount,
    currency: charge.currency,
    type: 'refund',
    source: id,
    created: now,
    availableOn: now,
  });
  const refund: Refund = {
    id,
    object: 'refund',
    amount,
    balance_transaction: txn.id,
    charge: charge.id,
    created: now,
    currency: charge.currency,
    metadata,
    payment_intent: charge.payment_intent,
    reason,
    receipt_number: null,
    source_transfer_reversal: null,
    status: 'succeeded',
    transfer_reversal: null,
  };
  if (reverse && charge.transfer) {
    const transfer = core.store.transfers.get(charge.transfer);
    if (transfer) {
      // Stripe reverses the transfer in proportion to the refunded share of the charge.
      const share = Math.round((amount * transfer.amount) / charge.amount);
      const reversible = Math.min(share, transfer.amount - transfer.amount_reversed);
      if (reversible > 0) {
        refund.transfer_reversal = reverseTransfer(core, transfer, reversible, { sourceRefund: id }).id;
      }
    }
  }
  if (refundFee && charge.application_fee) {
    const fee = core.store.applicationFees.get(charge.application_fee);
    if (fee) {
      const share = Math.min(Math.round((amount * fee.amount) / charge.amount), fee.amount - fee.amount_refunded);
      if (share > 0) {
        const frId = core.id('fr');
        const frTxn = core.store.ledger.post(PLATFORM, {
          id: core.id('txn'),
          amount: -share,
          currency: fee.currency,
          type: 'application_fee_refund',
          source: frId,
          created: now,
          availableOn: now,
        });
        core.store.ledger.post(fee.account, {
          id: core.id('txn'),
          amount: share,
          currency: fee.currency,
          type: 'application_fee_refund',
          source: frId,
          created: now,
          availableOn: now,
        });
        const feeRefund: ApplicationFeeRefund = {
          id: frId,
          object: 'fee_refund',
          amount: share,
          balance_transaction: frTxn.id,
          created: now,
          currency: fee.currency,
          fee: fee.id,
          metadata: {},
        };
        core.store.feeRefunds.add(PLATFORM, feeRefund);
        fee.amount_refunded += share;
        fee.refunded = fee.amount_refunded === fee.amount;
        fee.refunds.data.unshift(feeRefund);
        fee.refunds.total_count = fee.refunds.data.length;
        core.emit('application_fee.refunded', fee);
      }
    }
  }
  core.store.refunds.add(ctx.owner, refund);
  charge.amount_refunded += amount;
  charge.refunded = charge.amount_refunded === charge.amount;
  charge.refunds.data.unshift(refund);
  charge.refunds.total_count = charge.refunds.data.length;
  const account = ctx.account;
  core.emit('refund.created', refund, { account });
  core.emit('charge.refunded', charge, {
    account,
    previous: { amount_refunded: before.amount_refunded, refunded: before.refunded, refunds: before.refunds },
  });
  return refund;
}

export function registerRefundRoutes(r: Router): void {
  r.post('/v1/refunds', createRefund);
  r.get('/v1/refunds/:id', (ctx) => {
    const id = ctx.pathParams.id as string;
    const refund = ctx.core.store.refunds.get(id, ctx.owner);
    if (!refund) throw resourceMissing('refund', id);
    return refund;
  });
  r.post('/v1/refunds/:id', (ctx) => {
    const id = ctx.pathParams.id as string;
    const refund = ctx.core.store.refunds.get(id, ctx.owner);
    if (!refund) throw resourceMissing('refund', id);
    const metadata = ctx.params.metadata();
    ctx.params.done();
    refund.metadata = applyMetadata(refund.metadata, metadata);
    return refund;
  });
  r.get('/v1/refunds', (ctx) => {
    const p = ctx.params;
    const charge = p.string('charge');
    const pi = p.string('payment_intent');
    const created = p.range('created');
    const page = readPage(p);
    const items = ctx.core.store.refunds.list(
      ctx.owner,
      (x) =>
        (charge === undefined || x.charge === charge) &&
        (pi === undefined || x.payment_intent === pi) &&
        inRange(x.created, created),
    );
    return paginate(items, page, '/v1/refunds', 'refund');
  });
}
