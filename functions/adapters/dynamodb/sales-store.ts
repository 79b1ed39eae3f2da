/**
 * Listings and payment requests (what partners sell, and at what price).
 *
 * | Item             | PK                        | SK       | Index keys                                         |
 * |------------------|---------------------------|----------|----------------------------------------------------|
 * | Listing          | LISTING#<lstId>           | LISTING  | GSI1 LISTINGS#<partnerId> / <createdAt>#<lstId>    |
 * | Payment request  | PAYMENT_REQUEST#<prqId>   | REQUEST  | GSI1 PAYMENT_REQUESTS#<partnerId> / <createdAt>#<prqId> |
 *
 * A listing's counters (`sold`, `reserved`, `taken` = sold + reserved) are written only by transactions: the order
 * that reserves (payment-store `createOrder`) and the settlement that moves the reservation (`settle`).
 */
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Listing } from '#core/listings';
import type { ListingStore, PaymentRequestStore } from '#core/payment-ports';
import type { PaymentRequest } from '#core/payment-requests';
import { dynamo, tableName } from './client.ts';
import { isConditionFailed } from './conditions.ts';
import { decodeTextCursor, encodeTextCursor } from './cursor.ts';
import type { Key } from './keys.ts';
import { batchGetAll, type Item } from './query.ts';

export const listingKey = (listingId: string): Key => ({ PK: `LISTING#${listingId}`, SK: 'LISTING' });
export const paymentRequestKey = (requestId: string): Key => ({ PK: `PAYMENT_REQUEST#${requestId}`, SK: 'REQUEST' });

const LISTING_FIELDS = [
  'id',
  'partnerId',
  'title',
  'description',
  'unitAmount',
  'currency',
  'capacity',
  'maxPerOrder',
  'salesEndAt',
  'active',
  'archived',
  'sold',
  'reserved',
  'taken',
  'reference',
  'metadata',
  'createdAt',
  'updatedAt',
  'version',
] as const satisfies readonly (keyof Listing)[];

function listingItem(listing: Listing): Item {
  return {
    ...listingKey(listing.id),
    entity: 'listing',
    ...listing,
    GSI1PK: `LISTINGS#${listing.partnerId}`,
    GSI1SK: `${listing.createdAt}#${listing.id}`,
  };
}

function toListing(item: Item): Listing {
  const listing = Object.fromEntries(LISTING_FIELDS.map((f) => [f, item[f] ?? null])) as unknown as Listing;
  for (const field of ['unitAmount', 'sold', 'reserved', 'taken', 'version'] as const) {
    listing[field] = Number(item[field] ?? 0);
  }
  listing.capacity = item.capacity === null || item.capacity === undefined ? null : Number(item.capacity);
  listing.maxPerOrder = item.maxPerOrder === null || item.maxPerOrder === undefined ? null : Number(item.maxPerOrder);
  listing.active = item.active === true;
  listing.archived = item.archived === true;
  listing.metadata = (item.metadata as Record<string, string> | undefined) ?? {};
  return listing;
}

const REQUEST_FIELDS = [
  'id',
  'partnerId',
  'amount',
  'currency',
  'kind',
  'description',
  'customerEmail',
  'expiresAt',
  'status',
  'paymentId',
  'payMode',
  'attempt',
  'reference',
  'metadata',
  'createdBy',
  'createdAt',
  'updatedAt',
] as const satisfies readonly (keyof PaymentRequest)[];

function toRequest(item: Item): PaymentRequest {
  const request = Object.fromEntries(REQUEST_FIELDS.map((f) => [f, item[f] ?? null])) as unknown as PaymentRequest;
  request.amount = Number(item.amount);
  request.attempt = Number(item.attempt ?? 1);
  request.metadata = (item.metadata as Record<string, string> | undefined) ?? {};
  return request;
}

const CURSOR = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#(lst|prq)_[a-f0-9]{24}$/;

/** One page of a partner's items on GSI1, newest first; the cursor is the last GSI1 sort key. */
async function partnerPage(
  indexPk: string,
  keyOf: (id: string) => Key,
  page: { cursor?: string; limit: number },
): Promise<{ items: Item[]; nextCursor: string | null }> {
  let startKey: Item | undefined;
  if (page.cursor) {
    const sk = decodeTextCursor(page.cursor, CURSOR);
    startKey = { ...keyOf(sk.slice(sk.indexOf('#') + 1)), GSI1PK: indexPk, GSI1SK: sk };
  }
  const result = await dynamo().send(
    new QueryCommand({
      TableName: tableName(),
      IndexName: 'GSI1',
      KeyConditionExpression: 'GSI1PK = :pk',
      ExpressionAttributeValues: { ':pk': indexPk },
      ScanIndexForward: false,
      Limit: page.limit,
      ExclusiveStartKey: startKey,
    }),
  );
  const items = (result.Items ?? []) as Item[];
  const last = items.at(-1);
  return {
    items,
    nextCursor: result.LastEvaluatedKey && last ? encodeTextCursor(String(last.GSI1SK)) : null,
  };
}

