import {
  DeleteCommand,
  GetCommand,
  type NativeAttributeValue,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Order, OrderItem, Payment } from '#core/payment';
import type { FeePolicyStore, PaymentRequestMove, PaymentStore, PayoutReader, PayoutRecord } from '#core/payment-ports';
import type { CounterDelta, ReservationMove } from '#core/reservations';
import { dynamo, tableName } from './client.ts';
import { failedConditions, isConditionFailed } from './conditions.ts';
import { decodeTextCursor, encodeTextCursor } from './cursor.ts';
import { partnerPk } from './keys.ts';
import { ledgerWriteItems } from './ledger-store.ts';
import { outboxPut } from './outbox.ts';
import {
  feePolicyKey,
  ORDER_ITEM_PREFIX,
  orderItemKey,
  orderKey,
  orderPk,
  orderReferencePk,
  PAYOUT_PREFIX,
  paymentIndexKeys,
  paymentIndexPartitions,
  paymentKey,
  paymentReferencePk,
  referenceIndexKeys,
} from './payment-keys.ts';
import { listingKey, paymentRequestKey } from './sales-store.ts';
import { queryShards } from './sharded-index.ts';
import { type TransactItem, transactWrite } from './transactions.ts';

type Item = Record<string, NativeAttributeValue>;

const PAYMENT_FIELDS = [
  'id',
  'kind',
  'orderId',
  'paymentRequestId',
  'split',
  'partnerId',
  'customerSub',
  'amount',
  'currency',
  'fee',
  'net',
  'feeBps',
  'description',
  'metadata',
  'reference',
  'status',
  'amountRefunded',
  'transferReversed',
  'applicationFeeRefunded',
  'partnerRefunded',
  'stripeAccountId',
  'stripePaymentIntentId',
  'stripeChargeId',
  'stripeCheckoutSessionId',
  'failureCode',
  'dispute',
  'paidAt',
  'createdAt',
  'updatedAt',
  'version',
] as const satisfies readonly (keyof Payment)[];

function paymentItem(payment: Payment): Item {
  return {
    ...paymentKey(payment.id),
    entity: 'payment',
    ...payment,
    ...paymentIndexKeys(payment.createdAt, payment.id),
    ...(payment.reference
      ? referenceIndexKeys(paymentReferencePk(payment.reference), payment.createdAt, payment.id)
      : {}),
  };
}

function toPayment(item: Item): Payment {
  const payment = Object.fromEntries(PAYMENT_FIELDS.map((field) => [field, item[field] ?? null])) as unknown as Payment;
  for (const field of [
    'amount',
    'fee',
    'net',
    'feeBps',
    'amountRefunded',
    'transferReversed',
    'applicationFeeRefunded',
    'partnerRefunded',
    'version',
  ] as const) {
    payment[field] = Number(item[field] ?? 0);
  }
  payment.metadata = (item.metadata as Record<string, string> | undefined) ?? {};
  payment.split = item.split === 'separate' ? 'separate' : 'destination';
  return payment;
}

function orderItem(order: Order): Item {
  const { items: _items, ...fields } = order;
  return {
    ...orderKey(order.id),
    entity: 'order',
    ...fields,
    itemCount: order.items.length,
    ...(order.reference ? referenceIndexKeys(orderReferencePk(order.reference), order.createdAt, order.id) : {}),
  };
}

