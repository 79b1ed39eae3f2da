import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { RateBudgetStore } from '#core/rate-budget';
import { dynamo, tableName } from './client.ts';
import { isConditionFailed } from './conditions.ts';
import { rateBudgetKey } from './keys.ts';

/**
 * One item per budget holding `nextAt`, the earliest start time of the next request. A reservation of `count` start
 * times is one conditional update: when the budget is idle (`nextAt` in the past) they start now; otherwise they
 * start at `nextAt`, which moves `count` intervals further. The caller says which case it expects (from the
 * `nextAt` its own last reservation left): that write is tried first, so a budget used below its rate — idle at
 * every request — costs one write per reservation, not a refused one and then the right one. Concurrent workers in
 * any number of Lambda invocations serialize on the item.
 */
export const dynamoRateBudgetStore: RateBudgetStore = {
  async reserve(budget, now, intervalMs, count, expectIdle = false) {
    const advance = intervalMs * count;
    const Key = rateBudgetKey(budget);
    /** Busy: one write takes the next start time and moves it on. */
    const whenBusy = async () => {
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
    };
    /** Idle: nextAt is in the past (or unset), so start now. */
    const whenIdle = async () => {
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
    };
    const [first, second] = expectIdle ? [whenIdle, whenBusy] : [whenBusy, whenIdle];
    for (;;) {
      // Exactly one of the two conditions holds at any moment; a refused write means the other case (or that
      // someone moved the budget between our two writes: then we try again).
      for (const attempt of [first, second]) {
        try {
          return await attempt();
        } catch (error) {
          if (!isConditionFailed(error)) throw error;
        }
      }
    }
  },
};
