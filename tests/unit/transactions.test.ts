import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { failedConditions, isConditionFailed } from '#adapters/dynamodb/conditions';
import { type TransactItem, transactWrite } from '#adapters/dynamodb/transactions';

/** What DynamoDB answers when a transaction is cancelled: one reason per item, in order. */
function cancelled(...codes: string[]): TransactionCanceledException {
  return new TransactionCanceledException({
    message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(', ')}]`,
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });
}

const items: TransactItem[] = [
  {
    Update: {
      TableName: 't',
      Key: { PK: 'a', SK: 'b' },
      UpdateExpression: 'SET x = :x',
      ExpressionAttributeValues: { ':x': 1 },
    },
  },
  {
    Update: {
      TableName: 't',
      Key: { PK: 'run', SK: 'RUN' },
      UpdateExpression: 'ADD c :one',
      ExpressionAttributeValues: { ':one': 1 },
    },
  },
];

/** A client whose sends fail with the given errors in turn, then succeed; records how long it was made to wait. */
function scripted(...failures: unknown[]) {
  const calls: unknown[] = [];
  const waits: number[] = [];
  return {
    calls,
    waits,
    options: {
      client: {
        send: async (command: unknown) => {
          calls.push(command);
          const failure = failures.shift();
          if (failure) throw failure;
          return {};
        },
      } as never,
      sleep: async (ms: number) => {
        waits.push(ms);
      },
      random: () => 1,
    },
  };
}

describe('transactWrite', () => {
  it('sends again after a collision with another transaction, and succeeds', async () => {
    const s = scripted(cancelled('None', 'TransactionConflict'), cancelled('TransactionConflict', 'None'));
    await transactWrite(items, s.options);
    expect(s.calls).toHaveLength(3);
    expect(s.waits).toEqual([40, 80]); // 20 ms × 2ⁿ (full jitter, here at its maximum)
  });

  it('sends again after throttling', async () => {
    const s = scripted(cancelled('ThrottlingError', 'None'), cancelled('None', 'ProvisionedThroughputExceeded'));
    await transactWrite(items, s.options);
    expect(s.calls).toHaveLength(3);
  });

  it('throws a failed condition at once, even beside a collision', async () => {
    const s = scripted(cancelled('ConditionalCheckFailed', 'TransactionConflict'));
    const error = await transactWrite(items, s.options).catch((e: unknown) => e);
    expect(isConditionFailed(error)).toBe(true);
    expect(failedConditions(error)).toEqual([true, false]);
    expect(s.calls).toHaveLength(1);
  });

  it('rethrows a collision that persists, and it is not taken for a failed condition', async () => {
    const s = scripted(...Array.from({ length: 6 }, () => cancelled('None', 'TransactionConflict')));
    const error = await transactWrite(items, s.options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionCanceledException);
    expect(isConditionFailed(error)).toBe(false);
    expect(failedConditions(error)).toBeUndefined();
    expect(s.calls).toHaveLength(6);
    expect(s.waits).toHaveLength(5);
  });

  it('does not retry other errors, nor validation cancellations', async () => {
    const other = scripted(new Error('socket hang up'));
    await expect(transactWrite(items, other.options)).rejects.toThrow('socket hang up');
    expect(other.calls).toHaveLength(1);
    const invalid = scripted(cancelled('ValidationError', 'None'));
    const error = await transactWrite(items, invalid.options).catch((e: unknown) => e);
    expect(isConditionFailed(error)).toBe(false);
    expect(invalid.calls).toHaveLength(1);
  });

  it('sends nothing for no items', async () => {
    const s = scripted();
    await transactWrite([], s.options);
    expect(s.calls).toHaveLength(0);
  });

  it('a failed condition of a single write is a failed condition, without per-item positions', () => {
    const single = new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
    expect(isConditionFailed(single)).toBe(true);
    expect(failedConditions(single)).toBeUndefined();
    expect(isConditionFailed(new Error('socket hang up'))).toBe(false);
    expect(isConditionFailed(undefined)).toBe(false);
  });
});
