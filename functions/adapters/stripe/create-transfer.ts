import Stripe from 'stripe';
import type { TransferGateway, TransferOutcome, TransferRequest } from '#core/payout-ports';
import { stripe } from './client.ts';

/** Stripe error codes that mean the destination cannot receive the transfer now (a state, not a bug). */
const DESTINATION_CODES = new Set([
  'insufficient_capabilities_for_transfer',
  'account_invalid',
  'transfers_not_allowed',
]);

/**
 * `transfers.create` for one payout, classified for the payout worker. The idempotency key comes from the caller
 * (derived from the payout id and attempt); the SDK's own network retries reuse it.
 */
export async function createPayoutTransfer(request: TransferRequest): Promise<TransferOutcome> {
  const params: Stripe.TransferCreateParams = {
    amount: request.amount,
    currency: request.currency,
    destination: request.destination,
    transfer_group: request.transferGroup,
    description: `Payout ${request.period}`,
    metadata: { payoutId: request.payoutId, partnerId: request.partnerId, period: request.period },
  };
  try {
    const transfer = await (await stripe()).transfers.create(params, { idempotencyKey: request.idempotencyKey });
    return { kind: 'created', transferId: transfer.id };
  } catch (error) {
    return classify(error);
  }
}

export function classify(error: unknown): TransferOutcome {
  if (!(error instanceof Stripe.errors.StripeError)) return { kind: 'ambiguous', message: String(error) };
  if (error instanceof Stripe.errors.StripeRateLimitError) return { kind: 'rate_limited' };
  if (error.code === 'balance_insufficient') return { kind: 'insufficient_funds' };
  if (error.code && DESTINATION_CODES.has(error.code))
    return { kind: 'destination_unavailable', message: error.message };
  if (error instanceof Stripe.errors.StripePermissionError)
    return { kind: 'destination_unavailable', message: error.message };
  if (
    error instanceof Stripe.errors.StripeInvalidRequestError ||
    error instanceof Stripe.errors.StripeIdempotencyError
  ) {
    return { kind: 'rejected', message: error.message };
  }
  // StripeAPIError (5xx), StripeConnectionError, timeouts: the transfer may exist.
  return { kind: 'ambiguous', message: error.message };
}

/**
 * The transfer already sent for a payout, found by its transfer group (the run) and `metadata.payoutId`. Used
 * before a payout is ever sent with a new idempotency key, so the same money is never transferred twice.
 */
export async function findPayoutTransfer(
  transferGroup: string,
  payoutId: string,
  destination: string,
): Promise<string | undefined> {
  const client = await stripe();
  // Filtered by destination too: one page for the partner, not the whole run.
  for await (const transfer of client.transfers.list({ transfer_group: transferGroup, destination, limit: 100 })) {
    if (transfer.metadata?.payoutId === payoutId) return transfer.id;
  }
  return undefined;
}

/** The payout run's Transfers port (the payout worker's `access.stripe: 'transfers'`). */
export const stripeTransfers: TransferGateway = { create: createPayoutTransfer, findForPayout: findPayoutTransfer };
