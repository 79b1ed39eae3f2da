import Stripe from 'stripe';
import type { ChargeFact, FactPage, StripeConnectedPayoutFact, StripeTransferFact } from '#core/reconciliation';
import { stripe } from './client.ts';
import { stripeFailure } from './errors.ts';

/** Stripe's side of reconciliation (read-only calls; reconciliation-deps makes them in reconciliation's share of the rate budget). */
const idOf = (value: string | { id: string } | null | undefined): string | null =>
  value === null || value === undefined ? null : typeof value === 'string' ? value : value.id;

export function transferFact(transfer: Stripe.Transfer): StripeTransferFact {
  return {
    id: transfer.id,
    amount: transfer.amount,
    currency: transfer.currency,
    destination: idOf(transfer.destination) ?? '',
    created: transfer.created,
    amountReversed: transfer.amount_reversed,
    payoutId: transfer.metadata?.payoutId ?? null,
    partnerId: transfer.metadata?.partnerId ?? null,
    orderId: transfer.metadata?.orderId ?? null,
    sourceTransaction: idOf(transfer.source_transaction),
  };
}

/** One page of the transfers created in [start, end) (epoch seconds): one list call, after `cursor` (a transfer id). */
export async function transferPage(
  start: number,
  end: number,
  cursor: string | null,
  limit: number,
): Promise<FactPage<StripeTransferFact>> {
  const client = await stripe();
  try {
    const page = await client.transfers.list({
      created: { gte: start, lt: end },
      limit,
      ...(cursor ? { starting_after: cursor } : {}),
    });
    const last = page.data.at(-1);
    return { items: page.data.map(transferFact), next: page.has_more && last ? last.id : null };
  } catch (error) {
    throw stripeFailure(error, 'list transfers');
  }
}

const isMissing = (error: unknown) =>
  error instanceof Stripe.errors.StripeInvalidRequestError && error.code === 'resource_missing';

export async function transferById(transferId: string): Promise<StripeTransferFact | undefined> {
  try {
    return transferFact(await (await stripe()).transfers.retrieve(transferId));
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw stripeFailure(error, 'read the transfer');
  }
}

/** A charge's application fee and, from its PaymentIntent's metadata, our payment id. */
export async function chargeFact(chargeId: string): Promise<ChargeFact | undefined> {
  try {
    const client = await stripe();
    const charge = await client.charges.retrieve(chargeId);
    const intentId = idOf(charge.payment_intent);
    const intent = intentId ? await client.paymentIntents.retrieve(intentId) : null;
    return {
      chargeId: charge.id,
      paymentId: intent?.metadata?.paymentId ?? null,
      applicationFee: charge.application_fee_amount ?? null,
    };
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw stripeFailure(error, 'read the charge');
  }
}

/**
 * A connected account's bank payout, read on that account (`Stripe-Account`): undefined when Stripe has no such
 * payout there, `account_unreachable` when Stripe refuses to read the account (it left the platform).
 */
export async function connectedPayoutById(
  accountId: string,
  payoutId: string,
): Promise<StripeConnectedPayoutFact | 'account_unreachable' | undefined> {
  try {
    const payout = await (await stripe()).payouts.retrieve(payoutId, {}, { stripeAccount: accountId });
    return { id: payout.id, amount: payout.amount, currency: payout.currency, status: payout.status };
  } catch (error) {
    if (isMissing(error)) return undefined;
    if (error instanceof Stripe.errors.StripePermissionError) return 'account_unreachable';
    throw stripeFailure(error, 'read the connected payout');
  }
}
