import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { RateBudgetStore } from '#core/rate-budget';
import { dynamo, tableName } from './client.ts';
import { isConditionFailed } from './conditions.ts';
import { rateBudgetKey } from './keys.ts';

/**
 * One item per budget holding `nextAt`, the earliest start time of the next request. A reservation of `count` start
 * times is one conditional update: when the budget is idle (`nextAt` in the past) they start now; otherwise they
 * start at `nextAt`, which moves `count` intervals further (tried first: under load that is one write per block).
 * Concurrent workers in any number of Lambda invocations serialize on the item.
 */
export const dynamoRateBudgetStore: RateBudgetStore = {
  async reserve(budget, now, intervalMs, count) {
    const advance = intervalMs * count;
    const Key = rateBudgetKey(budget);
    for (;;) {
      // Busy (the usual case under load): one write takes the next start time and moves it on.
      try {
        const result = await dynamo().send(
          new UpdateCommand({
            TableName: tableName(),
            Key,
            UpdateExpression: 'SET nextAt = nextAt + :advance',
            ConditionExpression: 'nextAt > :now',
            ExpressionAttributeValues: { ':advance': advance, ':now': now },
            ReturnValues: 'UPDATED_OLD',
          }),
        );
        return Number(result.Attributes?.nextAt ?? now);
      } catch (error) {
        // Idle: nextAt is in the past (or unset), so start now.
        if (!isConditionFailed(error)) throw error;
      }
      try {
        await dynamo().send(
          new UpdateCommand({
            TableName: tableName(),
            Key,
            UpdateExpression: 'SET nextAt = :next, entity = :entity',
            ConditionExpression: 'attribute_not_exists(nextAt) OR nextAt <= :now',
            ExpressionAttributeValues: { ':next': now + advance, ':now': now, ':entity': 'rate-budget' },
          }),
        );
        return now;
      } catch (error) {
        // Someone restarted it between our two writes: queue behind them.
        if (!isConditionFailed(error)) throw error;
      }
    }
  },
};