export const dynamoListingStore: ListingStore = {
  async create(listing) {
    await dynamo().send(
      new PutCommand({
        TableName: tableName(),
        Item: listingItem(listing),
        ConditionExpression: 'attribute_not_exists(PK)',
      }),
    );
  },

  async get(listingId) {
    const { Item: item } = await dynamo().send(
      new GetCommand({ TableName: tableName(), Key: listingKey(listingId), ConsistentRead: true }),
    );
    return item ? toListing(item) : undefined;
  },

  async getMany(listingIds) {
    const items = await batchGetAll([...new Set(listingIds)].map(listingKey));
    return new Map(items.map((item) => [String(item.id), toListing(item)]));
  },

  async update(listing, expectedVersion) {
    try {
      // The seller's fields only: the counters belong to orders and settlements, so they are never overwritten
      // here; the capacity must still cover what is taken when the write lands.
      await dynamo().send(
        new UpdateCommand({
          TableName: tableName(),
          Key: listingKey(listing.id),
          UpdateExpression:
            'SET #title = :title, #description = :description, unitAmount = :unitAmount, #capacity = :capacity, ' +
            'maxPerOrder = :maxPerOrder, salesEndAt = :salesEndAt, #active = :active, archived = :archived, ' +
            '#reference = :reference, updatedAt = :at, #version = :next',
          ConditionExpression:
            listing.capacity === null ? '#version = :expected' : '#version = :expected AND taken <= :capacity',
          ExpressionAttributeNames: {
            '#title': 'title',
            '#description': 'description',
            '#capacity': 'capacity',
            '#active': 'active',
            '#version': 'version',
            '#reference': 'reference',
          },
          ExpressionAttributeValues: {
            ':reference': listing.reference,
            ':title': listing.title,
            ':description': listing.description,
            ':unitAmount': listing.unitAmount,
            ':capacity': listing.capacity,
            ':maxPerOrder': listing.maxPerOrder,
            ':salesEndAt': listing.salesEndAt,
            ':active': listing.active,
            ':archived': listing.archived,
            ':at': listing.updatedAt,
            ':next': listing.version,
            ':expected': expectedVersion,
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  },

  async listByPartner(partnerId, page) {
    const { items, nextCursor } = await partnerPage(`LISTINGS#${partnerId}`, listingKey, page);
    return { listings: items.map(toListing), nextCursor };
  },
};

export const dynamoPaymentRequestStore: PaymentRequestStore = {
  async create(request) {
    await dynamo().send(
      new PutCommand({
        TableName: tableName(),
        Item: {
          ...paymentRequestKey(request.id),
          entity: 'payment-request',
          ...request,
          GSI1PK: `PAYMENT_REQUESTS#${request.partnerId}`,
          GSI1SK: `${request.createdAt}#${request.id}`,
        },
        ConditionExpression: 'attribute_not_exists(PK)',
      }),
    );
  },

  async get(requestId) {
    const { Item: item } = await dynamo().send(
      new GetCommand({ TableName: tableName(), Key: paymentRequestKey(requestId), ConsistentRead: true }),
    );
    return item ? toRequest(item) : undefined;
  },

  async listByPartner(partnerId, page) {
    const { items, nextCursor } = await partnerPage(`PAYMENT_REQUESTS#${partnerId}`, paymentRequestKey, page);
    return { requests: items.map(toRequest), nextCursor };
  },

  async claim(requestId, claim) {
    try {
      await dynamo().send(
        new UpdateCommand({
          TableName: tableName(),
          Key: paymentRequestKey(requestId),
          UpdateExpression: 'SET paymentId = :pid, payMode = :mode, updatedAt = :at',
          ConditionExpression: '#status = :open AND attempt = :attempt AND attribute_type(paymentId, :null)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':pid': claim.paymentId,
            ':mode': claim.payMode,
            ':at': claim.at,
            ':open': 'open',
            ':attempt': claim.attempt,
            ':null': 'NULL',
          },
        }),
      );
      return { claimed: true };
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      const current = await dynamoPaymentRequestStore.get(requestId);
      // Already claimed by this very payment (a retry): claimed, and nothing is written again.
      const ours =
        current?.status === 'open' &&
        current.attempt === claim.attempt &&
        current.paymentId === claim.paymentId &&
        current.payMode === claim.payMode;
      return ours ? { claimed: true } : { claimed: false, current };
    }
  },

  async cancel(requestId, at) {
    try {
      await dynamo().send(
        new UpdateCommand({
          TableName: tableName(),
          Key: paymentRequestKey(requestId),
          UpdateExpression: 'SET #status = :canceled, updatedAt = :at',
          ConditionExpression: '#status = :open AND attribute_type(paymentId, :null)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':canceled': 'canceled', ':open': 'open', ':at': at, ':null': 'NULL' },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  },
};
