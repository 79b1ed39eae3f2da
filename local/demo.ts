import http from 'node:http';
import Stripe from 'stripe';
import { SIGNATURE_HEADER, verifySignature } from '#core/event-signature';
import type { OperationId, Operations } from './api-types.ts';
import { cognitoClient, type LocalUser, type LocalUserPool, signIn } from './cognito.ts';
import { type LocalStack, startLocalStack } from './stack.ts';
import { readRunningStack } from './stack-file.ts';
import { EmulatorControlClient } from './stripe-emulator/index.ts';

/**
 * `npm run demo`: the whole journey against the local stack, step by step — a partner signs up and onboards on
 * the emulator's hosted page and lists concert tickets (capacity 4); customers buy them through Checkout (3 % fee)
 * until they are sold out, and pay the partner's deposit request with a PaymentIntent; the request carries the
 * platform's job reference, which reaches the PaymentIntent's metadata, the operator's lookup by reference and the
 * partner's earnings; the admin records a commission for the same job that is past its holding period, the monthly
 * run pays it by Transfer, the partner sees earnings and payouts (the payout lists the job's reference), then a refund and a transfer reversal are handled, and finally a deposit paid with Stripe's
 * dispute test card loses its dispute (the partner's share is taken back) and the operator keeps the reversed payout's
 * money for good. Along the way the platform's webhook endpoint receives signed events (orders paid, the payout) and
 * the partner gets the payout email. Uses the stack of a running `npm start`
 * (`.local/stack.json`), or starts one in-process on free ports and stops it at the end. Exits 1 naming the step
 * that misbehaved.
 */

const STRIPE_API_KEY = 'sk_test_local_connect_payouts';
const CURRENCY = 'usd';
const FEE_BPS = 300;
const COMMISSION = 12_500;
const DEPOSIT = 20_000;
/** The platform's own id of the contractor's job: set on the deposit request, shown on earnings and the payout. */
const JOB_REFERENCE = `festival-job-${Date.now().toString(36)}`;
/** The partner's concert: 4 tickets at $25, at most 2 per order. */
const TICKET = { title: 'Concert ticket', unitAmount: 2_500, capacity: 4, maxPerOrder: 2 };
const TICKETS_PER_ORDER = 2;

// ---------------------------------------------------------------------------------------------------------------
// Output and checks

class DemoError extends Error {}

let currentStep = 'setup';
const began = performance.now();

function step(n: number, title: string): void {
  currentStep = `step ${n} (${title})`;
  console.log(`\n${n}. ${title}`);
}

function show(label: string, value: string): void {
  console.log(`   ${label.padEnd(22)} ${value}`);
}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new DemoError(message);
}

function money(minor: number, currency = CURRENCY): string {
  const format = new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.toUpperCase() });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(minor / 10 ** digits);
}

const short = (text: string, max = 300) => (text.length > max ? `${text.slice(0, max)}…` : text);

// ---------------------------------------------------------------------------------------------------------------
// The stack: a running `npm start`, or one started here

interface Target {
  apiUrl: string;
  cognitoEndpoint: string;
  userPool: LocalUserPool;
  /** Known for a stack started here; for `npm start`, read from the first hosted link the API hands out. */
  stripeUrl: string | undefined;
  /** The capturing SMTP server's read API (partner emails). */
  mailUrl: string | undefined;
  description: string;
  stop: (() => Promise<void>) | undefined;
}

async function runningStack(): Promise<Target | undefined> {
  const running = readRunningStack();
  if (running.state === 'none') return undefined;
  if (running.state === 'stale') {
    show('note', `.local/stack.json is stale (process ${running.pid ?? '?'} is gone): not using it`);
    return undefined;
  }
  const file = running.stack;
  const health = await fetch(`${file.apiUrl}/health`).catch(() => undefined);
  check(
    health?.status === 200,
    `npm start (pid ${file.pid}) is running but ${file.apiUrl}/health answered ${health?.status ?? 'nothing'}`,
  );
  return {
    apiUrl: file.apiUrl,
    cognitoEndpoint: file.cognitoEndpoint,
    userPool: file.userPool,
    stripeUrl: undefined,
    mailUrl: file.mailUrl,
    description: `the running \`npm start\` (pid ${file.pid})`,
    stop: undefined,
  };
}

let ownStack: LocalStack | undefined;

