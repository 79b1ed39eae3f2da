/**
 * Benchmark of the monthly payout run (a script that prints figures, not a test):
 *
 *   npx tsx bench/payout-run.ts [--partners 10000] [--latency-ms 300] [--limit 100] [--workers 16] [--naive-sample 60]
 *
 * It starts the whole local stack (DynamoDB Local, cognito-local, the Stripe emulator, the SQS stand-in and the
 * payout workers), seeds N active partners with one available held earning each, sets the emulator to answer in
 * ~latency ms with Stripe's live-mode limit (100 requests/s), runs the month's payout run through the same code that
 * runs in AWS, and prints transfers per second, the ratio to the limit, the total time, DynamoDB reads and writes
 * per partner paid, the longest worker invocation, double transfers (must be 0), and a projection for 1,000,000
 * partners — beside the naive approach (one loop awaiting `transfers.create` per partner) measured on a sample.
 * Loopback only; bounded in count and time.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import Stripe from 'stripe';

const { values: args } = parseArgs({
  options: {
    partners: { type: 'string', default: '10000' },
    'latency-ms': { type: 'string', default: '300' },
    limit: { type: 'string', default: '100' },
    workers: { type: 'string', default: '16' },
    'naive-sample': { type: 'string', default: '60' },
    'timeout-s': { type: 'string', default: '900' },
  },
});
const N = Number(args.partners);
const LATENCY = Number(args['latency-ms']);
const LIMIT = Number(args.limit);
const WORKERS = Number(args.workers);
const NAIVE_SAMPLE = Number(args['naive-sample']);
const TIMEOUT_MS = Number(args['timeout-s']) * 1000;
const PERIOD = '2026-10';
const AMOUNT = 1_000;

// The payout workers share a budget of 95 % of the limit (what payout-deps does for a live key).
process.env.STRIPE_REQUESTS_PER_SECOND = String(LIMIT * 0.95);
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
process.env.PAYOUT_PLANNING_PAGE_SIZE ??= '250';
// Plan everything first (the approval gate), then measure sending on its own: locally, planning is bound by
// DynamoDB Local on two shared cores, not by anything Stripe-shaped.
process.env.PAYOUT_REQUIRE_APPROVAL = 'true';

const { startLocalStack } = await import('../local/stack.ts');
const invocations: number[] = [];
const stack = await startLocalStack({
  apiPort: 0,
  dynamoPort: 0,
  cognitoPort: 0,
  stripePort: 0,
  sqsPort: 0,
  stripeRateLimitPerSecond: 100_000, // seeding runs unthrottled; the run itself gets LIMIT below
  stripeInitialBalance: [{ currency: 'usd', amount: (N + NAIVE_SAMPLE + 10) * AMOUNT }],
  stripeRequestLogCapacity: 4 * N + 10_000, // every transfer request of the run, 429s and retries included
  payoutWorkerConcurrency: WORKERS,
  payoutVisibilityTimeoutSeconds: 30,
  onPayoutInvocation: (ms) => invocations.push(ms),
});

const { dynamo, tableName } = await import('#adapters/dynamodb/client');
const { partnerItem } = await import('#adapters/dynamodb/partner-repository');
const { dynamoLedgerStore } = await import('#adapters/dynamodb/ledger-store');
const { payoutDeps } = await import('#adapters/payout-deps');
const { approveRun, startRun } = await import('#core/payouts');

const stripe = new Stripe(stack.info.stripeApiKey, { ...stack.stripe.stripeOptions, maxNetworkRetries: 2 });
const fmt = (n: number, digits = 1) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** CPU seconds used so far by DynamoDB Local (the only Java process here); NaN where `ps` is unavailable. */
function javaCpuSeconds(): number {
  try {
    return Number(execFileSync('ps', ['-C', 'java', '-o', 'cputimes='], { encoding: 'utf8' }).trim().split(/\s+/)[0]);
  } catch {
    return Number.NaN;
  }
}

