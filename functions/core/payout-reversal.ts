import type { PayoutDepsWith, PayoutRecordReader, PayoutReversalStore } from './payout-ports.ts';

/**
 * transfer.reversed for a transfer we sent: what came back becomes payable again in the next run. Stripe reports the
 * transfer's cumulative `amount_reversed`, so each event returns only what is new since the last one applied —
 * several partial reversals add up, and a late or repeated event (a smaller or equal total) changes nothing.
 */
export async function handlePayoutReversal(
  deps: PayoutDepsWith<Pick<PayoutRecordReader, 'getPayout'> & Pick<PayoutReversalStore, 'reversePayout'>, 'clock'>,
  input: { partnerId: string; payoutId: string; transferId: string; amountReversed: number; reversalId: string },
): Promise<'reversed' | 'ignored'> {
  const payout = await deps.store.getPayout(input.partnerId, input.payoutId);
  if (payout?.status === 'sending' && payout.stripeTransferId === null) {
    // Stripe made the transfer but the worker has not recorded it yet (a timeout after commit, a crash): the
    // reversal applies once it is recorded. Thrown so the event is delivered again, never acknowledged and lost.
    throw new Error(`payout ${payout.id} has not recorded its transfer yet; the reversal event is retried`);
  }
  // Only the transfer we recorded for the payout: metadata alone could be copied onto another transfer.
  if (!payout || (payout.status !== 'paid' && payout.status !== 'reversed')) return 'ignored';
  if (payout.stripeTransferId !== input.transferId) return 'ignored';
  if (Math.min(input.amountReversed, payout.amount) <= payout.reversedAmount) return 'ignored'; // applied already
  return (await deps.store.reversePayout(
    payout,
    input.amountReversed,
    input.reversalId,
    deps.clock.now().toISOString(),
  ))
    ? 'reversed'
    : 'ignored';
}
