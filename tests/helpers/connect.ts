import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import Stripe from 'stripe';
import { expect } from 'vitest';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '#local/dynamodb';
import { type DeliveryMode, EmulatorControlClient, signPayload } from '#local/stripe-emulator/index';
import { api, stackInfo, uniqueEmail, user } from './local.ts';

/** Integration helpers for partners and Connect onboarding against the local stack and the Stripe emulator. */

export interface PartnerBody {
  id: string;
  kind: 'personal' | 'team';
  name: string;
  role: 'owner' | 'admin' | 'member';
  status: string;
  stripeAccountId: string | null;
  payoutPreference: string;
  detailsSubmitted: boolean;
  payoutsEnabled: boolean;
  version: number;
}

export interface StatusBody {
  partnerId: string;
  status: string;
  chargesEnabled: boolean;
  payoutsEnabled: boolean;
  detailsSubmitted: boolean;
  requirements: {
    currentlyDue: string[];
    pastDue: string[];
    disabledReason: string | null;
    currentDeadline: string | null;
  };
}

let controlClient: EmulatorControlClient | undefined;
export function emulator(): EmulatorControlClient {
  controlClient ??= new EmulatorControlClient(stackInfo().stripeUrl);
  return controlClient;
}

let sdk: Stripe | undefined;
/** The official SDK pointed at the emulator, as the functions use it. */
export function stripeSdk(): Stripe {
  const info = stackInfo();
  sdk ??= new Stripe(info.stripeApiKey, { host: '127.0.0.1', port: info.stripePort, protocol: 'http' });
  return sdk;
}

let documents: DynamoDBDocumentClient | undefined;
/** Reads an item of the table directly (to prove what was, or was not, written). */
export async function tableItem(PK: string, SK: string): Promise<Record<string, unknown> | undefined> {
  const info = stackInfo();
  documents ??= DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: info.dynamoEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }),
  );
  const { Item } = await documents.send(
    new GetCommand({ TableName: info.tableName, Key: { PK, SK }, ConsistentRead: true }),
  );
  return Item;
}

export const bearer = (token: string) => `Bearer ${token}`;

/** A new user with a personal partner (created by the first call). */
export async function newPartnerUser(prefix: string, options: { admin?: boolean } = {}) {
  const person = await user(uniqueEmail(prefix), options);
  const me = await api<PartnerBody>('GET', '/partners/me', { token: person.idToken });
  expect(me.status).toBe(200);
  return { ...person, partnerId: me.body.id };
}

export type HostedAction = 'complete' | 'pending' | 'abandon';

/**
 * Drives Stripe's hosted onboarding as a browser would: opens the link (following the emulator's redirect to our
 * refresh_url, and our redirect to a fresh link, when it was used or expired), submits the chosen action, and
 * follows the redirect to our return_url. Returns our return route's response.
 */
export async function walkHostedOnboarding(
  linkUrl: string,
  action: HostedAction,
  onPage?: (html: string) => void,
  /** Runs just before the browser lands on our return route (e.g. to mark the Stripe log there). */
  beforeReturn?: () => Promise<void>,
): Promise<Response> {
  let url = linkUrl;
  for (let hop = 0; hop < 5; hop += 1) {
    const page = await fetch(url, { redirect: 'manual' });
    if (page.status === 302 || page.status === 303) {
      url = page.headers.get('location') ?? '';
      continue;
    }
    expect(page.status, `hosted onboarding page ${url}`).toBe(200);
    const html = await page.text();
    onPage?.(html);
    const session = /name="session" value="([^"]+)"/.exec(html)?.[1];
    expect(session).toBeDefined();
    const submitted = await fetch(url, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ session: session ?? '', action }).toString(),
    });
    const returnUrl = submitted.headers.get('location') ?? '';
    expect(returnUrl.startsWith(`${stackInfo().apiUrl}/connect/return?state=`)).toBe(true);
    await beforeReturn?.();
    return fetch(returnUrl, { redirect: 'manual' });
  }
  throw new Error(`too many redirects from ${linkUrl}`);
}