async function ownLocalStack(): Promise<Target> {
  // The handlers run in this process: keep their warnings out of the demo's output.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
  const startedAt = performance.now();
  ownStack = await startLocalStack({
    apiPort: 0,
    dynamoPort: 0,
    cognitoPort: 0,
    stripePort: 0,
    stripeInitialBalance: [{ currency: CURRENCY, amount: 10_000_000 }],
    payoutVisibilityTimeoutSeconds: 2,
  });
  const { info } = ownStack;
  const stack = ownStack;
  return {
    apiUrl: info.apiUrl,
    cognitoEndpoint: info.cognitoEndpoint,
    userPool: info.userPool,
    stripeUrl: info.stripeUrl,
    mailUrl: info.mailUrl,
    description: `started in-process in ${((performance.now() - startedAt) / 1000).toFixed(1)} s (stopped at the end)`,
    stop: async () => {
      ownStack = undefined;
      await stack.stop();
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP

interface ApiResponse<T> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

let apiUrl = '';

async function api<T>(
  method: string,
  path: string,
  options: { token?: string; body?: unknown; expect?: number | number[] } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = options.token;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  const response = await fetch(`${apiUrl}${path}`, { method, headers, body, redirect: 'manual' });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  const expected = options.expect === undefined ? [] : [options.expect].flat();
  check(
    expected.length === 0 || expected.includes(response.status),
    `${method} ${path} answered ${response.status} (expected ${expected.join(' or ')}): ${short(text)}`,
  );
  return { status: response.status, headers: response.headers, body: parsed as T, text };
}

/** Polls until `accept` holds (webhooks and payout workers act asynchronously); throws naming what it waited for. */
async function eventually<T>(
  what: string,
  read: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!accept(value)) {
    if (Date.now() > deadline) {
      throw new DemoError(
        `timed out after ${timeoutMs / 1000} s waiting for ${what}; last seen: ${short(JSON.stringify(value))}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
    value = await read();
  }
  return value;
}

// ---------------------------------------------------------------------------------------------------------------
// Response shapes (what the API returns)

// The answers' shapes come from the API contract (openapi.json → local/api-types.ts): a change of the API breaks the
// demo's compilation instead of its run.
type Answer<K extends OperationId, S extends keyof Operations[K]['responses']> = Operations[K]['responses'][S];
type PartnerBody = Answer<'getMyPartner', 200>;
type StatusBody = Answer<'getConnectStatus', 200>;
type CheckoutBody = Answer<'createCheckoutSession', 201>;
type IntentBody = Answer<'payPaymentRequestIntent', 201>;
type OrderBody = Answer<'getOrderAdmin', 200>;
type PaymentView = NonNullable<OrderBody['payment']>;
type EarningsBody = Answer<'listEarnings', 200>;
type EarningEntry = EarningsBody['entries'][number];
type PayoutView = Answer<'listPayouts', 200>['payouts'][number];
/** The API's run view, as `GET /admin/payout-runs/{runId}` returns it (JSON). */
type RunView = Exclude<Answer<'getPayoutRun', 200>, string>;
type DryRunBody = Extract<Answer<'startPayoutRun', 200>, { dryRun: true }>;

// ---------------------------------------------------------------------------------------------------------------
// Helpers of the journey

const monthOf = (date: Date) => `${date.getUTCFullYear()}-${String(date.getUTCMonth() + 1).padStart(2, '0')}`;
const monthBefore = (period: string, months: number) => {
  const [year, month] = period.split('-').map(Number) as [number, number];
  return monthOf(new Date(Date.UTC(year, month - 1 - months, 1)));
};

function printEntries(entries: readonly EarningEntry[]): void {
  for (const e of entries) {
    const payout = e.payoutId ? ` ${e.payoutId}` : '';
    const reference = e.platformReference ? ` [${e.platformReference}]` : '';
    console.log(
      `     ${e.date.slice(0, 10)}  ${e.type.padEnd(9)} ${money(e.amount, e.currency).padStart(11)}  ${e.payoutStatus.padEnd(11)} ${short(e.description, 40)}${payout}${reference}`,
    );
  }
}

function printPayouts(payouts: readonly PayoutView[]): void {
  for (const p of payouts) {
    console.log(
      `     ${p.id}  ${p.period}  ${money(p.amount, p.currency)}  ${p.status}  transfer ${p.stripeTransferId ?? '—'}  (${p.entryCount} ${p.entryCount === 1 ? 'entry' : 'entries'})`,
    );
    for (const covered of p.coveredEarnings) {
      console.log(
        `       covers ${covered.entryId}  ${money(covered.amount, p.currency)}${covered.platformReference ? `  [${covered.platformReference}]` : ''}`,
      );
    }
  }
}

async function findPayment(adminToken: string, paymentId: string): Promise<PaymentView | undefined> {
  let cursor: string | null = null;
  for (let page = 0; page < 5; page += 1) {
    const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const listed: ApiResponse<{ payments: PaymentView[]; nextCursor: string | null }> = await api(
      'GET',
      `/admin/payments?limit=100${query}`,
      { token: adminToken, expect: 200 },
    );
    const found = listed.body.payments.find((p) => p.id === paymentId);
    if (found) return found;
    cursor = listed.body.nextCursor;
    if (!cursor) return undefined;
  }
  return undefined;
}

/** Drives the emulator's hosted onboarding page as a browser would and follows the redirect back to our return URL. */
async function walkHostedOnboarding(linkUrl: string): Promise<{ returned: Response; returnUrl: string }> {
  let url = linkUrl;
  for (let hop = 0; hop < 5; hop += 1) {
    const page = await fetch(url, { redirect: 'manual' });
    if (page.status === 302 || page.status === 303) {
      url = page.headers.get('location') ?? '';
      continue;
    }
    check(page.status === 200, `the hosted onboarding page ${url} answered ${page.status}`);
    const html = await page.text();
    const session = /name="session" value="([^"]+)"/.exec(html)?.[1];
    check(session, 'the hosted onboarding page has no session field');
    check(html.includes('data-action="complete"'), 'the hosted onboarding page offers no "complete onboarding" action');
    const submitted = await fetch(url, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ session, action: 'complete' }).toString(),
    });
    const returnUrl = submitted.headers.get('location') ?? '';
    check(
      returnUrl.startsWith(`${apiUrl}/connect/return?state=`),
      `completing onboarding answered ${submitted.status} redirecting to "${returnUrl}", not to our /connect/return`,
    );
    return { returned: await fetch(returnUrl, { redirect: 'manual' }), returnUrl };
  }
  throw new DemoError(`too many redirects from ${linkUrl}`);
}

// ---------------------------------------------------------------------------------------------------------------
// The journey

interface Delivery {
  raw: string;
  signature: string | undefined;
  event: { id: string; type: string; data: Record<string, unknown> };
}

interface PlatformReceiver {
  url: string;
  secret: string;
  received: Delivery[];
  close(): Promise<void>;
}

let platform: PlatformReceiver | undefined;
let endpointId: string | undefined;
let adminTokenForCleanup: string | undefined;

/** A platform's webhook receiver on loopback: records every delivery with its raw body and signature header. */
async function startPlatformReceiver(): Promise<PlatformReceiver> {
  const received: Delivery[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const signature = request.headers[SIGNATURE_HEADER.toLowerCase()];
      received.push({ raw, signature: typeof signature === 'string' ? signature : undefined, event: JSON.parse(raw) });
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  return {
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/connect-payouts-events`,
    secret: '',
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function journey(target: Target): Promise<void> {
  apiUrl = target.apiUrl;
  const suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const cognito = cognitoClient(target.cognitoEndpoint);
  const user = (email: string, admin = false): Promise<LocalUser> => signIn(cognito, target.userPool, email, { admin });
  try {
    await api('GET', '/health', { expect: 200 });

    // -----------------------------------------------------------------------------------------------------------
    step(2, 'A partner signs up and onboards on Stripe-hosted onboarding');
    const partnerUser = await user(`demo-partner-${suffix}@example.com`);
    show('partner user', `${partnerUser.email} (sub ${partnerUser.sub})`);
    show('ID token', `${partnerUser.idToken.slice(0, 16)}… (${partnerUser.idToken.length} chars, from cognito-local)`);
    const token = partnerUser.idToken;
    const me = await api<PartnerBody>('GET', '/partners/me', { token, expect: 200 });
    const partnerId = me.body.id;
    check(
      me.body.status === 'not_set_up',
      `a new partner should be not_set_up, GET /partners/me says ${me.body.status}`,
    );
    show('partner', `${partnerId} (status ${me.body.status})`);

    const link = await api<{ url: string; expiresAt: string }>('POST', '/connect/onboarding-link', {
      token,
      expect: 200,
    });
    check(link.body.url.includes('/hosted/onboarding/'), `the onboarding link is not a hosted page: ${link.body.url}`);
    show('onboarding link', `${link.body.url} (expires ${link.body.expiresAt})`);

    const stripeUrl = target.stripeUrl ?? new URL(link.body.url).origin;
    const emulatorUrl = new URL(stripeUrl);
    const stripe = new Stripe(process.env.STRIPE_API_KEY ?? STRIPE_API_KEY, {
      host: emulatorUrl.hostname,
      port: Number(emulatorUrl.port || (emulatorUrl.protocol === 'https:' ? 443 : 80)),
      protocol: emulatorUrl.protocol === 'https:' ? 'https' : 'http',
    });
    if (!target.stripeUrl) show('Stripe emulator', `${stripeUrl} (the host of the onboarding link)`);
    const emulator = new EmulatorControlClient(stripeUrl);
    let failedDeliveries = (await emulator.flushWebhooks()).failed;
    const flush = async (): Promise<string> => {
      const result = await emulator.flushWebhooks();
      check(
        result.failed === failedDeliveries,
        `${result.failed - failedDeliveries} webhook deliveries failed (our endpoints did not answer 2xx)`,
      );
      failedDeliveries = result.failed;
      return `${result.attempted} attempted, ${result.pending} pending`;
    };

    const { returned, returnUrl } = await walkHostedOnboarding(link.body.url);
    check(
      [200, 302, 303].includes(returned.status),
      `GET /connect/return answered ${returned.status}: ${short(await returned.text())}`,
    );
    show('hosted page', '"complete onboarding" submitted');
    show(
      'return redirect',
      `${new URL(returnUrl).pathname} → ${returned.status}${returned.headers.get('location') ? ` ${returned.headers.get('location')}` : ' (landing page)'}`,
    );
    show('webhooks flushed', await flush());
    const status = await eventually(
      'GET /connect/status to report active',
      () => api<StatusBody>('GET', '/connect/status', { token, expect: 200 }),
      (response) => response.body.status === 'active',
    );
    const accountId = status.body.stripeAccountId;
    check(accountId?.startsWith('acct_'), `GET /connect/status has no connected account id: ${status.text}`);
    check(
      status.body.chargesEnabled && status.body.payoutsEnabled && status.body.detailsSubmitted,
      `active but not fully enabled: ${status.text}`,
    );
    show('GET /connect/status', `${status.body.status} — ${accountId}, charges and payouts enabled`);

    // -----------------------------------------------------------------------------------------------------------
    step(
      3,
      `Customers buy the partner's concert tickets until sold out (Checkout, ${FEE_BPS / 100} % fee) and pay its deposit request`,
    );
    const ops = await user(`demo-ops-${suffix}@example.com`, true);
    const adminToken = ops.idToken;
    show('admin', `${ops.email} (admin group)`);
    // The platform's own receiver of our domain events (what a platform runs), subscribed before anything is sold.
    platform = await startPlatformReceiver();
    const endpoint = await api<{ id: string; secret: string }>('POST', '/admin/webhook-endpoints', {
      token: adminToken,
      body: { url: platform.url, eventTypes: ['order.paid', 'payment.paid', 'payout.paid'] },
      expect: 201,
    });
    platform.secret = endpoint.body.secret;
    endpointId = endpoint.body.id;
    adminTokenForCleanup = adminToken;
    show('platform webhook', `${endpoint.body.id} → ${platform.url} (order.paid, payment.paid, payout.paid)`);
    await api('PUT', `/admin/partners/${partnerId}/fee-policy`, {
      token: adminToken,
      body: { bps: FEE_BPS },
      expect: 200,
    });
    show('fee policy', `${partnerId}: ${FEE_BPS} bps`);
    const buyer = await user(`demo-customer-${suffix}@example.com`);
    show('customer', buyer.email);

    // The seller sets the price: a listing with a capacity. Buyers only name it and a quantity.
    const listing = await api<{ id: string; remaining: number; unitAmount: number }>('POST', '/listings', {
      token,
      body: { ...TICKET, currency: CURRENCY },
      expect: 201,
    });
    const listingId = listing.body.id;
    show('listing', `${listingId}: ${TICKET.title} ${money(TICKET.unitAmount)}, ${listing.body.remaining} left`);
    const successUrl = `${apiUrl}/demo/thanks?session_id={CHECKOUT_SESSION_ID}`;
    const buyTickets = (buyerToken: string) =>
      api<CheckoutBody & { error?: { code: string; details?: { remaining?: number } } }>(
        'POST',
        '/payments/checkout-sessions',
        {
          token: buyerToken,
          body: {
            items: [{ listingId, quantity: TICKETS_PER_ORDER }],
            successUrl,
            cancelUrl: `${apiUrl}/demo/cart`,
          },
        },
      );
    const payOnHostedPage = async (checkoutUrl: string) => {
      const page = await fetch(checkoutUrl, { redirect: 'manual' });
      check(page.status === 200, `the hosted Checkout page answered ${page.status}`);
      check((await page.text()).includes('data-action="pay"'), 'the hosted Checkout page offers no "pay" action');
      const paid = await fetch(checkoutUrl, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ action: 'pay' }).toString(),
      });
      const thanks = paid.headers.get('location') ?? '';
      check(
        paid.status === 303 && thanks.startsWith(`${apiUrl}/demo/thanks?session_id=cs_`),
        `paying on the hosted Checkout page answered ${paid.status} → "${thanks}", not the success URL`,
      );
      return thanks;
    };
    const checkout = await buyTickets(buyer.idToken);
    check(checkout.status === 201, `POST /payments/checkout-sessions answered ${checkout.status}: ${checkout.text}`);
    const { orderId, paymentId: checkoutPaymentId, url: checkoutUrl } = checkout.body;
    show('checkout session', `order ${orderId}, payment ${checkoutPaymentId}`);
    show('hosted checkout', `paid → 303 ${await payOnHostedPage(checkoutUrl)}`);
    const fan = await user(`demo-fan-${suffix}@example.com`);
    const second = await buyTickets(fan.idToken);
    check(second.status === 201, `the second order answered ${second.status}: ${second.text}`);
    show(
      'second customer',
      `${fan.email}: order ${second.body.orderId}, paid → ${await payOnHostedPage(second.body.url)}`,
    );
    show('webhooks flushed', await flush());
    const late = await user(`demo-late-${suffix}@example.com`);
    const soldOut = await buyTickets(late.idToken);
    check(
      soldOut.status === 409 && soldOut.body.error?.code === 'sold_out' && soldOut.body.error.details?.remaining === 0,
      `a third order should be refused sold_out with 0 remaining, got ${soldOut.status} ${soldOut.text}`,
    );
    show('third customer', `${late.email}: 409 sold_out (${soldOut.body.error?.details?.remaining} remaining)`);
    const soldListing = await api<{ remaining: number; onSale: boolean }>('GET', `/listings/${listingId}`, {
      expect: 200,
    });
    check(soldListing.body.remaining === 0, `GET /listings/${listingId}: ${soldListing.text}`);
    show('listing', `${listingId}: sold out (remaining ${soldListing.body.remaining}), read without a token`);
    const order = await eventually(
      `order ${orderId} to be paid`,
      () => api<OrderBody>('GET', `/admin/orders/${orderId}`, { token: adminToken, expect: 200 }),
      (response) => response.body.status === 'paid',
    );
    const gross = TICKET.unitAmount * TICKETS_PER_ORDER;
    const fee = Math.floor((gross * FEE_BPS + 5_000) / 10_000);
    check(
      order.body.amount === gross && order.body.fee === fee && order.body.net === gross - fee,
      `order ${orderId}: expected ${money(gross)} with fee ${money(fee)}, got ${short(order.text)}`,
    );
    const orderPayment = order.body.payment;
    check(orderPayment?.status === 'paid', `order paid but its payment is ${orderPayment?.status ?? 'missing'}`);
    for (const item of order.body.items) {
      show('  item', `${item.quantity} × ${item.name} @ ${money(item.unitAmount)} = ${money(item.amount)}`);
    }
    show(
      'order',
      `${order.body.status}: ${money(order.body.amount)}, platform fee ${money(order.body.fee)}, partner net ${money(order.body.net)}`,
    );
    show('stripe', `${orderPayment.stripe.paymentIntentId} / ${orderPayment.stripe.chargeId}`);

    // The contractor's deposit: the partner sets the amount in a payment request, with the platform's own id of the
    // job (its reference); the customer pays it.
    const request = await api<{ id: string; status: string; reference: string | null }>('POST', '/payment-requests', {
      token,
      body: {
        amount: DEPOSIT,
        currency: CURRENCY,
        kind: 'deposit',
        description: 'Deposit for the summer festival',
        reference: JOB_REFERENCE,
        metadata: { site: 'Festival grounds, gate B' },
      },
      expect: 201,
    });
    const requestId = request.body.id;
    check(request.body.reference === JOB_REFERENCE, `the payment request lost its reference: ${request.text}`);
    show(
      'payment request',
      `${requestId}: ${money(DEPOSIT)} deposit, ${request.body.status}, reference ${JOB_REFERENCE}`,
    );
    const intent = await api<IntentBody>('POST', `/payment-requests/${requestId}/intent`, {
      token: buyer.idToken,
      body: {},
      expect: 201,
    });
    const depositPaymentId = intent.body.paymentId;
    const paymentIntentId = intent.body.clientSecret.split('_secret_')[0] ?? '';
    check(
      paymentIntentId.startsWith('pi_'),
      `POST /payment-requests/…/intent returned no PaymentIntent: ${intent.text}`,
    );
    show('deposit', `payment ${depositPaymentId}, ${paymentIntentId} (${intent.body.status})`);
    const confirmed: Stripe.PaymentIntent = await stripe.paymentIntents.confirm(paymentIntentId, {
      payment_method: 'pm_card_visa',
    });
    check(confirmed.status === 'succeeded', `confirming with pm_card_visa left the PaymentIntent ${confirmed.status}`);
    show('confirmed', `pm_card_visa → ${confirmed.status}`);
    show('webhooks flushed', await flush());
    const deposit = await eventually(
      `deposit ${depositPaymentId} to be paid`,
      () => findPayment(adminToken, depositPaymentId),
      (payment) => payment?.status === 'paid',
    );
    check(deposit, 'unreachable');
    const depositFee = Math.floor((DEPOSIT * FEE_BPS + 5_000) / 10_000);
    check(
      deposit.fee === depositFee && deposit.net === DEPOSIT - depositFee,
      `deposit: expected fee ${money(depositFee)}, got ${JSON.stringify(deposit)}`,
    );
    show(
      'deposit payment',
      `${deposit.status}: ${money(deposit.amount)}, platform fee ${money(deposit.fee)}, partner net ${money(deposit.net)}`,
    );
    const settled = await api<{ status: string }>('GET', `/payment-requests/${requestId}`, { expect: 200 });
    check(settled.body.status === 'paid', `payment request ${requestId} is ${settled.body.status}, not paid`);
    show('payment request', `${requestId}: ${settled.body.status}`);
    // The job's reference went with the money: onto the PaymentIntent's metadata and the operator's lookup.
    const paidIntent = await stripe.paymentIntents.retrieve(paymentIntentId);
    check(
      paidIntent.metadata.platform_reference === JOB_REFERENCE,
      `the PaymentIntent should carry platform_reference ${JOB_REFERENCE}: ${JSON.stringify(paidIntent.metadata)}`,
    );
    show('PaymentIntent metadata', `platform_reference=${paidIntent.metadata.platform_reference}`);
    const byReference = await api<{ payments: PaymentView[] }>(
      'GET',
      `/admin/payments?reference=${encodeURIComponent(JOB_REFERENCE)}`,
      { token: adminToken, expect: 200 },
    );
    check(
      byReference.body.payments.map((p) => p.id).join() === depositPaymentId,
      `GET /admin/payments?reference=${JOB_REFERENCE} should find ${depositPaymentId} only: ${byReference.text}`,
    );
    show(`GET /admin/payments?reference=${JOB_REFERENCE}`, depositPaymentId);

    // -----------------------------------------------------------------------------------------------------------
    // The most recent ended month without a run (the previous month, unless this stack already ran it).
    let period = monthBefore(monthOf(new Date()), 1);
    for (let back = 0; back < 24; back += 1) {
      const existing = await api('GET', `/admin/payout-runs/run_${period}`, { token: adminToken, expect: [200, 404] });
      if (existing.status === 404) break;
      period = monthBefore(period, 1);
    }
    const [year, month] = period.split('-').map(Number) as [number, number];
    const availableAt = new Date(Date.UTC(year, month - 1, 15, 12)).toISOString();
    step(4, `The admin records a commission for ${period}, already past its holding period`);
    const recorded = await api<{ earnings: Array<{ entryId: string; availableAt: string; amount: number }> }>(
      'POST',
      '/admin/earnings',
      {
        token: adminToken,
        body: {
          partnerId,
          amount: COMMISSION,
          currency: CURRENCY,
          externalId: `demo-commission-${period}-${partnerId}`,
          description: `Referral commission ${period}`,
          availableAt,
          // The platform's job the commission is for: the payout will list it.
          reference: JOB_REFERENCE,
        },
        expect: 201,
      },
    );
    const commission = recorded.body.earnings[0];
    check(commission?.amount === COMMISSION, `POST /admin/earnings recorded ${recorded.text}`);
    show('commission', `${money(COMMISSION)} → ${partnerId}, entry ${commission.entryId}`);
    show('available at', `${commission.availableAt} (holding period over)`);
    const held = await api<EarningsBody>('GET', '/earnings', { token, expect: 200 });
    const heldEntry = held.body.entries.find((e) => e.type === 'earning' && e.amount === COMMISSION);
    check(
      heldEntry?.payoutStatus === 'available',
      `the commission should be available in GET /earnings, is ${heldEntry?.payoutStatus ?? 'missing'}`,
    );
    show('GET /earnings', `commission ${heldEntry.payoutStatus}`);

    // -----------------------------------------------------------------------------------------------------------
    step(5, `The monthly run for ${period} pays by Transfer`);
    const runId = `run_${period}`;
    const started = await api<{ created: boolean; run: RunView }>('POST', '/admin/payout-runs', {
      token: adminToken,
      body: { period },
      expect: 202,
    });
    check(started.body.created, `POST /admin/payout-runs did not create ${runId}: ${started.text}`);
    show('run started', `${runId} (cutoff ${started.body.run.cutoff})`);
    const run = await eventually(
      `${runId} to complete`,
      () => api<RunView>('GET', `/admin/payout-runs/${runId}`, { token: adminToken, expect: 200 }),
      // The status is derived from the counters; finishedAt is written just after the last outcome.
      (response) => response.body.status === 'completed' && response.body.finishedAt !== null,
      30_000,
    );
    const t = run.body.totals;
    check(t.paid >= 1 && t.failed === 0, `${runId} completed with paid ${t.paid}, failed ${t.failed}: ${run.text}`);
    show('run', `${run.body.status} at ${run.body.finishedAt}`);
    show(
      'totals',
      `considered ${t.considered}, queued ${t.queued}, paid ${t.paid}, awaiting funds ${t.awaitingFunds}, carried forward ${t.carriedForward}, failed ${t.failed}`,
    );
    const skipped = Object.entries(t.skipped).filter(([, n]) => n > 0);
    if (skipped.length > 0) show('skipped', skipped.map(([reason, n]) => `${reason} ${n}`).join(', '));
    show(
      'amounts',
      Object.entries(t.amounts.paid)
        .map(([currency, amount]) => `paid ${money(amount ?? 0, currency)}`)
        .join(', ') || 'nothing paid',
    );
    const payouts = await api<{ payouts: PayoutView[] }>('GET', '/payouts', { token, expect: 200 });
    const payout = payouts.body.payouts.find((p) => p.period === period);
    check(
      payout?.status === 'paid' && payout.amount === COMMISSION && payout.stripeTransferId,
      `the partner's ${period} payout should be paid ${money(COMMISSION)} with a transfer: ${payouts.text}`,
    );
    const transfers: Stripe.Transfer[] = [];
    for await (const transfer of stripe.transfers.list({ transfer_group: runId, limit: 100 })) transfers.push(transfer);
    const transfer = transfers.find((tr) => tr.id === payout.stripeTransferId);
    check(
      transfer && transfer.amount === COMMISSION && transfer.destination === accountId,
      `no transfer ${payout.stripeTransferId} of ${money(COMMISSION)} to ${accountId} in transfer_group ${runId} (found ${transfers.map((tr) => tr.id).join(', ') || 'none'})`,
    );
    check(
      transfer.metadata.payoutId === payout.id,
      `transfer ${transfer.id} names payout ${transfer.metadata.payoutId}`,
    );
    show(
      'transfer',
      `${transfer.id}: ${money(transfer.amount, transfer.currency)} → ${transfer.destination}, group ${transfer.transfer_group}, metadata.payoutId ${transfer.metadata.payoutId}`,
    );
    show('in group', `${transfers.length} transfer${transfers.length === 1 ? '' : 's'} in ${runId}`);

    // -----------------------------------------------------------------------------------------------------------
    step(6, 'The platform and the partner hear of it: signed events and the payout email');
    const receiver = platform;
    check(receiver, 'the platform receiver is not running');
    const paidEvent = await eventually(
      `payout.paid for ${payout.id} at the platform's endpoint`,
      async () => receiver.received.find((r) => r.event.type === 'payout.paid' && r.event.data.payoutId === payout.id),
      (found) => found !== undefined,
      20_000,
    );
    check(paidEvent, `the platform never received payout.paid for ${payout.id}`);
    for (const delivery of receiver.received) {
      const verdict = verifySignature(delivery.signature, delivery.raw, receiver.secret, new Date());
      check(verdict === 'valid', `a delivery of ${delivery.event.type} did not verify: ${verdict}`);
    }
    const count = (type: string) => receiver.received.filter((r) => r.event.type === type).length;
    show(
      'platform received',
      `order.paid ×${count('order.paid')}, payment.paid ×${count('payment.paid')}, payout.paid ×${count('payout.paid')}`,
    );
    show('signatures', `all ${receiver.received.length} verified with the endpoint's secret (t=…,v1=HMAC-SHA256)`);
    show(
      'payout.paid',
      `${paidEvent.event.id}: ${money(Number(paidEvent.event.data.amount))}, transfer ${String(paidEvent.event.data.transferId)}`,
    );
    if (target.mailUrl) {
      const mailUrl = target.mailUrl;
      const mail = await eventually(
        `the payout email to ${partnerUser.email}`,
        async () =>
          (await (await fetch(`${mailUrl}/messages?to=${encodeURIComponent(partnerUser.email)}`)).json()) as {
            subject: string;
            text: string;
          }[],
        (messages) => messages.some((m) => m.subject.includes(money(COMMISSION))),
        20_000,
      );
      const payoutMail = mail.find((m) => m.subject.includes(money(COMMISSION)));
      check(payoutMail, `no payout email to ${partnerUser.email}`);
      show('partner email', `"${payoutMail.subject}" → ${partnerUser.email} (captured by the local SMTP server)`);
    } else {
      show('partner email', 'not shown: this stack does not say where its mail goes');
    }

    // -----------------------------------------------------------------------------------------------------------
    step(7, "The partner's earnings and payouts");
    const history = await api<EarningsBody>('GET', '/earnings', { token, expect: 200 });
    console.log('   GET /earnings');
    printEntries(history.body.entries);
    const byType = (type: string, amount: number) =>
      history.body.entries.find((e) => e.type === type && e.amount === amount);
    check(byType('earning', gross - fee)?.payoutStatus === 'transferred', 'the Checkout earning is not transferred');
    check(byType('earning', DEPOSIT - depositFee)?.payoutStatus === 'transferred', 'the deposit is not transferred');
    check(
      byType('earning', DEPOSIT - depositFee)?.platformReference === JOB_REFERENCE,
      `the deposit's earning should show the job's reference ${JOB_REFERENCE}`,
    );
    check(
      payout.coveredEarnings.some((covered) => covered.platformReference === JOB_REFERENCE),
      `the payout ${payout.id} should list the job's reference among its covered earnings: ${JSON.stringify(payout)}`,
    );
    const paidCommission = byType('earning', COMMISSION);
    check(
      paidCommission?.payoutStatus === 'paid' && paidCommission.payoutId === payout.id,
      `the commission should be paid by ${payout.id}: ${JSON.stringify(paidCommission)}`,
    );
    const summary = history.body.summary[CURRENCY];
    // Two ticket orders (the listing sold out), the deposit and the commission.
    const expectedAllTime = 2 * (gross - fee) + (DEPOSIT - depositFee) + COMMISSION;
    check(summary?.allTime === expectedAllTime, `summary allTime ${summary?.allTime}, expected ${expectedAllTime}`);
    show(
      'summary',
      `today ${money(summary.today)}, last 7 days ${money(summary.last7Days)}, last 30 days ${money(summary.last30Days)}, all time ${money(summary.allTime)}`,
    );
    console.log('   GET /payouts');
    printPayouts(payouts.body.payouts);

    // -----------------------------------------------------------------------------------------------------------
    step(8, 'A refund and a reversal');
    const refund: Stripe.Refund = await stripe.refunds.create({
      payment_intent: paymentIntentId,
      reverse_transfer: true,
      refund_application_fee: true,
    });
    check(refund.status === 'succeeded', `refund ${refund.id} is ${refund.status}`);
    show('refund', `${refund.id}: ${money(refund.amount)} of ${paymentIntentId} (reverse_transfer, refund fee)`);
    show('webhooks flushed', await flush());
    const refunded = await eventually(
      `deposit ${depositPaymentId} to be refunded`,
      () => findPayment(adminToken, depositPaymentId),
      (payment) => payment?.status === 'refunded',
    );
    check(
      refunded && refunded.amountRefunded === DEPOSIT && refunded.partnerRefunded === DEPOSIT - depositFee,
      `refunded deposit: ${JSON.stringify(refunded)}`,
    );
    show(
      'deposit payment',
      `${refunded.status}: ${money(refunded.amountRefunded)} refunded, ${money(refunded.partnerRefunded)} taken back from the partner`,
    );
    const afterRefund = await api<EarningsBody>('GET', '/earnings', { token, expect: 200 });
    const refundEntry = afterRefund.body.entries.find((e) => e.type === 'refund' && e.reference === depositPaymentId);
    check(
      refundEntry?.amount === -(DEPOSIT - depositFee),
      `GET /earnings should list a refund of ${money(-(DEPOSIT - depositFee))}: ${JSON.stringify(refundEntry)}`,
    );
    show('ledger', `refund ${money(refundEntry.amount)} (${refundEntry.payoutStatus}), ${refundEntry.id}`);

    const reversal: Stripe.TransferReversal = await stripe.transfers.createReversal(transfer.id);
    check(reversal.amount === COMMISSION, `reversal ${reversal.id} reversed ${reversal.amount}`);
    show('reversal', `${reversal.id}: ${money(reversal.amount)} of ${transfer.id}`);
    show('webhooks flushed', await flush());
    const afterReversal = await eventually(
      `payout ${payout.id} to be reversed`,
      () => api<{ payouts: PayoutView[] }>('GET', '/payouts', { token, expect: 200 }),
      (response) => response.body.payouts.find((p) => p.id === payout.id)?.status === 'reversed',
    );
    console.log('   GET /payouts');
    printPayouts(afterReversal.body.payouts);
    const back = await api<EarningsBody>('GET', '/earnings', { token, expect: 200 });
    console.log('   GET /earnings');
    printEntries(back.body.entries);
    const returnedCommission = back.body.entries.find((e) => e.type === 'earning' && e.amount === COMMISSION);
    check(
      returnedCommission?.payoutStatus === 'available' && returnedCommission.payoutId === null,
      `after the reversal the commission should be held and available again: ${JSON.stringify(returnedCommission)}`,
    );
    const afterSummary = back.body.summary[CURRENCY];
    check(
      afterSummary?.allTime === expectedAllTime - (DEPOSIT - depositFee),
      `summary allTime after the refund is ${afterSummary?.allTime}`,
    );
    show('summary', `all time ${money(afterSummary.allTime)}`);

    const nextPeriod = monthOf(new Date());
    let cursor: string | null = null;
    let next: { partnerId: string; currency: string; amount: number } | undefined;
    for (let pageNo = 0; pageNo < 10 && !next; pageNo += 1) {
      const dry: ApiResponse<DryRunBody> = await api<DryRunBody>('POST', '/admin/payout-runs', {
        token: adminToken,
        body: { period: nextPeriod, dryRun: true, ...(cursor ? { cursor } : {}) },
        expect: 200,
      });
      next = dry.body.payouts.find((p) => p.partnerId === partnerId);
      cursor = dry.body.nextCursor;
      if (dry.body.complete || !cursor) break;
    }
    check(
      next?.amount === COMMISSION,
      `a dry run of ${nextPeriod} should pay the partner ${money(COMMISSION)} again, plans ${next ? money(next.amount) : 'nothing'}`,
    );
    show('balance back', `${money(next.amount)} held for ${partnerId}: the dry run of run_${nextPeriod} would pay it`);

    // -----------------------------------------------------------------------------------------------------------
    step(9, 'A lost dispute and a reversal kept for good');
    const disputedRequest = await api<{ id: string }>('POST', '/payment-requests', {
      token,
      body: { amount: DEPOSIT, currency: CURRENCY, kind: 'deposit', description: 'Disputed deposit' },
      expect: 201,
    });
    const disputed = await api<IntentBody>('POST', `/payment-requests/${disputedRequest.body.id}/intent`, {
      token: buyer.idToken,
      body: {},
      expect: 201,
    });
    const disputedIntentId = disputed.body.clientSecret.split('_secret_')[0] ?? '';
    // Stripe's dispute test card: the charge is disputed as soon as it succeeds.
    await stripe.paymentIntents.confirm(disputedIntentId, { payment_method: 'pm_card_createDispute' });
    show('webhooks flushed', await flush());
    const [dispute] = (await stripe.disputes.list({ payment_intent: disputedIntentId })).data;
    check(dispute, `paying with pm_card_createDispute made no dispute on ${disputedIntentId}`);
    show('dispute', `${dispute.id}: ${dispute.status}, ${money(dispute.amount)} (${dispute.reason})`);
    await stripe.disputes.update(dispute.id, { evidence: { uncategorized_text: 'losing_evidence' } });
    show('evidence', 'losing_evidence → lost');
    show('webhooks flushed', await flush());
    const clawedBack = await eventually(
      `the lost dispute on ${disputed.body.paymentId} to be taken back`,
      () => api<EarningsBody>('GET', '/earnings', { token, expect: 200 }),
      (response) => response.body.entries.some((e) => e.type === 'clawback' && e.reference === disputed.body.paymentId),
    );
    const disputeEntries = clawedBack.body.entries.filter((e) => e.reference === disputed.body.paymentId);
    console.log('   GET /earnings (the disputed deposit)');
    printEntries(disputeEntries);
    const share = DEPOSIT - Math.floor((DEPOSIT * FEE_BPS + 5_000) / 10_000);
    check(
      disputeEntries.filter((e) => e.type === 'clawback').reduce((sum, e) => sum + e.amount, 0) === -share,
      `the lost dispute should take back ${money(share)}: ${JSON.stringify(disputeEntries)}`,
    );
    const kept = await api<{ keptAmount: number }>('POST', `/admin/payouts/${payout.id}/reversal-final`, {
      token: adminToken,
      body: { reason: 'Demo: the reversal was a fraud recovery' },
      expect: 200,
    });
    show('reversal-final', `${payout.id}: ${money(kept.body.keptAmount)} kept by the platform`);
    let again: { amount: number } | undefined;
    cursor = null;
    for (let pageNo = 0; pageNo < 10; pageNo += 1) {
      const dry: ApiResponse<DryRunBody> = await api<DryRunBody>('POST', '/admin/payout-runs', {
        token: adminToken,
        body: { period: nextPeriod, dryRun: true, ...(cursor ? { cursor } : {}) },
        expect: 200,
      });
      again ??= dry.body.payouts.find((p) => p.partnerId === partnerId);
      cursor = dry.body.nextCursor;
      if (dry.body.complete || !cursor) break;
    }
    check(again === undefined, `after reversal-final nothing should be paid again, plans ${JSON.stringify(again)}`);
    show('balance', `nothing for ${partnerId} in the dry run of run_${nextPeriod}`);
  } finally {
    if (endpointId && adminTokenForCleanup) {
      await api('DELETE', `/admin/webhook-endpoints/${endpointId}`, { token: adminTokenForCleanup }).catch(
        () => undefined,
      );
    }
    await platform?.close();
    platform = undefined;
    cognito.destroy();
  }
}

async function main(): Promise<number> {
  let target: Target | undefined;
  const stopOwn = async () => {
    if (target?.stop) {
      const stopping = performance.now();
      await target.stop();
      console.log(`\nStopped the in-process stack (${((performance.now() - stopping) / 1000).toFixed(1)} s).`);
    }
  };
  process.once('SIGINT', () => {
    console.error('\nInterrupted: stopping…');
    void (ownStack ? ownStack.stop() : Promise.resolve()).finally(() => process.exit(130));
  });
  try {
    step(1, 'The local stack');
    target = (await runningStack()) ?? (await ownLocalStack());
    show('stack', target.description);
    show('API', target.apiUrl);
    show('cognito-local', target.cognitoEndpoint);
    if (target.stripeUrl) show('Stripe emulator', target.stripeUrl);
    await journey(target);
    console.log(`\nThe whole journey behaved (${((performance.now() - began) / 1000).toFixed(1)} s).`);
    await stopOwn();
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`\nDEMO FAILED in ${currentStep}: ${message}`);
    if (!(error instanceof DemoError) && error instanceof Error && error.stack) console.error(error.stack);
    await stopOwn().catch((stopError: unknown) => console.error('Could not stop the in-process stack:', stopError));
    return 1;
  }
}

process.exit(await main());
