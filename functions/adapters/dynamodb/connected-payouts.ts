import { GetCommand, type NativeAttributeValue, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { CONNECTED_PAYOUT_OPEN, type ConnectedPayout } from '#core/connected-payout';
import type { ConnectedPayoutStore } from '#core/partner-ports';
import { dynamo, tableName } from './client.ts';
import { isConditionFailed } from './conditions.ts';
import { decodeTextCursor, encodeTextCursor } from './cursor.ts';
import { CONNECTED_PAYOUT_PREFIX, connectedPayoutKey, openConnectedPayoutIndexKeys, partnerPk } from './keys.ts';
import { outboxPut } from './outbox.ts';
import { transactWrite } from './transactions.ts';

type Item = Record<string, NativeAttributeValue>;

function toPayout(item: Item): ConnectedPayout {
  return {
    id: item.id,
    partnerId: item.partnerId,
    accountId: item.accountId,
    amount: Number(item.amount),
    currency: item.currency,
    status: item.status,
    arrivalDate: item.arrivalDate ?? null,
    failureCode: item.failureCode ?? null,
    failureMessage: item.failureMessage ?? null,
    eventCreated: Number(item.eventCreated),
    eventId: item.eventId,
    updatedAt: item.updatedAt,
  };
}

function decodeCursor(partnerId: string, cursor: string): Item {
  return connectedPayoutKey(partnerId, decodeTextCursor(cursor, /^po_[A-Za-z0-9]{1,64}$/));
}

export const dynamoConnectedPayouts: ConnectedPayoutStore = {
  async get(partnerId, payoutId) {
    const { Item: item } = await dynamo().send(
      new GetCommand({ TableName: tableName(), Key: connectedPayoutKey(partnerId, payoutId), ConsistentRead: true }),
    );
    return item ? toPayout(item) : undefined;
  },

  /**
   * The record replaces the stored one whole: an open payout carries its keys in the work index of open payouts
   * (./keys.ts), a final one does not, so the event that makes a payout final takes it out of the index in the same
   * conditional write.
   */
  async putIfUnchanged(payout, expectedEventId, events = []) {
    const put = {
      TableName: tableName(),
      Item: {
        ...connectedPayoutKey(payout.partnerId, payout.id),
        entity: 'connected-payout',
        ...payout,
        ...(CONNECTED_PAYOUT_OPEN[payout.status] ? openConnectedPayoutIndexKeys(payout) : {}),
      },
      ...(expectedEventId === null
        ? { ConditionExpression: 'attribute_not_exists(PK)' }
        : {
            ConditionExpression: 'eventId = :expected',
            ExpressionAttributeValues: { ':expected': expectedEventId },
          }),
    };
    try {
      if (events.length === 0) await dynamo().send(new PutCommand(put));
      else await transactWrite([{ Put: put }, ...events.map(outboxPut)]);
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  },

  async list(partnerId, { cursor, limit }) {
    const page = await dynamo().send(
      new QueryCommand({
        TableName: tableName(),
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        ExpressionAttributeValues: { ':pk': partnerPk(partnerId), ':prefix': CONNECTED_PAYOUT_PREFIX },
        ScanIndexForward: false,
        Limit: limit,
        ...(cursor ? { ExclusiveStartKey: decodeCursor(partnerId, cursor) } : {}),
      }),
    );
    const payouts = ((page.Items ?? []) as Item[]).map(toPayout);
    const last = payouts.at(-1);
    return {
      payouts,
      nextCursor: page.LastEvaluatedKey && last ? encodeTextCursor(last.id) : null,
    };
  },
};