async function pool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Seed: N active partners with connected accounts and one available held earning each.
const seedStarted = performance.now();
const partners: Array<{ id: string; account: string }> = [];
await pool(
  Array.from({ length: N + NAIVE_SAMPLE }, (_, i) => i),
  64,
  async () => {
    const account = await stripe.accounts.create({
      type: 'express',
      country: 'US',
      capabilities: { transfers: { requested: true } },
    });
    await stack.stripe.setAccountState(account.id, 'verified');
    partners.push({ id: `ptn_${randomBytes(12).toString('hex')}`, account: account.id });
  },
);
const now = new Date().toISOString();
const client: DynamoDBDocumentClient = dynamo();
for (let i = 0; i < N; i += 25) {
  const chunk = partners.slice(i, i + 25);
  await client.send(
    new BatchWriteCommand({
      RequestItems: {
        [tableName()]: chunk.map((p) => ({
          PutRequest: {
            Item: partnerItem({
              id: p.id,
              kind: 'personal',
              name: p.id,
              country: 'US',
              defaultCurrency: 'usd',
              payoutPreference: 'stripe',
              stripeAccountId: p.account,
              onboarding: null,
              stateAsOf: now,
              lastEventCreated: null,
              disconnectedAt: null,
              contactEmail: null,
              stateVersion: 0,
              status: 'active',
              createdAt: now,
              updatedAt: now,
              version: 1,
            }),
          },
        })),
      },
    }),
  );
}
const availableAt = Date.UTC(2026, 9, 5);
await pool(partners.slice(0, N), 32, async (p) => {
  const entryId = `le_bench_${p.id}`;
  await dynamoLedgerStore.recordHeld(
    {
      externalId: `bench-${p.id}`,
      partnerId: p.id,
      amount: AMOUNT,
      currency: 'usd',
      description: 'Commission',
      availableAt,
      entryId,
      fingerprint: 'bench',
      clawedBack: 0,
      recordedAt: now,
      version: 1,
    },
    {
      id: entryId,
      partnerId: p.id,
      currency: 'usd',
      type: 'earning',
      amount: AMOUNT,
      occurredAt: availableAt,
      description: 'Commission',
      reference: `bench-${p.id}`,
      payoutStatus: 'pending',
      availableAt,
      recordedAt: now,
    },
  );
});
// Deliver the seeding's account events now: left queued, the Connect webhook would still be handling them (each
// reading the account from Stripe) while the run sends, competing for Stripe's rate limit and this machine's CPU.
const flushed = await stack.stripe.flushWebhooks();
console.log(
  `seeded ${N} active partners with one available earning each in ${fmt((performance.now() - seedStarted) / 1000)} s (${flushed.attempted} seeding webhooks delivered)`,
);

// ---------------------------------------------------------------------------------------------------------------
// Count DynamoDB reads and writes (items) from here on.
const ops = { reads: 0, writes: 0, requests: 0 };
client.middlewareStack.add(
  (next, context) => async (argsIn) => {
    const input = argsIn.input as {
      TransactItems?: unknown[];
      RequestItems?: Record<string, unknown[] | { Keys?: unknown[] }>;
    };
    const name = context.commandName ?? '';
    const requested = Object.values(input.RequestItems ?? {});
    ops.requests += 1;
    if (/^BatchGet/.test(name))
      ops.reads += requested.reduce((n, r) => n + (Array.isArray(r) ? r.length : (r.Keys?.length ?? 0)), 0);
    else if (/^(Get|Query|Scan)/.test(name)) ops.reads += 1;
    else if (input.TransactItems) ops.writes += input.TransactItems.length;
    else if (/^BatchWrite/.test(name))
      ops.writes += requested.reduce((n, r) => n + (Array.isArray(r) ? r.length : 0), 0);
    else ops.writes += 1;
    return next(argsIn);
  },
  { step: 'initialize', name: 'benchOpCounter' },
);

// Stripe as the run sees it: ~LATENCY ms per request, LIMIT requests/s.
await stack.stripe.setRateLimit({ global: LIMIT });
await stack.stripe.setFaults([{ endpoint: '*', latency: { minMs: LATENCY * 0.8, maxMs: LATENCY * 1.2 } }]);
await stack.stripe.clearRequestLog();