function toOrder(item: Item, lines: Item[]): Order {
  return {
    id: item.id,
    paymentId: item.paymentId,
    partnerId: item.partnerId,
    customerSub: item.customerSub,
    customerEmail: item.customerEmail ?? null,
    currency: item.currency,
    amount: Number(item.amount),
    fee: Number(item.fee),
    net: Number(item.net),
    status: item.status,
    reference: item.reference ?? null,
    metadata: (item.metadata as Record<string, string> | undefined) ?? {},
    reservation: item.reservation ?? null,
    sellers: Array.isArray(item.sellers)
      ? (item.sellers as Item[]).map((share) => ({
          partnerId: String(share.partnerId),
          stripeAccountId: String(share.stripeAccountId),
          gross: Number(share.gross),
          fee: Number(share.fee),
          feeBps: Number(share.feeBps),
          net: Number(share.net),
          transferId: share.transferId ?? null,
          transferReversed: Number(share.transferReversed ?? 0),
          ...(share.transferPlan
            ? {
                transferPlan: {
                  amount: Number(share.transferPlan.amount),
                  withheld: Number(share.transferPlan.withheld),
                  attempt: Number(share.transferPlan.attempt),
                },
              }
            : {}),
          ...(share.transferred !== undefined && share.transferred !== null
            ? { transferred: Number(share.transferred) }
            : {}),
          ...(share.disputeReversed !== undefined ? { disputeReversed: Number(share.disputeReversed) } : {}),
        }))
      : null,
    items: lines.map(
      (line): OrderItem => ({
        listingId: line.listingId ?? null,
        name: line.name,
        unitAmount: Number(line.unitAmount),
        quantity: Number(line.quantity),
        amount: Number(line.amount),
      }),
    ),
    successUrl: item.successUrl,
    cancelUrl: item.cancelUrl,
    stripeCheckoutSessionId: item.stripeCheckoutSessionId ?? null,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
  };
}

const REFERENCE_CURSOR = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#(pay|ord)_[a-f0-9]{24}$/;

/** One page of the sparse reference index (GSI1), newest first; the cursor is the last sort key. */
async function referencePage(pk: string, cursor: string | undefined, limit: number) {
  const before = cursor ? decodeTextCursor(cursor, REFERENCE_CURSOR) : undefined;
  const page = await dynamo().send(
    new QueryCommand({
      TableName: tableName(),
      IndexName: 'GSI1',
      KeyConditionExpression: before ? 'GSI1PK = :pk AND GSI1SK < :before' : 'GSI1PK = :pk',
      ExpressionAttributeValues: { ':pk': pk, ...(before ? { ':before': before } : {}) },
      ScanIndexForward: false,
      Limit: limit,
    }),
  );
  const items = (page.Items ?? []) as Item[];
  const last = items.at(-1);
  return { items, nextCursor: page.LastEvaluatedKey && last ? encodeTextCursor(String(last.GSI1SK)) : null };
}

/**
 * Reserves `quantity` of a listing with the order: still on sale at the price the order snapshotted, and — when it
 * has a capacity — that capacity unchanged and `taken ≤ capacity − quantity` (DynamoDB conditions cannot add).
 */
function reserveItem(
  listingId: string,
  quantity: number,
  capacity: number | null,
  unitAmount: number,
  at: string,
): TransactItem {
  const base = '#active = :true AND archived = :false AND unitAmount = :price';
  return {
    Update: {
      TableName: tableName(),
      Key: listingKey(listingId),
      UpdateExpression: 'SET reserved = reserved + :q, taken = taken + :q, countersAt = :at',
      ConditionExpression:
        capacity === null
          ? `${base} AND attribute_type(#capacity, :null)`
          : `${base} AND #capacity = :capacity AND taken <= :maxTaken`,
      ExpressionAttributeNames: { '#active': 'active', '#capacity': 'capacity' },
      ExpressionAttributeValues: {
        ':q': quantity,
        ':at': at,
        ':true': true,
        ':false': false,
        ':price': unitAmount,
        ...(capacity === null ? { ':null': 'NULL' } : { ':capacity': capacity, ':maxTaken': capacity - quantity }),
      },
    },
  };
}

/** The order's status, and its reservation state when it moves (conditioned on the state it moves from). */
function orderStatusItem(
  order: Pick<Order, 'id' | 'status' | 'updatedAt'>,
  reservation: ReservationMove | null,
): TransactItem {
  return {
    Update: {
      TableName: tableName(),
      Key: orderKey(order.id),
      UpdateExpression: reservation
        ? 'SET #status = :status, updatedAt = :at, reservation = :to'
        : 'SET #status = :status, updatedAt = :at',
      ConditionExpression: reservation ? 'attribute_exists(PK) AND reservation = :from' : 'attribute_exists(PK)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':status': order.status,
        ':at': order.updatedAt,
        ...(reservation ? { ':to': reservation.to, ':from': reservation.from } : {}),
      },
    },
  };
}

