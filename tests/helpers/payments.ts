import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type Stripe from 'stripe';
import { expect } from 'vitest';
import { paymentIndexPartitions } from '#adapters/dynamodb/payment-keys';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '#local/dynamodb';
import { signPayload } from '#local/stripe-emulator/index';
import { deliverWebhooks, emulator, eventually, newPartnerUser, onboard, stripeSdk, tableItem } from './connect.ts';
import { api, stackInfo, uniqueEmail, user } from './local.ts';

/** Integration helpers for payments, the platform webhook and the ledger. */

export { deliverWebhooks, emulator, eventually, stripeSdk, tableItem };

/** A partner onboarded to `active` through the hosted pages, with its Stripe account id. */
export async function activePayee(prefix = 'payee') {
  const partner = await newPartnerUser(prefix);
  await onboard(partner.idToken, 'complete');
  await deliverWebhooks();
  const me = await eventually(
    () => api<{ status: string; stripeAccountId: string }>('GET', '/partners/me', { token: partner.idToken }),
    (response) => response.body.status === 'active',
  );
  expect(me.body.status).toBe('active');
  return { ...partner, accountId: me.body.stripeAccountId };
}

export async function customer(prefix = 'customer') {
  return user(uniqueEmail(prefix));
}

export async function admin() {
  return user(uniqueEmail('ops'), { admin: true });
}

export interface IntentBody {
  paymentId: string;
  clientSecret: string;
  status: string;
}

export async function createIntent(token: string, body: Record<string, unknown>) {
  return api<IntentBody & { error?: { code: string } }>('POST', '/payments/intents', { token, body });
}

export const paymentIntentIdOf = (clientSecret: string) => clientSecret.split('_secret_')[0] ?? '';

/** Pays as the customer's browser would with Stripe.js (here: the SDK with the platform key). */
export async function confirm(clientSecret: string, paymentMethod = 'pm_card_visa') {
  try {
    return await stripeSdk().paymentIntents.confirm(paymentIntentIdOf(clientSecret), { payment_method: paymentMethod });
  } catch (error) {
    if (paymentMethod.includes('Declined')) return undefined;
    throw error;
  }
}

/** A payment request the payee issues (the seller sets the amount), as its owner. */
export async function paymentRequest(
  payee: { idToken: string; partnerId?: string },
  amount: number,
  description = 'Milestone 1',
  kind: 'deposit' | 'milestone' | 'custom' = 'milestone',
) {
  const created = await api<{ id: string; status: string }>('POST', '/payment-requests', {
    token: payee.idToken,
    body: { ...(payee.partnerId ? { partnerId: payee.partnerId } : {}), amount, currency: 'usd', kind, description },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body;
}

/** The customer pays a payment request by PaymentIntent: the client secret (not yet confirmed). */
export async function requestIntent(token: string, requestId: string) {
  return api<IntentBody & { paymentRequestId: string; error?: { code: string } }>(
    'POST',
    `/payment-requests/${requestId}/intent`,
    { token, body: {} },
  );
}

/**
 * A PaymentIntent to the payee for an amount the payee set (a payment request), paid by the customer, with its
 * webhooks processed.
 */
export async function paidIntent(
  token: string,
  payee: { idToken: string; partnerId: string },
  amount = 10_000,
  description = 'Milestone 1',
) {
  const request = await paymentRequest(payee, amount, description);
  const created = await requestIntent(token, request.id);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  await confirm(created.body.clientSecret);
  await deliverWebhooks();
  return { ...created.body, paymentIntentId: paymentIntentIdOf(created.body.clientSecret) };
}

/**
 * A payment confirmed with Stripe's dispute test card (`pm_card_createDispute`): paid, then disputed at once, with the
 * webhooks delivered. Returns the payee, our payment, its PaymentIntent and Stripe's dispute (`needs_response`).
 */
export async function disputedPayment(prefix: string, amount = 10_000, description = 'Disputed job') {
  const payee = await activePayee(prefix);
  const buyer = await customer();
  const created = await createIntent(buyer.idToken, {
    payeeId: payee.partnerId,
    amount,
    currency: 'usd',
    kind: 'milestone',
    description,
  });
  expect(created.status).toBe(201);
  const paymentIntentId = paymentIntentIdOf(created.body.clientSecret);
  await confirm(created.body.clientSecret, 'pm_card_createDispute');
  await deliverWebhooks();
  const [dispute] = (await stripeSdk().disputes.list({ payment_intent: paymentIntentId })).data;
  if (!dispute) throw new Error('the dispute test card made no dispute');
  return { payee, paymentId: created.body.paymentId, paymentIntentId, dispute };
}

export interface AdminPayment {
  id: string;
  status: string;
  amount: number;
  fee: number;
  net: number;
  amountRefunded: number;
  partnerRefunded: number;
  partnerId: string;
  orderId: string | null;
  customerSub: string;
  failureCode: string | null;
  disputed: boolean;
  dispute: { id: string; status: string; reason: string | null; amount: number } | null;
  stripe: {
    accountId: string;
    paymentIntentId: string | null;
    chargeId: string | null;
    checkoutSessionId: string | null;
  };
}

/** Our payment record as operators see it (reads the table directly: no admin token needed). */
export async function paymentRecord(paymentId: string) {
  return tableItem(`PAYMENT#${paymentId}`, 'PAYMENT');
}

/** Waits until the payment's status is the expected one (webhooks land asynchronously). */
export async function paymentWithStatus(paymentId: string, status: string) {
  await deliverWebhooks();
  const item = await eventually(
    () => paymentRecord(paymentId),
    (record) => record?.status === status,
  );
  expect(item?.status).toBe(status);
  return item as Record<string, unknown>;
}

let documents: DynamoDBDocumentClient | undefined;
function table() {
  const info = stackInfo();
  documents ??= DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: info.dynamoEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }),
  );
  return documents;
}