const deps = await payoutDeps({ count: () => undefined });
const planningStarted = performance.now();
const { run } = await startRun(deps, { period: PERIOD, startedBy: 'bench' });
let current = run;
while (performance.now() - planningStarted < TIMEOUT_MS && !current.planningComplete) {
  await new Promise((resolve) => setTimeout(resolve, 500));
  current = (await deps.store.getRun(run.id)) ?? current;
}
const planningSeconds = (performance.now() - planningStarted) / 1000;
const planningOps = { ...ops };
console.log(`planned ${current.counters.queued} payouts in ${fmt(planningSeconds)} s; approving the run`);
const runStarted = performance.now();
const cpuAtStart = { java: javaCpuSeconds(), node: process.cpuUsage() };
await approveRun(deps, run.id);
let lastPrint = 0;
while (performance.now() - runStarted < TIMEOUT_MS) {
  await new Promise((resolve) => setTimeout(resolve, 500));
  current = (await deps.store.getRun(run.id)) ?? current;
  const c = current.counters;
  if (performance.now() - lastPrint > 10_000) {
    lastPrint = performance.now();
    console.log(`  ${fmt((performance.now() - runStarted) / 1000, 0)} s: planned ${c.queued}, paid ${c.paid}`);
  }
  if (current.planningComplete && c.paid + c.carriedForward + c.awaitingFunds + c.failed >= c.queued && c.queued > 0)
    break;
}
const runSeconds = (performance.now() - runStarted) / 1000;
const nodeCpu = process.cpuUsage(cpuAtStart.node);
const cpu = { java: javaCpuSeconds() - cpuAtStart.java, node: (nodeCpu.user + nodeCpu.system) / 1e6 };
const opsDuringRun = { ...ops };
const sendingOps = {
  reads: ops.reads - planningOps.reads,
  writes: ops.writes - planningOps.writes,
  requests: ops.requests - planningOps.requests,
};

// Transfers as Stripe recorded them: rate over the sending window, and doubles per payout.
const fullLog = await stack.stripe.requestLog({ limit: 100_000 });
const log = fullLog.filter((entry) => entry.method === 'POST' && entry.path === '/v1/transfers');
/** Stripe requests that were not transfers (they share the rate limit with the run). */
const otherRequests = fullLog.length - log.length;
const accepted = log.filter((entry) => entry.status === 200);
const times = accepted.map((entry) => entry.at).sort((a, b) => a - b);
await stack.stripe.setRateLimit({ global: null });
await stack.stripe.clearFaults();
const perPayout = new Map<string, number>();
for await (const transfer of stripe.transfers.list({ transfer_group: run.id, limit: 100 })) {
  const payoutId = transfer.metadata?.payoutId ?? '';
  perPayout.set(payoutId, (perPayout.get(payoutId) ?? 0) + 1);
}
const doubles = [...perPayout.values()].reduce((sum, count) => sum + Math.max(0, count - 1), 0);
const windowSeconds = times.length > 1 ? ((times.at(-1) ?? 0) - (times[0] ?? 0)) / 1000 : runSeconds;
const transfersPerSecond = perPayout.size / Math.max(windowSeconds, 0.001);
const rejected429 = log.filter((entry) => entry.status === 429).length;
/** Accepted transfers per second in ten equal slices of the window: shows ramp-up and the sustained rate. */
const slices = Array.from({ length: 10 }, () => 0);
for (const at of times) {
  const i = Math.min(9, Math.floor((10 * (at - (times[0] ?? 0))) / Math.max(windowSeconds * 1000, 1)));
  slices[i] = (slices[i] ?? 0) + 1;
}
const sliceRates = slices.map((count) => count / Math.max(windowSeconds / 10, 0.001));
/** The most transfer requests (any answer) that reached Stripe within one second: what its rate limiter saw. */
const arrivals = log.map((entry) => entry.at).sort((a, b) => a - b);
let busiestSecond = 0;
for (let lo = 0, hi = 0; hi < arrivals.length; hi++) {
  while ((arrivals[hi] ?? 0) - (arrivals[lo] ?? 0) >= 1000) lo++;
  busiestSecond = Math.max(busiestSecond, hi - lo + 1);
}