/** Starts onboarding through our API and finishes it on the hosted page. */
export async function onboard(token: string, action: HostedAction, partnerId?: string) {
  const query = partnerId ? `?partnerId=${partnerId}` : '';
  const link = await api<{ url: string; expiresAt: string }>('POST', `/connect/onboarding-link${query}`, { token });
  expect(link.status).toBe(200);
  let page = '';
  const returned = await walkHostedOnboarding(link.body.url, action, (html) => {
    page = html;
  });
  expect(returned.status).toBe(200);
  return { link: link.body, returned, page };
}

export async function connectStatus(token: string, partnerId?: string, refresh = false) {
  const params = new URLSearchParams();
  if (partnerId) params.set('partnerId', partnerId);
  if (refresh) params.set('refresh', 'true');
  const query = params.size > 0 ? `?${params}` : '';
  return api<StatusBody>('GET', `/connect/status${query}`, { token });
}

/** Waits until every queued webhook delivery has been attempted (the emulator sends them asynchronously). */
export async function deliverWebhooks(): Promise<void> {
  await emulator().flushWebhooks();
}

/**
 * Runs `body` with the emulator's delivery mode changed (every webhook: only inside a sequential file), and always
 * puts the default mode back and delivers what was held. Holding deliveries is how a test attributes Stripe calls
 * to one request: no webhook handler can read Stripe in the meantime.
 */
export async function withDeliveryMode(mode: Partial<DeliveryMode>, body: () => Promise<void>): Promise<void> {
  await deliverWebhooks();
  await emulator().setDeliveryMode(mode);
  try {
    await body();
  } finally {
    await emulator().setDeliveryMode({ hold: false, reorder: false, duplicate: false, delayMs: 0 });
    await deliverWebhooks();
  }
}

/** `body` with every webhook held (queued at the emulator, delivered after `body`). */
export const withHeldDeliveries = (body: () => Promise<void>) => withDeliveryMode({ hold: true }, body);

/** Posts a body to our Connect webhook, signed the way Stripe signs (or with the given secret). */
export function postConnectWebhook(payload: string, secret = stackInfo().connectWebhookSecret) {
  return api<{ received?: boolean; duplicate?: boolean; error?: { code: string } }>(
    'POST',
    '/webhooks/stripe/connect',
    {
      rawBody: payload,
      headers: {
        'content-type': 'application/json',
        'stripe-signature': signPayload(payload, secret, Math.floor(Date.now() / 1000)),
      },
    },
  );
}

/** Stripe's events of one connected account (listed with `Stripe-Account`, as Stripe requires), oldest first. */
export async function eventsOf(accountId: string, type?: string): Promise<Stripe.Event[]> {
  const events: Stripe.Event[] = [];
  const params: Stripe.EventListParams = { limit: 100, ...(type ? { type } : {}) };
  for await (const event of stripeSdk().events.list(params, { stripeAccount: accountId })) events.push(event);
  // Newest first from the API; same-second events keep their emission order once reversed.
  return events.reverse();
}

/**
 * Polls until `check` passes (webhook effects land asynchronously) and returns the value that passed. Throws when
 * the time runs out, naming the condition and the last value read: a caller never goes on with a state it did not
 * reach, whether or not it uses the value.
 */
export async function eventually<T>(
  read: () => Promise<T>,
  check: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!check(value)) {
    if (Date.now() >= deadline) {
      throw new Error(
        `eventually: ${check.toString()} still false after ${timeoutMs} ms; last value: ${describe(value)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  return value;
}

export interface InvitationBody {
  invitation: { id: string; partnerId: string; email: string; role: string; status: string; expiresAt: string };
  token: string;
  acceptPath: string;
}

/** The team's owner (or an admin) invites the user's address; the user accepts with their own token. */
export async function joinTeam(
  inviterToken: string,
  teamId: string,
  member: { idToken: string; email: string },
  role: 'admin' | 'member' = 'member',
) {
  const invited = await api<InvitationBody>('POST', `/partners/${teamId}/invitations`, {
    token: inviterToken,
    body: { email: member.email, role },
  });
  expect(invited.status, invited.text).toBe(201);
  const accepted = await api<{ userSub: string; role: string }>('POST', invited.body.acceptPath, {
    token: member.idToken,
  });
  expect(accepted.status, accepted.text).toBe(201);
  return accepted.body;
}

function describe(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value, (_key, v: unknown) => (v instanceof Headers ? undefined : v)) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 1_000 ? `${text.slice(0, 1_000)}…` : text;
}
