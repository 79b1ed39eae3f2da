import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { RateLimiter } from '#core/partner-ports';
import { dynamo, tableName } from './client.ts';
import { isConditionFailed } from './conditions.ts';
import { rateLimitKey } from './keys.ts';

/**
 * One slot per partner and scope: a conditional put that only succeeds once the previous slot has passed. The item
 * expires through TTL shortly after, so idle partners leave nothing behind.
 */
export const dynamoRateLimiter: RateLimiter = {
  async tryAcquire(partnerId, scope, now, intervalSeconds) {
    const nowMs = now.getTime();
    const nextAllowedAt = nowMs + intervalSeconds * 1000;
    const key = rateLimitKey(partnerId, scope);
    try {
      await dynamo().send(
        new PutCommand({
          TableName: tableName(),
          Item: {
            ...key,
            entity: 'rate-limit',
            nextAllowedAt,
            ttl: Math.ceil(nextAllowedAt / 1000) + 3600,
          },
          ConditionExpression: 'attribute_not_exists(PK) OR nextAllowedAt <= :now',
          ExpressionAttributeValues: { ':now': nowMs },
        }),
      );
      return { acquired: true };
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      const { Item: item } = await dynamo().send(new GetCommand({ TableName: tableName(), Key: key }));
      const waitMs = Number(item?.nextAllowedAt ?? nextAllowedAt) - nowMs;
      return { acquired: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
    }
  },
};
