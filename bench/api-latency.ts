/**
 * Latency and throughput of the local API (API Gateway stand-in → the deployed handler files → DynamoDB Local and
 * the Stripe emulator) at N concurrent keep-alive connections, for the main read and write routes. Loopback only;
 * each phase stops at its time bound or its request cap, whichever comes first.
 *
 *   npx tsx bench/api-latency.ts [--connections 50] [--seconds 5] [--max-requests 20000] [--running]
 *
 * Each route is first driven for 1.5 s at full concurrency (warm-up, not counted).
 * Without --running it starts its own local stack in this process (startLocalStack, free ports, Stripe rate limit
 * off) — the load generator then shares the event loop with the handlers. With --running it drives the stack of
 * `npm start` (read from .local/stack.json), a separate process; its emulator keeps Stripe's 25 req/s test-mode
 * limit, so the Stripe-calling write routes see 429s from "Stripe" there.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { parseArgs } from 'node:util';
import { cognitoClient, type LocalUserPool, signIn } from '../local/cognito.ts';
import { startLocalStack } from '../local/stack.ts';
import { readRunningStack } from '../local/stack-file.ts';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '5' },
    'max-requests': { type: 'string', default: '20000' },
    running: { type: 'boolean', default: false },
  },
});
const connections = Math.min(256, Math.max(1, Number(values.connections)));
const seconds = Math.min(60, Math.max(1, Number(values.seconds)));
const maxRequests = Math.min(200_000, Math.max(1, Number(values['max-requests'])));

let apiUrl: string;
let cognitoEndpoint: string;
let userPool: LocalUserPool;
let stop = async () => {};
if (values.running) {
  const running = readRunningStack();
  if (running.state !== 'running') throw new Error('--running: no `npm start` stack is running');
  ({ apiUrl, cognitoEndpoint, userPool } = running.stack);
  console.log(`using the running stack at ${apiUrl}`);
} else {
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const started = performance.now();
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
  ({ apiUrl, cognitoEndpoint, userPool } = stack.info);
  stop = () => stack.stop();
  console.log(`local stack started in ${((performance.now() - started) / 1000).toFixed(1)} s at ${apiUrl}`);
}

const agent = new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
const api = new URL(apiUrl);

interface Answer {
  status: number;
  body: string;
}

function request(method: string, path: string, token: string | undefined, body?: unknown): Promise<Answer> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: '127.0.0.1',
        port: api.port,
        method,
        path,
        headers: {
          ...(token ? { authorization: token } : {}),
          ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Onboards a partner to `active` through the emulator's hosted page, as a browser would. */
async function activePartner(token: string): Promise<string> {
  const link = await request('POST', '/connect/onboarding-link', token, {});
  if (link.status !== 200) throw new Error(`onboarding link: ${link.status} ${link.body}`);
  const page = await fetch(JSON.parse(link.body).url as string);
  const html = await page.text();
  const session = /name="session" value="([^"]+)"/.exec(html)?.[1] ?? '';
  const submitted = await fetch(page.url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ session, action: 'complete' }).toString(),
  });
  await fetch(submitted.headers.get('location') ?? '', { redirect: 'manual' });
  const me = JSON.parse((await request('GET', '/partners/me', token)).body) as { id: string; status: string };
  if (me.status !== 'active') throw new Error(`partner is ${me.status}, not active`);
  return me.id;
}

const cognito = cognitoClient(cognitoEndpoint);
const tag = randomUUID().slice(0, 8);
const payee = await signIn(cognito, userPool, `bench-payee-${tag}@example.com`);
const customer = await signIn(cognito, userPool, `bench-customer-${tag}@example.com`);
const payeeId = await activePartner(payee.idToken);
await request('GET', '/partners/me', customer.idToken);

interface Phase {
  name: string;
  run: () => Promise<Answer>;
}

const phases: Phase[] = [
  { name: 'GET /me', run: () => request('GET', '/me', customer.idToken) },
  { name: 'GET /partners/me', run: () => request('GET', '/partners/me', payee.idToken) },
  { name: 'GET /earnings', run: () => request('GET', '/earnings?limit=25', payee.idToken) },
  { name: 'GET /connect/status', run: () => request('GET', '/connect/status', payee.idToken) },
  { name: 'POST /connect/account', run: () => request('POST', '/connect/account', payee.idToken, {}) },
  {
    name: 'POST /payments/intents',
    run: () =>
      request('POST', '/payments/intents', customer.idToken, {
        payeeId,
        amount: 2_500,
        currency: 'usd',
        kind: 'custom',
        description: 'Bench',
      }),
  },
];

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

const WARM_UP_MS = 1_500;

async function runPhase(phase: Phase) {
  // Warm-up at full concurrency: module import, first-use work and DynamoDB Local's JIT stay out of the figures.
  const warmUntil = performance.now() + WARM_UP_MS;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < warmUntil) await phase.run().catch(() => undefined);
    }),
  );
  const latencies: number[] = [];
  const errors = new Map<string, number>();
  let issued = 0;
  const deadline = performance.now() + seconds * 1000;
  const began = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < deadline && issued < maxRequests) {
        issued += 1;
        const start = performance.now();
        try {
          const answer = await phase.run();
          latencies.push(performance.now() - start);
          if (answer.status >= 300) {
            const code = (/"code":"([^"]+)"/.exec(answer.body)?.[1] ?? '') || 'no code';
            const key = `${answer.status} ${code}`;
            errors.set(key, (errors.get(key) ?? 0) + 1);
          }
        } catch (error) {
          const key = (error as Error).message;
          errors.set(key, (errors.get(key) ?? 0) + 1);
        }
      }
    }),
  );
  const elapsed = (performance.now() - began) / 1000;
  latencies.sort((a, b) => a - b);
  const failed = [...errors.values()].reduce((a, b) => a + b, 0);
  return {
    phase: phase.name,
    requests: issued,
    rps: issued / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? Number.NaN,
    failed,
    errors: [...errors].map(([k, n]) => `${k} ×${n}`).join(', '),
  };
}

try {
  console.log(
    `Node ${process.version}, ${connections} keep-alive connections, ≤ ${seconds} s or ${maxRequests} requests per route\n`,
  );
  console.log(
    `${'route'.padEnd(24)} ${'requests'.padStart(8)} ${'req/s'.padStart(8)} ${'p50'.padStart(9)} ${'p99'.padStart(9)} ${'max'.padStart(9)} ${'errors'.padStart(7)}`,
  );
  for (const phase of phases) {
    const r = await runPhase(phase);
    const ms = (value: number) => `${value.toFixed(1)} ms`.padStart(9);
    console.log(
      `${r.phase.padEnd(24)} ${String(r.requests).padStart(8)} ${r.rps.toFixed(0).padStart(8)} ${ms(r.p50)} ${ms(r.p99)} ${ms(r.max)} ${String(r.failed).padStart(7)}${r.errors ? `  (${r.errors})` : ''}`,
    );
  }
} finally {
  agent.destroy();
  await stop();
}
