import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { EmailKind } from '#core/partner-emails';
import { dynamo, tableName } from './client.ts';
import { isConditionFailed } from './conditions.ts';
import { partnerKey, partnerPk } from './keys.ts';
import { batchGetAll } from './query.ts';

/**
 * A partner's email preferences and the record of emails sent, in the partner's partition.
 *
 * | Item                 | PK                  | SK                          |
 * |----------------------|---------------------|-----------------------------|
 * | Email preferences    | PARTNER#<partnerId> | NOTIFICATIONS               |
 * | Email sent (claim)   | PARTNER#<partnerId> | EMAIL#<eventId>#<userSub>   | ttl 30 days
 */
const preferencesKey = (partnerId: string) => ({ PK: partnerPk(partnerId), SK: 'NOTIFICATIONS' });
const sentKey = (partnerId: string, eventId: string, userSub: string) => ({
  PK: partnerPk(partnerId),
  SK: `EMAIL#${eventId}#${userSub}`,
});

const optOutOf = (item: Record<string, unknown> | undefined): Set<EmailKind> =>
  new Set((item?.optOut as EmailKind[] | undefined) ?? []);

export const notifications = {
  async optedOut(partnerId: string): Promise<Set<EmailKind>> {
    const { Item: item } = await dynamo().send(
      new GetCommand({ TableName: tableName(), Key: preferencesKey(partnerId), ConsistentRead: true }),
    );
    return optOutOf(item);
  },

  /** The partner's name and the kinds of email it opted out of, in one read; undefined when there is no partner. */
  async mailing(partnerId: string): Promise<{ name: string; optedOut: Set<EmailKind> } | undefined> {
    const items = await batchGetAll([partnerKey(partnerId), preferencesKey(partnerId)]);
    const profile = items.find((item) => item.SK === 'PROFILE');
    if (typeof profile?.name !== 'string') return undefined;
    return { name: profile.name, optedOut: optOutOf(items.find((item) => item.SK === 'NOTIFICATIONS')) };
  },

  async setOptedOut(partnerId: string, optOut: readonly EmailKind[], at: string): Promise<void> {
    await dynamo().send(
      new PutCommand({
        TableName: tableName(),
        Item: { ...preferencesKey(partnerId), entity: 'notification-preferences', optOut: [...optOut], updatedAt: at },
      }),
    );
  },

  async claim(partnerId: string, eventId: string, userSub: string, at: Date): Promise<boolean> {
    try {
      await dynamo().send(
        new PutCommand({
          TableName: tableName(),
          Item: {
            ...sentKey(partnerId, eventId, userSub),
            entity: 'email-sent',
            sentAt: at.toISOString(),
            ttl: Math.floor(at.getTime() / 1000) + 30 * 24 * 3600,
          },
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  },

  async release(partnerId: string, eventId: string, userSub: string): Promise<void> {
    await dynamo().send(new DeleteCommand({ TableName: tableName(), Key: sentKey(partnerId, eventId, userSub) }));
  },
};
