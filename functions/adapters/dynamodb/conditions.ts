import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';

/**
 * The one way the adapters tell a failed condition — someone else's write got there first, or the item is not in
 * the state the write expects — from any other failure: a single conditional write's
 * `ConditionalCheckFailedException`, or a transaction cancelled because one of its conditions did not hold.
 */

/** The per-item cancellation codes of a cancelled transaction; undefined for anything else. */
export function cancellationCodes(error: unknown): string[] | undefined {
  if (!(error instanceof TransactionCanceledException)) return undefined;
  return (error.CancellationReasons ?? []).map((reason) => reason.Code ?? 'None');
}

/**
 * A conditional write (single or in a transaction) refused because its condition did not hold. A transaction
 * cancelled only by a collision or throttling is _not_ that (nothing is known about the items then): `transactWrite`
 * retries it and rethrows it if it persists, so it is never mistaken for "already done".
 */
export function isConditionFailed(error: unknown): boolean {
  if (error instanceof ConditionalCheckFailedException) return true;
  // The same exception from another copy of the SDK (a bundled client next to the shared one).
  if ((error as { name?: unknown } | null)?.name === 'ConditionalCheckFailedException') return true;
  return cancellationCodes(error)?.includes('ConditionalCheckFailed') ?? false;
}

/** For a transaction cancelled by failed conditions: which items failed theirs, by position; otherwise undefined. */
export function failedConditions(error: unknown): boolean[] | undefined {
  const codes = cancellationCodes(error);
  if (!codes?.includes('ConditionalCheckFailed')) return undefined;
  return codes.map((code) => code === 'ConditionalCheckFailed');
}

/** Sends a conditional write: true when it was written, false when its condition did not hold; anything else throws. */
export async function writtenUnlessConditionFailed(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (isConditionFailed(error)) return false;
    throw error;
  }
}