function counterItem(listingId: string, delta: CounterDelta, at: string): TransactItem {
  return {
    Update: {
      TableName: tableName(),
      Key: listingKey(listingId),
      UpdateExpression: 'SET reserved = reserved + :r, sold = sold + :s, taken = taken + :t, countersAt = :at',
      ConditionExpression: 'attribute_exists(PK)',
      ExpressionAttributeValues: { ':r': delta.reserved, ':s': delta.sold, ':t': delta.taken, ':at': at },
    },
  };
}

/** A payment request follows its payment (only the payment of its current attempt moves it). */
function requestFollowItem(move: PaymentRequestMove): TransactItem {
  const names = { '#status': 'status' };
  if (move.to === 'paid') {
    return {
      Update: {
        TableName: tableName(),
        Key: paymentRequestKey(move.id),
        UpdateExpression: 'SET #status = :paid, paidAt = :at, updatedAt = :at',
        ConditionExpression: 'paymentId = :pid',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ':paid': 'paid', ':at': move.at, ':pid': move.paymentId },
      },
    };
  }
  return {
    Update: {
      TableName: tableName(),
      Key: paymentRequestKey(move.id),
      UpdateExpression: 'SET paymentId = :null, payMode = :null, attempt = attempt + :one, updatedAt = :at',
      ConditionExpression: 'paymentId = :pid AND #status = :open',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ':null': null, ':one': 1, ':at': move.at, ':pid': move.paymentId, ':open': 'open' },
    },
  };
}