// ---------------------------------------------------------------------------------------------------------------
// The naive approach on a sample: one loop awaiting transfers.create for each partner in turn.
await stack.stripe.setRateLimit({ global: LIMIT });
await stack.stripe.setFaults([{ endpoint: '*', latency: { minMs: LATENCY * 0.8, maxMs: LATENCY * 1.2 } }]);
const naiveStarted = performance.now();
for (const p of partners.slice(N, N + NAIVE_SAMPLE)) {
  await stripe.transfers.create(
    { amount: AMOUNT, currency: 'usd', destination: p.account, transfer_group: 'naive' },
    { idempotencyKey: `naive:${p.id}` },
  );
}
const naiveSeconds = (performance.now() - naiveStarted) / 1000;
const naiveRate = NAIVE_SAMPLE / naiveSeconds;
await stack.stripe.clearFaults();

const paid = current.counters.paid;
const maxInvocation = Math.max(0, ...invocations) / 1000;
const projectionSeconds = 1_000_000 / transfersPerSecond;
console.log(`
payout run: ${N} partners, emulator ~${LATENCY} ms per request, limit ${LIMIT} requests/s, ${WORKERS} workers x batch 10
  paid                          ${paid} of ${current.counters.queued} planned (${current.counters.awaitingFunds} awaiting funds, ${current.counters.carriedForward} carried forward)
  planning                      ${fmt(planningSeconds)} s (${fmt(current.counters.queued / planningSeconds)} partners/s, bound by DynamoDB Local here)
  sending                       ${fmt(runSeconds)} s from approval to the last payout recorded
  total time                    ${fmt(planningSeconds + runSeconds)} s
  transfers per second          ${fmt(transfersPerSecond)} over the sending window of ${fmt(windowSeconds)} s
  ratio to the limit            ${fmt((100 * transfersPerSecond) / LIMIT)} %
  per tenth of the window       ${sliceRates.map((r) => fmt(r, 0)).join(' ')} transfers/s
  CPU while sending             DynamoDB Local ${fmt(cpu.java / runSeconds, 2)} cores, this process (workers, emulator, SQS) ${fmt(cpu.node / runSeconds, 2)} cores, of ${availableParallelism()}
  429s from Stripe              ${rejected429} (busiest second: ${busiestSecond} transfer requests; ${otherRequests} other Stripe requests during the run)
  double transfers              ${doubles}
  DynamoDB per partner paid     ${fmt(opsDuringRun.reads / Math.max(paid, 1), 2)} reads, ${fmt(opsDuringRun.writes / Math.max(paid, 1), 2)} writes (items; planning ${fmt(planningOps.reads / Math.max(paid, 1), 2)}/${fmt(planningOps.writes / Math.max(paid, 1), 2)}, sending ${fmt(sendingOps.reads / Math.max(paid, 1), 2)}/${fmt(sendingOps.writes / Math.max(paid, 1), 2)} incl. rate-budget slots)
  DynamoDB requests per partner ${fmt(opsDuringRun.requests / Math.max(paid, 1), 2)} (planning ${fmt(planningOps.requests / Math.max(paid, 1), 2)}, sending ${fmt(sendingOps.requests / Math.max(paid, 1), 2)})
  longest worker invocation     ${fmt(maxInvocation, 2)} s over ${invocations.length} invocations (Lambda limit 900 s)
  projection, 1,000,000         ${fmt(projectionSeconds / 3600, 2)} h of sending at this rate; planning pages and worker batches stay bounded, so no invocation grows with N
naive loop (sample of ${NAIVE_SAMPLE}):
  transfers per second          ${fmt(naiveRate, 2)} (${fmt((100 * naiveRate) / LIMIT)} % of the limit)
  projection, ${N}              ${fmt(N / naiveRate / 60)} min in one process (a Lambda stops at 15 min)
  projection, 1,000,000         ${fmt(1_000_000 / naiveRate / 3600)} h
`);
await stack.stop();
process.exit(doubles === 0 ? 0 : 1);
