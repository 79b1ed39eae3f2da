import type Stripe from 'stripe';
import { isDisputeStatus, type StripeDisputeView } from '#core/disputes';
import { stripe } from './client.ts';
import { stripeFailure } from './errors.ts';

const idOf = (value: string | { id: string } | null | undefined): string | null =>
  value === null || value === undefined ? null : typeof value === 'string' ? value : value.id;

/** A dispute as Stripe has it now: its status and, from its withdrawal, the dispute fee Stripe took. */
export async function retrieveDispute(disputeId: string): Promise<StripeDisputeView> {
  let dispute: Stripe.Dispute;
  try {
    const client = await stripe();
    dispute = await client.disputes.retrieve(disputeId);
  } catch (error) {
    throw stripeFailure(error, 'read the dispute');
  }
  return disputeView(dispute);
}

export function disputeView(dispute: Stripe.Dispute): StripeDisputeView {
  // A status this code does not know yet stays open: nothing is released or taken back on a guess.
  const status = isDisputeStatus(dispute.status) ? dispute.status : 'under_review';
  const withdrawal = dispute.balance_transactions.find((txn) => txn.amount < 0 && txn.fee > 0);
  return {
    id: dispute.id,
    status,
    reason: dispute.reason ?? null,
    amount: dispute.amount,
    currency: dispute.currency,
    chargeId: idOf(dispute.charge),
    paymentIntentId: idOf(dispute.payment_intent),
    fee: withdrawal ? { amount: withdrawal.fee, currency: withdrawal.currency } : null,
    created: dispute.created,
  };
}
