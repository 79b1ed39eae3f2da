/**
 * Events per second through the two webhook handlers over the local API: Stripe-Signature verification on the raw
 * body, de-duplication by event id, and the processing itself (each event re-reads its object from the Stripe
 * emulator and converges the table on it). Events are signed here with the emulator's `signPayload`, as Stripe
 * signs them; every event is also sent a second time (a duplicate). Loopback only, bounded in count and time.
 *
 *   npx tsx bench/webhooks.ts [--concurrency 16] [--events 400] [--seconds 10]
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { parseArgs } from 'node:util';
import Stripe from 'stripe';
import { cognitoClient, signIn } from '../local/cognito.ts';
import { startLocalStack } from '../local/stack.ts';
import { signPayload } from '../local/stripe-emulator/index.ts';

const { values } = parseArgs({
  options: {
    concurrency: { type: 'string', default: '16' },
    events: { type: 'string', default: '400' },
    seconds: { type: 'string', default: '10' },
  },
});
const concurrency = Math.min(128, Math.max(1, Number(values.concurrency)));
const eventCount = Math.min(20_000, Math.max(1, Number(values.events)));
const seconds = Math.min(60, Math.max(1, Number(values.seconds)));

process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
// Customer-set amounts (the stage's openAmounts switch) stay on here: the bench measures that route as before.
process.env.OPEN_AMOUNTS ??= 'true';
const stack = await startLocalStack({
  apiPort: 0,
  dynamoPort: 0,
  cognitoPort: 0,
  stripePort: 0,
  // Our code's speed, not Stripe's limits: every limit raised, on the emulator and in the functions' budgets.
  stripeRateLimits: { global: 1_000_000, endpointDefault: 1_000_000 },
  functionStripeRateLimits: { global: 100_000, endpointDefault: 100_000 },
  stripeInitialBalance: [{ currency: 'usd', amount: 1_000_000_000 }],
});
const { info } = stack;
const api = new URL(info.apiUrl);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });

function post(path: string, body: string, headers: Record<string, string>, token?: string) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: '127.0.0.1',
        port: api.port,
        method: 'POST',
        path,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...(token ? { authorization: token } : {}),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

try {
  // An active partner (its Express account) and a paid destination charge to it: the objects the events name.
  const cognito = cognitoClient(info.cognitoEndpoint);
  const tag = randomUUID().slice(0, 8);
  const payee = await signIn(cognito, info.userPool, `bench-payee-${tag}@example.com`);
  const customer = await signIn(cognito, info.userPool, `bench-customer-${tag}@example.com`);
  const link = JSON.parse((await post('/connect/onboarding-link', '{}', {}, payee.idToken)).body) as { url: string };
  const page = await fetch(link.url);
  const session = /name="session" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
  const submitted = await fetch(page.url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ session, action: 'complete' }).toString(),
  });
  await fetch(submitted.headers.get('location') ?? '', { redirect: 'manual' });
  const me = await fetch(`${info.apiUrl}/partners/me`, { headers: { authorization: payee.idToken } });
  const partner = (await me.json()) as { id: string; stripeAccountId: string; status: string };
  if (partner.status !== 'active') throw new Error(`payee is ${partner.status}`);
  const created = await post(
    '/payments/intents',
    JSON.stringify({ payeeId: partner.id, amount: 5_000, currency: 'usd', kind: 'custom', description: 'Bench' }),
    {},
    customer.idToken,
  );
  const { clientSecret } = JSON.parse(created.body) as { clientSecret: string };
  const paymentIntentId = clientSecret.split('_secret_')[0] ?? '';
  const stripe = new Stripe(info.stripeApiKey, { ...stack.stripe.stripeOptions, maxNetworkRetries: 0 });
  await stripe.paymentIntents.confirm(paymentIntentId, { payment_method: 'pm_card_visa' });
  await stack.stripe.flushWebhooks();
  const account = await stripe.accounts.retrieve(partner.stripeAccountId);
  const intent = await stripe.paymentIntents.retrieve(paymentIntentId);

  const event = (id: string, type: string, object: unknown, accountId?: string) =>
    JSON.stringify({
      id,
      object: 'event',
      api_version: '2025-01-27.acacia',
      created: Math.floor(Date.now() / 1000),
      type,
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      data: { object },
      ...(accountId ? { account: accountId } : {}),
    });

  interface Scenario {
    name: string;
    path: string;
    secret: string;
    payload: (n: number) => string;
    /** Send this with a wrong signature instead (the refusal path). */
    forge?: boolean;
  }
  const run = `${Date.now().toString(36)}`;
  const scenarios: Scenario[] = [
    {
      name: 'connect  account.updated',
      path: '/webhooks/stripe/connect',
      secret: info.connectWebhookSecret,
      payload: (n) => event(`evt_bench_c_${run}_${n}`, 'account.updated', account, account.id),
    },
    {
      name: 'platform payment_intent.succeeded',
      path: '/webhooks/stripe',
      secret: info.platformWebhookSecret,
      payload: (n) => event(`evt_bench_p_${run}_${n}`, 'payment_intent.succeeded', intent),
    },
    {
      name: 'platform unknown type (ack only)',
      path: '/webhooks/stripe',
      secret: info.platformWebhookSecret,
      payload: (n) => event(`evt_bench_u_${run}_${n}`, 'customer.created', { id: `cus_${n}` }),
    },
    {
      name: 'platform bad signature (400)',
      path: '/webhooks/stripe',
      secret: 'whsec_not_the_secret',
      payload: (n) => event(`evt_bench_x_${run}_${n}`, 'payment_intent.succeeded', intent),
      forge: true,
    },
  ];

  /** Sends every payload once (first deliveries), then all again (duplicates); concurrency workers, bounded. */
  async function measure(scenario: Scenario, pass: 'first' | 'duplicate') {
    let next = 0;
    const statuses = new Map<string, number>();
    const deadline = performance.now() + seconds * 1000;
    const began = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < eventCount && performance.now() < deadline) {
          const n = next;
          next += 1;
          const payload = scenario.payload(n);
          const signature = signPayload(payload, scenario.secret, Math.floor(Date.now() / 1000));
          const answer = await post(scenario.path, payload, { 'stripe-signature': signature });
          const key = `${answer.status}${answer.body.includes('"duplicate":true') ? ' duplicate' : ''}`;
          statuses.set(key, (statuses.get(key) ?? 0) + 1);
        }
      }),
    );
    const elapsed = (performance.now() - began) / 1000;
    const sent = [...statuses.values()].reduce((a, b) => a + b, 0);
    return {
      label: `${scenario.name} — ${pass}`,
      sent,
      perSecond: sent / elapsed,
      statuses: [...statuses].map(([k, n]) => `${k}×${n}`).join(' '),
    };
  }

  console.log(
    `Node ${process.version}, ${concurrency} concurrent senders, ≤ ${eventCount} events or ${seconds} s per pass\n`,
  );
  console.log(`${'scenario'.padEnd(50)} ${'events'.padStart(7)} ${'events/s'.padStart(9)}  statuses`);
  for (const scenario of scenarios) {
    for (const pass of scenario.forge ? (['first'] as const) : (['first', 'duplicate'] as const)) {
      const r = await measure(scenario, pass);
      console.log(
        `${r.label.padEnd(50)} ${String(r.sent).padStart(7)} ${r.perSecond.toFixed(0).padStart(9)}  ${r.statuses}`,
      );
    }
  }
} finally {
  agent.destroy();
  await stack.stop();
}
