import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { expect } from 'vitest';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '#local/dynamodb';
import { api, stackInfo } from './local.ts';

/** Integration helpers for listings, checkout by reference and capacity. */

export interface ListingBody {
  id: string;
  partnerId: string;
  title: string;
  unitAmount: number;
  currency: string;
  capacity?: number;
  remaining?: number;
  onSale: boolean;
  sold?: number;
  reserved?: number;
  error?: { code: string; message: string };
}

export async function createListing(token: string, fields: Record<string, unknown>) {
  const created = await api<ListingBody>('POST', '/listings', {
    token,
    body: { title: 'Concert ticket', unitAmount: 2_500, currency: 'usd', ...fields },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body;
}

export function checkoutUrls() {
  const base = stackInfo().apiUrl;
  return { successUrl: `${base}/done?session={CHECKOUT_SESSION_ID}`, cancelUrl: `${base}/cancelled` };
}

export interface CheckoutResult {
  orderId: string;
  paymentId: string;
  url: string;
  error?: { code: string; message: string; details?: Record<string, unknown> };
}

export function buyListings(token: string, items: { listingId: string; quantity: number }[]) {
  return api<CheckoutResult>('POST', '/payments/checkout-sessions', { token, body: { items, ...checkoutUrls() } });
}

let documents: DynamoDBDocumentClient | undefined;

async function scanAll(filter: string, values: Record<string, unknown>) {
  const info = stackInfo();
  documents ??= DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: info.dynamoEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }),
  );
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(
      new ScanCommand({
        TableName: info.tableName,
        FilterExpression: filter,
        ExpressionAttributeValues: values,
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/**
 * The capacity invariant, from the table (tests only: a full scan): the listing's `reserved` is the sum of the
 * quantities of its orders holding a reservation, `sold` the sum of those whose reservation became a sale, and
 * `taken` = sold + reserved ≤ capacity. Returns the figures for the caller's own checks.
 */
export async function expectCountersMatchOrders(listingId: string) {
  const [listing] = await scanAll('PK = :pk', { ':pk': `LISTING#${listingId}` });
  const lines = await scanAll('entity = :e AND listingId = :l', { ':e': 'order-item', ':l': listingId });
  const heads = await scanAll('entity = :e', { ':e': 'order' });
  const reservationOf = new Map(heads.map((head) => [String(head.id), String(head.reservation)]));
  let held = 0;
  let sold = 0;
  for (const line of lines) {
    const state = reservationOf.get(String(line.orderId));
    if (state === 'held') held += Number(line.quantity);
    if (state === 'sold') sold += Number(line.quantity);
  }
  expect(listing, `listing ${listingId}`).toBeDefined();
  const counters = { reserved: Number(listing?.reserved), sold: Number(listing?.sold), taken: Number(listing?.taken) };
  expect(counters).toEqual({ reserved: held, sold, taken: held + sold });
  if (listing?.capacity !== null && listing?.capacity !== undefined) {
    expect(counters.taken).toBeLessThanOrEqual(Number(listing.capacity));
  }
  return { ...counters, orders: lines.length };
}
