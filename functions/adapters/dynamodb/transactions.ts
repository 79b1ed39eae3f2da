import {
  type DynamoDBDocumentClient,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { dynamo } from './client.ts';
import { cancellationCodes, failedConditions, isConditionFailed } from './conditions.ts';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * Per-item cancellation codes that mean the transaction collided with another one on a shared item (a run's
 * counters, a partner's balance) or was throttled: nothing was written and the same write can succeed when sent
 * again. DynamoDB reports them as a `TransactionCanceledException`, like a failed condition.
 */
const TRANSIENT_CODES = new Set(['TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded']);

export { failedConditions, isConditionFailed };

export interface TransactWriteOptions {
  /** Sends in all (default 6). */
  attempts?: number;
  client?: Pick<DynamoDBDocumentClient, 'send'>;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/**
 * One `TransactWriteItems`, sent again (full-jitter backoff, 20 ms × 2ⁿ, at most 6 sends) while DynamoDB cancels it
 * only for a collision or throttling. A failed condition is final and thrown at once. Under load in AWS, concurrent
 * transactions on the same item collide (the run's counters are touched by every payout's completion); without this,
 * a collision would surface as a failure and cost a whole queue redelivery.
 */
export async function transactWrite(items: TransactItem[], options: TransactWriteOptions = {}): Promise<void> {
  if (items.length === 0) return;
  const attempts = Math.max(1, options.attempts ?? 6);
  const client = options.client ?? dynamo();
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      await client.send(new TransactWriteCommand({ TransactItems: items }));
      return;
    } catch (error) {
      const codes = cancellationCodes(error);
      const transient =
        codes !== undefined && !isConditionFailed(error) && codes.some((code) => TRANSIENT_CODES.has(code));
      if (!transient || attempt >= attempts) throw error;
      await sleep(random() * 20 * 2 ** attempt);
    }
  }
}