export const dynamoPaymentStore: PaymentStore = {
  async createPayment(payment) {
    await dynamo().send(
      new PutCommand({
        TableName: tableName(),
        Item: paymentItem(payment),
        ConditionExpression: 'attribute_not_exists(PK)',
      }),
    );
  },

  async createOrder(order, payment, reservations = []) {
    try {
      await transactWrite([
        { Put: { TableName: tableName(), Item: orderItem(order), ConditionExpression: 'attribute_not_exists(PK)' } },
        {
          Put: {
            TableName: tableName(),
            Item: paymentItem(payment),
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
        ...order.items.map((line, index) => ({
          Put: {
            TableName: tableName(),
            Item: { ...orderItemKey(order.id, index + 1), entity: 'order-item', orderId: order.id, ...line },
          },
        })),
        ...reservations.map((r) => reserveItem(r.listingId, r.quantity, r.capacity, r.unitAmount, order.updatedAt)),
      ]);
      return { created: true };
    } catch (error) {
      const failed = failedConditions(error);
      // Only the listings' conditions can fail for new ids: capacity, price or sale state changed.
      if (failed?.slice(2 + order.items.length).some(Boolean)) return { created: false, refused: 'capacity' };
      throw error;
    }
  },

  async attachPaymentIntent(paymentId, paymentIntentId, at) {
    // Only if the webhook has not attached it (and moved on) already.
    try {
      await dynamo().send(
        new UpdateCommand({
          TableName: tableName(),
          Key: paymentKey(paymentId),
          UpdateExpression: 'SET stripePaymentIntentId = :pi, updatedAt = :at, version = version + :one',
          ConditionExpression: 'attribute_exists(PK) AND attribute_type(stripePaymentIntentId, :null)',
          ExpressionAttributeValues: { ':pi': paymentIntentId, ':at': at, ':one': 1, ':null': 'NULL' },
        }),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
  },

  async attachCheckoutSession(target, sessionId, at) {
    await transactWrite([
      ...(target.orderId
        ? [
            {
              Update: {
                TableName: tableName(),
                Key: orderKey(target.orderId),
                UpdateExpression: 'SET stripeCheckoutSessionId = :cs',
                ExpressionAttributeValues: { ':cs': sessionId },
              },
            },
          ]
        : []),
      {
        Update: {
          TableName: tableName(),
          Key: paymentKey(target.paymentId),
          UpdateExpression: 'SET stripeCheckoutSessionId = :cs, updatedAt = :at, version = version + :one',
          ExpressionAttributeValues: { ':cs': sessionId, ':at': at, ':one': 1 },
        },
      },
    ]);
  },

  async getPayment(paymentId) {
    const { Item: item } = await dynamo().send(
      new GetCommand({ TableName: tableName(), Key: paymentKey(paymentId), ConsistentRead: true }),
    );
    return item ? toPayment(item) : undefined;
  },

  async getOrder(orderId) {
    const { Items: items = [] } = await dynamo().send(
      new QueryCommand({
        TableName: tableName(),
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': orderPk(orderId) },
        ConsistentRead: true,
      }),
    );
    const head = items.find((item) => item.SK === 'ORDER');
    if (!head) return undefined;
    const lines = items.filter((item) => String(item.SK).startsWith(ORDER_ITEM_PREFIX));
    return toOrder(head, lines);
  },

  async listPayments({ cursor, limit }) {
    // Newest first, merged from the write shards of the payments index.
    const page = await queryShards({
      index: 'GSI2',
      partitions: paymentIndexPartitions(),
      descending: true,
      limit,
      cursor,
    });
    return { payments: page.items.map(toPayment), nextCursor: page.nextCursor };
  },

  async paymentsByReference(reference, { cursor, limit }) {
    const page = await referencePage(paymentReferencePk(reference), cursor, limit);
    return { payments: page.items.map(toPayment), nextCursor: page.nextCursor };
  },

  async ordersByReference(reference, { cursor, limit }) {
    const page = await referencePage(orderReferencePk(reference), cursor, limit);
    const orders = await Promise.all(
      page.items.map(async (item) => (await dynamoPaymentStore.getOrder(String(item.id))) ?? toOrder(item, [])),
    );
    return { orders, nextCursor: page.nextCursor };
  },

  async settle({ payment, expectedVersion, order, reservation, paymentRequest, entries, events }) {
    try {
      await transactWrite([
        {
          Put: {
            TableName: tableName(),
            Item: paymentItem(payment),
            ConditionExpression: 'version = :expected',
            ExpressionAttributeValues: { ':expected': expectedVersion },
          },
        },
        ...(order ? [orderStatusItem(order, reservation ?? null)] : []),
        ...(reservation && order
          ? reservation.lines.map((line) => counterItem(line.listingId, line.delta, order.updatedAt))
          : []),
        ...(paymentRequest ? [requestFollowItem(paymentRequest)] : []),
        ...ledgerWriteItems(entries),
        ...events.map(outboxPut),
      ]);
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  },

  async fixSellerTransfer(orderId, index, expected, next) {
    const seller = `sellers[${index}]`;
    try {
      await dynamo().send(
        new UpdateCommand({
          TableName: tableName(),
          Key: orderKey(orderId),
          UpdateExpression: `SET ${seller}.transferPlan = :next`,
          ConditionExpression: `attribute_type(${seller}.transferId, :null) AND attribute_not_exists(${seller}.transferred) AND ${
            expected === null
              ? `attribute_not_exists(${seller}.transferPlan)`
              : `${seller}.transferPlan.attempt = :attempt`
          }`,
          ExpressionAttributeValues: {
            ':next': next,
            ':null': 'NULL',
            ...(expected === null ? {} : { ':attempt': expected.attempt }),
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  },

  async recordSellerTransfer(orderId, index, transfer, entries) {
    try {
      await transactWrite([
        {
          Update: {
            TableName: tableName(),
            Key: orderKey(orderId),
            UpdateExpression: `SET sellers[${index}].transferId = :t, sellers[${index}].transferred = :a`,
            ConditionExpression: `attribute_type(sellers[${index}].transferId, :null) AND attribute_not_exists(sellers[${index}].transferred)`,
            ExpressionAttributeValues: { ':t': transfer.id, ':a': transfer.amount, ':null': 'NULL' },
          },
        },
        ...ledgerWriteItems(entries),
      ]);
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  },

  async recordSellerReversal(orderId, index, change, entries) {
    try {
      await transactWrite([
        {
          Update: {
            TableName: tableName(),
            Key: orderKey(orderId),
            UpdateExpression: `SET sellers[${index}].transferReversed = :to`,
            ConditionExpression: `sellers[${index}].transferReversed = :from`,
            ExpressionAttributeValues: { ':to': change.to, ':from': change.from },
          },
        },
        ...ledgerWriteItems(entries),
      ]);
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  },

  async recordDispute(paymentId, dispute, at) {
    try {
      await dynamo().send(
        new UpdateCommand({
          TableName: tableName(),
          Key: paymentKey(paymentId),
          UpdateExpression: 'SET dispute = :dispute, updatedAt = :at, version = version + :one',
          // A later state of the dispute (or another dispute reported later) is not overwritten by an older event.
          ConditionExpression:
            'attribute_exists(PK) AND (attribute_type(dispute, :null) OR dispute.eventCreated <= :created)',
          ExpressionAttributeValues: {
            ':dispute': dispute,
            ':at': at,
            ':one': 1,
            ':null': 'NULL',
            ':created': dispute.eventCreated,
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  },
};

export const dynamoFeePolicies: FeePolicyStore = {
  async get(partnerId) {
    const { Item: item } = await dynamo().send(
      new GetCommand({ TableName: tableName(), Key: feePolicyKey(partnerId), ConsistentRead: true }),
    );
    if (!item) return undefined;
    return { bps: Number(item.bps), ...(item.minimumFee !== undefined ? { minimumFee: Number(item.minimumFee) } : {}) };
  },
  async put(partnerId, policy, at) {
    await dynamo().send(
      new PutCommand({
        TableName: tableName(),
        Item: { ...feePolicyKey(partnerId), entity: 'fee-policy', partnerId, ...policy, updatedAt: at },
      }),
    );
  },
  async remove(partnerId) {
    await dynamo().send(new DeleteCommand({ TableName: tableName(), Key: feePolicyKey(partnerId) }));
  },
};

/** Payout records are written by the payout run; this reads whatever exists. */
export const dynamoPayoutReader: PayoutReader = {
  async list(partnerId, { cursor, limit }) {
    let startKey: Item | undefined;
    if (cursor) {
      startKey = {
        PK: partnerPk(partnerId),
        SK: decodeTextCursor(cursor, /^PAYOUT#\d{4}-\d{2}#[A-Za-z0-9_-]{1,100}$/),
      };
    }
    const page = await dynamo().send(
      new QueryCommand({
        TableName: tableName(),
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        ExpressionAttributeValues: { ':pk': partnerPk(partnerId), ':prefix': PAYOUT_PREFIX },
        ScanIndexForward: false,
        Limit: limit,
        ExclusiveStartKey: startKey,
      }),
    );
    const items = (page.Items ?? []) as Item[];
    const last = items.at(-1);
    return {
      payouts: items.map(
        (item): PayoutRecord => ({
          id: item.id,
          partnerId: item.partnerId,
          period: item.period,
          amount: Number(item.amount),
          currency: item.currency,
          status: item.status,
          stripeTransferId: item.stripeTransferId ?? null,
          reversedAmount: Number(item.reversedAmount ?? 0),
          entryCount: Number(item.entryCount ?? 0),
          coveredEarnings: ((item.entries ?? []) as Item[]).map((entry) => ({
            entryId: String(entry.id),
            amount: Number(entry.amount),
            platformReference: typeof entry.platformReference === 'string' ? entry.platformReference : null,
          })),
          reason: item.reason ?? null,
          createdAt: item.createdAt,
          updatedAt: item.updatedAt,
        }),
      ),
      nextCursor: page.LastEvaluatedKey && last ? encodeTextCursor(String(last.SK)) : null,
    };
  },
};
