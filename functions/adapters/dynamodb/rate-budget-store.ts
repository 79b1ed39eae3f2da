import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { RateBudgetStore } from '#core/rate-budget';
import { dynamo, tableName } from './client.ts';
import { rateBudgetSlotKey } from './keys.ts';

/**
 * One item per budget and slot; `taken` grows with a conditional ADD, so concurrent workers in any number of
 * Lambda invocations never take more than the slot's capacity. Items expire through TTL a minute later.
 */
export const dynamoRateBudgetStore: RateBudgetStore = {
  async tryTake(budget, slot, capacity, expiresAt) {
    try {
      await dynamo().send(
        new UpdateCommand({
          TableName: tableName(),
          Key: rateBudgetSlotKey(budget, slot),
          UpdateExpression: 'ADD taken :one SET #ttl = :ttl, entity = :entity',
          ConditionExpression: 'attribute_not_exists(taken) OR taken < :capacity',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':one': 1,
            ':ttl': expiresAt,
            ':capacity': capacity,
            ':entity': 'rate-budget-slot',
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  },
};