export async function queryTable(input: Omit<QueryCommandInput, 'TableName'>) {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await table().send(
      new QueryCommand({ ...input, TableName: stackInfo().tableName, ExclusiveStartKey: startKey }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/** Every payment written for this customer (GSI2 holds all payments, over the payments index's shards). */
export async function paymentsOfCustomer(customerSub: string) {
  const shards = await Promise.all(
    paymentIndexPartitions().map((pk) =>
      queryTable({
        IndexName: 'GSI2',
        KeyConditionExpression: 'GSI2PK = :pk',
        ExpressionAttributeValues: { ':pk': pk },
      }),
    ),
  );
  return shards.flat().filter((item) => item.customerSub === customerSub);
}

export interface EntryItem {
  id: string;
  type: string;
  amount: number;
  currency: string;
  payoutStatus?: string;
  reference: string;
}

export async function ledgerOf(partnerId: string) {
  const entries = (await queryTable({
    KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
    ExpressionAttributeValues: { ':pk': `PARTNER#${partnerId}`, ':prefix': 'LEDGER#' },
    ConsistentRead: true,
  })) as unknown as EntryItem[];
  const totals = await queryTable({
    KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
    ExpressionAttributeValues: { ':pk': `PARTNER#${partnerId}`, ':prefix': 'TOTALS#' },
    ConsistentRead: true,
  });
  return { entries, totals };
}

const VISIBLE = new Set(['earning', 'refund', 'clawback', 'adjustment', 'hold', 'release']);

/**
 * The balance invariant: per currency, the stored running balance equals the sum of every entry, and the stored
 * all-time earnings equal the sum of the partner-visible entries. Returns the balances.
 */
export async function expectBalanced(partnerId: string): Promise<Record<string, number>> {
  const { entries, totals } = await ledgerOf(partnerId);
  const sums: Record<string, { balance: number; earned: number; count: number }> = {};
  for (const entry of entries) {
    const s = sums[entry.currency] ?? { balance: 0, earned: 0, count: 0 };
    sums[entry.currency] = s;
    s.balance += entry.amount;
    if (VISIBLE.has(entry.type)) s.earned += entry.amount;
    s.count += 1;
  }
  const stored: Record<string, { balance: number; earned: number; count: number }> = {};
  for (const t of totals) {
    stored[String(t.currency)] = { balance: Number(t.balance), earned: Number(t.earned), count: Number(t.entryCount) };
  }
  expect(stored, `ledger totals of ${partnerId}`).toEqual(sums);
  return Object.fromEntries(Object.entries(sums).map(([currency, s]) => [currency, s.balance]));
}

export interface EarningsBody {
  entries: Array<{
    id: string;
    type: string;
    date: string;
    description: string;
    reference: string;
    amount: number;
    currency: string;
    payoutStatus: string;
    payoutId: string | null;
    availableAt: string | null;
  }>;
  summary: Record<string, { today: number; last7Days: number; last30Days: number; allTime: number }>;
  timeZone: string;
  nextCursor: string | null;
}

export async function earnings(token: string, query = '') {
  return api<EarningsBody>('GET', `/earnings${query}`, { token });
}

/** Posts a body to our platform webhook, signed the way Stripe signs (or with the given secret). */
export function postPlatformWebhook(payload: string, secret = stackInfo().platformWebhookSecret) {
  return api<{ received?: boolean; duplicate?: boolean; error?: { code: string } }>('POST', '/webhooks/stripe', {
    rawBody: payload,
    headers: {
      'content-type': 'application/json',
      'stripe-signature': signPayload(payload, secret, Math.floor(Date.now() / 1000)),
    },
  });
}

/** The platform's events about these objects (from the emulator, since `sinceSeconds`), oldest first. */
export async function platformEvents(objectIds: readonly string[], sinceSeconds: number): Promise<Stripe.Event[]> {
  const events: Stripe.Event[] = [];
  for await (const event of stripeSdk().events.list({ limit: 100, created: { gte: sinceSeconds } })) {
    const object = event.data.object as { id?: string; payment_intent?: string; source_transaction?: string };
    const ids = [object.id, object.payment_intent, object.source_transaction];
    if (ids.some((id) => id && objectIds.includes(id))) events.push(event);
  }
  return events.reverse();
}

let counter = 0;
/** A Stripe event re-issued under a new id (a delivery our endpoint has never seen). */
export function reissue(event: Stripe.Event | Record<string, unknown>): string {
  counter += 1;
  return JSON.stringify({ ...event, id: `${String(event.id)}_replay${counter}_${Date.now()}` });
}

/** Drives Stripe's hosted Checkout page: returns the page's answer (303 to success/cancel, 402 on decline). */
export async function payCheckout(
  url: string,
  action: 'pay' | 'pay_disputed' | 'pay_declined' | 'pay_async_success' | 'pay_async_fail' | 'cancel',
) {
  const page = await fetch(url, { redirect: 'manual' });
  expect(page.status).toBe(200);
  expect(await page.text()).toContain(`data-action="${action}"`);
  return fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ action }).toString(),
  });
}
