import Stripe from 'stripe';
import type { TransferReversalOutcome } from '#core/disputes';
import { stripe } from './client.ts';
import { stripeFailure } from './errors.ts';

/**
 * Takes part of a destination charge's transfer back from the connected account (a lost dispute), with our
 * idempotency key. Stripe refusing the request itself (the transfer cannot give this amount back) is an answer; any
 * other failure is thrown so the webhook is retried with the same key.
 */
export async function reverseDestinationTransfer(request: {
  transferId: string;
  amount: number;
  idempotencyKey: string;
  metadata: Record<string, string>;
}): Promise<TransferReversalOutcome> {
  try {
    const client = await stripe();
    const reversal = await client.transfers.createReversal(
      request.transferId,
      { amount: request.amount, metadata: request.metadata },
      { idempotencyKey: request.idempotencyKey },
    );
    return { kind: 'reversed', reversalId: reversal.id, amount: reversal.amount };
  } catch (error) {
    if (
      error instanceof Stripe.errors.StripeInvalidRequestError &&
      !(error instanceof Stripe.errors.StripeIdempotencyError)
    ) {
      return { kind: 'not_reversible', message: error.code ?? error.message };
    }
    throw stripeFailure(error, 'reverse the transfer');
  }
}
