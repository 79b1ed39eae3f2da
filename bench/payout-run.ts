/**
 * Benchmark of the monthly payout run at Stripe's rate limits (a script that prints figures, not a test):
 *
 *   npx tsx bench/payout-run.ts --profile default [--partners 1500] [--webhooks-per-second 20] [--latency-ms 300]
 *   npx tsx bench/payout-run.ts --profile raised  [--partners 3000] ...
 *
 * Profiles (a live-shaped key, so Stripe's live limits apply; the emulator enforces them strictly over any sliding
 * second, and the functions budget 95 % of them):
 *   default  Stripe's documented limits: 100 requests/s globally, 25/s per endpoint — transfers bind at 25/s.
 *   raised   the account after Stripe raised `POST /v1/transfers` to 100/s and the global limit to 200/s (declared
 *            to the functions as `stripeRateLimits`) — transfers bind at 100/s.
 *
 * It starts the whole local stack, seeds N active partners with one available held earning each, then runs the
 * month's payout run through the same code as in AWS while a webhook load posts signed `account.updated` deliveries
 * to the Connect webhook (each handler re-reads the account from Stripe, sharing the global limit with the run). It
 * prints transfers/s and the ratio to the binding limit, the busiest second per endpoint and globally (every request
 * Stripe saw, refused ones included), 429s, the webhook handlers' wait for a Stripe start time (p50/p99), doubles,
 * DynamoDB work per partner and the projection for 1,000,000 partners. Loopback only; bounded in count and time.
 *
 * Throughput depends on how busy the machine is; the cost per transfer paid does not, so it prints that too: CPU ms
 * of this process and of this stack's DynamoDB Local JVM, DynamoDB requests per operation and item (with consumed
 * capacity), the table-stream poller's Streams API requests and Stripe requests per endpoint. `--cpu-profile` splits
 * this process's CPU by component (`--cpu-profile-file` keeps the profile); `--webhooks-per-second 0` leaves the
 * webhook load's work out of the per-transfer figures.
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import Stripe from 'stripe';
import { type CpuProfiler, javaPidForPort, ownCpuMs, processCpuMs, startCpuProfiler } from './process-cpu.ts';
import { seedOnboardedPartners } from './seed.ts';

const { values: args } = parseArgs({
  options: {
    profile: { type: 'string', default: 'default' },
    partners: { type: 'string' },
    'latency-ms': { type: 'string', default: '300' },
    'webhooks-per-second': { type: 'string', default: '20' },
    workers: { type: 'string', default: '8' },
    'timeout-s': { type: 'string', default: '900' },
    /** Sample this process while sending and split its CPU by component (adds a little CPU of its own). */
    'cpu-profile': { type: 'boolean', default: false },
    /** Where to write that profile (.cpuprofile, for Chrome DevTools), if anywhere. */
    'cpu-profile-file': { type: 'string' },
  },
});

interface Profile {
  /** Stripe's limits for the account: the emulator enforces them, the functions budget 95 % of them. */
  limits: { global: number; endpoints: Record<string, number> };
  partners: number;
}
const PROFILES: Record<'default' | 'raised', Profile> = {
  default: { limits: { global: 100, endpoints: {} }, partners: 1_500 },
  raised: { limits: { global: 200, endpoints: { 'POST /v1/transfers': 100 } }, partners: 3_000 },
};
if (args.profile !== 'default' && args.profile !== 'raised') throw new Error('--profile is default or raised');
const PROFILE_NAME = args.profile;
const PROFILE = PROFILES[PROFILE_NAME];
const N = Number(args.partners ?? PROFILE.partners);
const LATENCY = Number(args['latency-ms']);
const WEBHOOKS_PER_SECOND = Number(args['webhooks-per-second']);
const WORKERS = Number(args.workers);
const TIMEOUT_MS = Number(args['timeout-s']) * 1000;
const PERIOD = '2026-10';
const AMOUNT = 1_000;
const ENDPOINT_DEFAULT = 25;
const TRANSFER_LIMIT = PROFILE.limits.endpoints['POST /v1/transfers'] ?? ENDPOINT_DEFAULT;
/** What binds the run: the transfers endpoint, unless the global limit is lower. */
const BINDING = Math.min(TRANSFER_LIMIT, PROFILE.limits.global);
const UNLIMITED = { global: 100_000, endpointDefault: 100_000 };

process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
process.env.PAYOUT_PLANNING_PAGE_SIZE ??= '250';
// Plan everything first (the approval gate), then measure sending on its own: locally, planning is bound by
// DynamoDB Local on two shared cores, not by anything Stripe-shaped.
process.env.PAYOUT_REQUIRE_APPROVAL = 'true';

const { startLocalStack } = await import('../local/stack.ts');
const invocations: number[] = [];
const stack = await startLocalStack({
  // Minutes of steady load: DynamoDB Local's JVM with its own (throughput) defaults, not the short-run options.
  dynamoJvmOptions: [],
  apiPort: 0,
  dynamoPort: 0,
  cognitoPort: 0,
  stripePort: 0,
  sqsPort: 0,
  // A live-shaped key: the emulator applies live mode's limits to it (it never reaches Stripe).
  stripeApiKey: ['sk', 'live', 'bench', randomBytes(8).toString('hex')].join('_'),
  // Seeding runs unthrottled, on both sides; the run itself gets the profile's limits below.
  stripeRateLimits: UNLIMITED,
  functionStripeRateLimits: UNLIMITED,
  stripeInitialBalance: [{ currency: 'usd', amount: (N + 10) * AMOUNT }],
  stripeRequestLogCapacity: 8 * N + 50_000, // every request of the run, webhooks' re-reads and 429s included
  payoutWorkerConcurrency: WORKERS,
  payoutVisibilityTimeoutSeconds: 30,
  onPayoutInvocation: (ms) => invocations.push(ms),
});

const { dynamo } = await import('#adapters/dynamodb/client');
const { dynamoLedgerStore } = await import('#adapters/dynamodb/ledger-store');
const { payoutDeps } = await import('#adapters/payout-deps');
const { stripeTransfers } = await import('#adapters/stripe/create-transfer');
const { sqsPayoutQueue } = await import('#adapters/sqs/payout-queue');
const { observeStripeWaits, resetStripeRateBudgetsForTests } = await import('#adapters/stripe/rate-budgets');
const { resetConfigForTests } = await import('#config');
const { busiestSecond, signPayload } = await import('../local/stripe-emulator/index.ts');
const { approveRun, startRun } = await import('#core/payouts');

const stripe = new Stripe(stack.info.stripeApiKey, { ...stack.stripe.stripeOptions, maxNetworkRetries: 2 });
const fmt = (n: number, digits = 1) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** This stack's DynamoDB Local JVM (by its port: other stacks' JVMs may run beside it). */
const javaPid = javaPidForPort(Number(new URL(stack.info.dynamoEndpoint).port));

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
  Array.from({ length: N }, (_, i) => i),
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
await seedOnboardedPartners(partners.slice(0, N), now);
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
/** What a request is about, for attributing it: its key's prefix (`PARTNER`, `RATE_BUDGET`, …) or its index. */
function itemKind(input: object): string {
  const i = input as {
    Key?: { PK?: unknown };
    Item?: { PK?: unknown };
    IndexName?: string;
    ExpressionAttributeValues?: Record<string, unknown>;
    TransactItems?: Array<Record<string, { Key?: { PK?: unknown }; Item?: { PK?: unknown } }>>;
    RequestItems?: Record<string, { Keys?: Array<{ PK?: unknown }> } | unknown[]>;
  };
  const prefix = (pk: unknown) => (typeof pk === 'string' ? (pk.split('#')[0] ?? '') : '?');
  const pk = i.Key?.PK ?? i.Item?.PK;
  // A rate budget: which one (an endpoint's, a global lane's).
  if (typeof pk === 'string' && pk.startsWith('RATE_BUDGET#'))
    return pk.replace(/^RATE_BUDGET#stripe:\w+:/, 'RATE_BUDGET ');
  if (i.Key || i.Item) return prefix(pk);
  if (i.TransactItems)
    return [
      ...new Set(i.TransactItems.map((t) => Object.values(t)[0]).map((op) => prefix(op?.Key?.PK ?? op?.Item?.PK))),
    ].join('+');
  if (i.RequestItems) {
    const first = Object.values(i.RequestItems)[0];
    return prefix(Array.isArray(first) ? undefined : first?.Keys?.[0]?.PK);
  }
  const value = Object.values(i.ExpressionAttributeValues ?? {}).find((v) => typeof v === 'string');
  return `${i.IndexName ?? 'table'} ${prefix(value)}`;
}

// Every request also asks for its consumed capacity (what AWS would bill), summed per command.
const ops = { reads: 0, writes: 0, requests: 0 };
const byCommand = new Map<string, { requests: number; capacity: number }>();
const commandTotals = () => new Map([...byCommand].map(([name, c]) => [name, { ...c }] as const));
dynamo().middlewareStack.add(
  (next, context) => async (argsIn) => {
    const input = argsIn.input as {
      TransactItems?: unknown[];
      RequestItems?: Record<string, unknown[] | { Keys?: unknown[] }>;
      ReturnConsumedCapacity?: string;
    };
    const name = context.commandName ?? '';
    const requested = Object.values(input.RequestItems ?? {});
    input.ReturnConsumedCapacity ??= 'TOTAL';
    ops.requests += 1;
    const label = `${name.replace(/Command$/, '')} ${itemKind(argsIn.input)}`;
    const command = byCommand.get(label) ?? { requests: 0, capacity: 0 };
    byCommand.set(label, command);
    command.requests += 1;
    if (/^BatchGet/.test(name))
      ops.reads += requested.reduce((n, r) => n + (Array.isArray(r) ? r.length : (r.Keys?.length ?? 0)), 0);
    else if (/^(Get|Query|Scan)/.test(name)) ops.reads += 1;
    else if (input.TransactItems) ops.writes += input.TransactItems.length;
    else if (/^BatchWrite/.test(name))
      ops.writes += requested.reduce((n, r) => n + (Array.isArray(r) ? r.length : 0), 0);
    else ops.writes += 1;
    let result: Awaited<ReturnType<typeof next>>;
    try {
      result = await next(argsIn);
    } catch (error) {
      const failed = byCommand.get(`${label} (refused)`) ?? { requests: 0, capacity: 0 };
      byCommand.set(`${label} (refused)`, failed);
      failed.requests += 1;
      throw error;
    }
    const consumed = (result.output as { ConsumedCapacity?: { CapacityUnits?: number } | { CapacityUnits?: number }[] })
      .ConsumedCapacity;
    for (const c of Array.isArray(consumed) ? consumed : consumed ? [consumed] : [])
      command.capacity += c.CapacityUnits ?? 0;
    return result;
  },
  { step: 'initialize', name: 'benchOpCounter' },
);

// The accounts the webhook load will announce as updated (read before the limits apply).
const accounts = await Promise.all(partners.slice(0, 50).map((p) => stripe.accounts.retrieve(p.account)));
// Stripe as the run sees it: ~LATENCY ms per request and the profile's limits, strictly; the functions budget 95 %
// of the same limits (what a stage declares in stripeRateLimits).
await stack.stripe.setRateLimit({
  global: { live: PROFILE.limits.global, test: null },
  endpointDefault: ENDPOINT_DEFAULT,
  endpoints: PROFILE.limits.endpoints,
});
await stack.stripe.setFaults([{ endpoint: '*', latency: { minMs: LATENCY * 0.8, maxMs: LATENCY * 1.2 } }]);
process.env.STRIPE_RATE_LIMITS = JSON.stringify(PROFILE.limits);
resetConfigForTests();
resetStripeRateBudgetsForTests();
/** The webhook handlers' waits for a Stripe start time (account re-reads in the background lane). */
const webhookWaits: number[] = [];
observeStripeWaits((slot, waited) => {
  if (slot.endpoint === 'GET /v1/accounts/:id' && slot.lane === 'background') webhookWaits.push(waited);
});
await stack.stripe.clearRequestLog();

const deps = await payoutDeps({ count: () => undefined }, { transfers: stripeTransfers, queue: sqsPayoutQueue });
const planningStarted = performance.now();
const { run } = await startRun(deps, { period: PERIOD, startedBy: 'bench' });
let current = run;
while (performance.now() - planningStarted < TIMEOUT_MS && !current.planningComplete) {
  await new Promise((resolve) => setTimeout(resolve, 500));
  current = (await deps.store.getRun(run.id)) ?? current;
}
const planningSeconds = (performance.now() - planningStarted) / 1000;
const planningOps = { ...ops };
const planningCommands = commandTotals();
console.log(`planned ${current.counters.queued} payouts in ${fmt(planningSeconds)} s; approving the run`);
const runStarted = performance.now();
const streamAtStart = stack.eventStream.requests();
const profiler: CpuProfiler | undefined = args['cpu-profile'] ? await startCpuProfiler() : undefined;
const cpuAtStart = { java: processCpuMs(javaPid), node: ownCpuMs() };
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
await approveRun(deps, run.id);

// The webhook load: signed account.updated deliveries at WEBHOOKS_PER_SECOND for as long as the run sends.
let sendingDone = false;
const deliveries: Array<Promise<number>> = [];
const webhookLoad = (async () => {
  const every = 1000 / Math.max(WEBHOOKS_PER_SECOND, 0.001);
  const began = performance.now();
  for (let i = 0; WEBHOOKS_PER_SECOND > 0 && !sendingDone; i++) {
    const account = accounts[i % accounts.length] as Stripe.Account;
    const payload = JSON.stringify({
      id: `evt_bench_${i}_${randomBytes(4).toString('hex')}`,
      object: 'event',
      type: 'account.updated',
      account: account.id,
      created: Math.floor(Date.now() / 1000),
      livemode: true,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      data: { object: account },
    });
    deliveries.push(
      fetch(`${stack.info.apiUrl}/webhooks/stripe/connect`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'stripe-signature': signPayload(payload, stack.info.connectWebhookSecret, Math.floor(Date.now() / 1000)),
        },
        body: payload,
      }).then(async (response) => {
        await response.arrayBuffer();
        return response.status;
      }),
    );
    const due = began + (i + 1) * every;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
  }
})();
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
sendingDone = true;
loopDelay.disable();
await webhookLoad;
const webhookStatuses = await Promise.all(deliveries);
observeStripeWaits(undefined);
const cpu = { java: (processCpuMs(javaPid) - cpuAtStart.java) / 1000, node: (ownCpuMs() - cpuAtStart.node) / 1000 };
const cpuShares = await profiler?.stop(args['cpu-profile-file']);
const streamRequests = Object.entries(stack.eventStream.requests()).map(
  ([name, count]) => [name, count - (streamAtStart[name] ?? 0)] as const,
);
const sendingCommands = [...commandTotals()]
  .map(([name, c]) => {
    const before = planningCommands.get(name) ?? { requests: 0, capacity: 0 };
    return { name, requests: c.requests - before.requests, capacity: c.capacity - before.capacity };
  })
  .filter((c) => c.requests > 0)
  .sort((a, b) => b.requests - a.requests);
const opsDuringRun = { ...ops };
const sendingOps = {
  reads: ops.reads - planningOps.reads,
  writes: ops.writes - planningOps.writes,
  requests: ops.requests - planningOps.requests,
};

// Transfers as Stripe recorded them: rate over the sending window, and doubles per payout.
const fullLog = await stack.stripe.requestLog({ limit: 8 * N + 50_000 });
const log = fullLog.filter((entry) => entry.endpoint === 'POST /v1/transfers');
const accepted = log.filter((entry) => entry.status === 200);
const times = accepted.map((entry) => entry.arrivedMs ?? entry.at).sort((a, b) => a - b);
await stack.stripe.setRateLimit(UNLIMITED);
await stack.stripe.clearFaults();
const perPayout = new Map<string, number>();
for await (const transfer of stripe.transfers.list({ transfer_group: run.id, limit: 100 })) {
  const payoutId = transfer.metadata?.payoutId ?? '';
  perPayout.set(payoutId, (perPayout.get(payoutId) ?? 0) + 1);
}
const doubles = [...perPayout.values()].reduce((sum, count) => sum + Math.max(0, count - 1), 0);
const windowSeconds = times.length > 1 ? ((times.at(-1) ?? 0) - (times[0] ?? 0)) / 1000 : runSeconds;
const transfersPerSecond = perPayout.size / Math.max(windowSeconds, 0.001);
const refused = fullLog.filter((entry) => entry.status === 429);
/** Accepted transfers per second in ten equal slices of the window: shows ramp-up and the sustained rate. */
const slices = Array.from({ length: 10 }, () => 0);
for (const at of times) {
  const i = Math.min(9, Math.floor((10 * (at - (times[0] ?? 0))) / Math.max(windowSeconds * 1000, 1)));
  slices[i] = (slices[i] ?? 0) + 1;
}
const sliceRates = slices.map((count) => count / Math.max(windowSeconds / 10, 0.001));
/** Busiest sliding second of every request that reached Stripe (admitted or refused), per endpoint and in all. */
const endpoints = [...new Set(fullLog.map((entry) => entry.endpoint).filter((e): e is string => e !== null))];
const busiest = endpoints
  .map((endpoint) => ({ endpoint, ...busiestSecond(fullLog, (entry) => entry.endpoint === endpoint) }))
  .sort((a, b) => b.count - a.count);
const busiestGlobal = busiestSecond(fullLog);
const limitOf = (endpoint: string) => PROFILE.limits.endpoints[endpoint] ?? ENDPOINT_DEFAULT;
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0);
};

const paid = current.counters.paid;
const per = (n: number, digits = 2) => fmt(n / Math.max(paid, 1), digits);
const stripeByEndpoint = new Map<string, number>();
for (const entry of fullLog) {
  const endpoint = entry.endpoint ?? '(other)';
  stripeByEndpoint.set(endpoint, (stripeByEndpoint.get(endpoint) ?? 0) + 1);
}
const nodeMs = cpu.node * 1000;
const shareLines = cpuShares
  ? [...cpuShares]
      .filter(([, share]) => share >= 0.005)
      .map(([who, share]) => `      ${per(share * nodeMs).padStart(6)}  ${who} (${fmt(100 * share, 0)} %)`)
      .join('\n')
  : '      (run with --cpu-profile to split it by component)';
const maxInvocation = Math.max(0, ...invocations) / 1000;
const projectionSeconds = 1_000_000 / transfersPerSecond;
const limitsLine = `global ${PROFILE.limits.global}/s, each endpoint ${ENDPOINT_DEFAULT}/s${Object.entries(
  PROFILE.limits.endpoints,
)
  .map(([endpoint, limit]) => `, ${endpoint} ${limit}/s`)
  .join('')}`;
console.log(`
payout run, profile "${PROFILE_NAME}": ${N} partners, live key, limits ${limitsLine}
  emulator ~${LATENCY} ms per request, strict limiter; ${WORKERS} workers x batch 10; webhook load ${WEBHOOKS_PER_SECOND} account.updated/s
  paid                          ${paid} of ${current.counters.queued} planned (${current.counters.awaitingFunds} awaiting funds, ${current.counters.carriedForward} carried forward)
  planning                      ${fmt(planningSeconds)} s (${fmt(current.counters.queued / planningSeconds)} partners/s, bound by DynamoDB Local here)
  sending                       ${fmt(runSeconds)} s from approval to the last payout recorded
  transfers per second          ${fmt(transfersPerSecond)} over the sending window of ${fmt(windowSeconds)} s
  ratio to the binding limit    ${fmt((100 * transfersPerSecond) / BINDING)} % of ${BINDING}/s (POST /v1/transfers${BINDING < TRANSFER_LIMIT ? ', capped by the global limit' : ''})
  per tenth of the window       ${sliceRates.map((r) => fmt(r, 0)).join(' ')} transfers/s
  busiest second, all requests  ${busiestGlobal.count} of the global ${PROFILE.limits.global}/s${busiestGlobal.count > PROFILE.limits.global ? '  EXCEEDED' : ''}
${busiest.map((b) => `  busiest second, endpoint      ${String(b.count).padStart(4)} of ${limitOf(b.endpoint)}/s  ${b.endpoint}${b.count > limitOf(b.endpoint) ? '  EXCEEDED' : ''}`).join('\n')}
  429s from Stripe              ${refused.length}${refused.length ? ` (${[...new Set(refused.map((e) => `${e.endpoint}: ${e.rateLimited ?? e.fault}`))].join(', ')})` : ''}
  webhooks delivered            ${webhookStatuses.length} (${webhookStatuses.filter((status) => status === 200).length} answered 200)
  webhook handlers' Stripe wait p50 ${fmt(percentile(webhookWaits, 0.5), 0)} ms, p99 ${fmt(percentile(webhookWaits, 0.99), 0)} ms over ${webhookWaits.length} account re-reads
  event-loop delay              p99 ${fmt(loopDelay.percentile(99) / 1e6, 0)} ms, max ${fmt(loopDelay.max / 1e6, 0)} ms (a stalled loop releases waiting requests together)
  CPU while sending             DynamoDB Local ${fmt(cpu.java / runSeconds, 2)} cores, this process (workers, webhooks, emulator, SQS) ${fmt(cpu.node / runSeconds, 2)} cores, of ${availableParallelism()}
  double transfers              ${doubles}
  per transfer paid (fixed work, independent of the machine's load; includes the webhook load's share: ${per(webhookStatuses.length)} webhooks per transfer)
    CPU ms per transfer         ${per(nodeMs)} this process (workers, webhooks, emulator, SQS) / ${per(cpu.java * 1000)} DynamoDB Local (pid ${javaPid ?? 'not found'})
    this process, by component (main thread, sampled; GC helpers and libuv threads left out)
${shareLines}
    DynamoDB requests           ${per(sendingOps.requests)} per transfer (${per(sendingOps.reads)} items read, ${per(sendingOps.writes)} items written), ${per(sendingCommands.reduce((n, c) => n + c.capacity, 0))} capacity units
${sendingCommands.map((c) => `      ${per(c.requests).padStart(6)}  ${c.name} (${per(c.capacity)} capacity units)`).join('\n')}
    table stream stand-in       ${streamRequests.map(([name, count]) => `${per(count)} ${name}`).join(', ')} per transfer (DynamoDB Local's Streams API; in AWS Lambda's pollers)
    Stripe requests             ${per(fullLog.length)} per transfer
${[...stripeByEndpoint].map(([endpoint, count]) => `      ${per(count).padStart(6)}  ${endpoint}`).join('\n')}
  DynamoDB per partner paid     ${fmt(opsDuringRun.reads / Math.max(paid, 1), 2)} reads, ${fmt(opsDuringRun.writes / Math.max(paid, 1), 2)} writes (items; planning ${fmt(planningOps.reads / Math.max(paid, 1), 2)}/${fmt(planningOps.writes / Math.max(paid, 1), 2)}, sending ${fmt(sendingOps.reads / Math.max(paid, 1), 2)}/${fmt(sendingOps.writes / Math.max(paid, 1), 2)} incl. rate-budget slots and the webhooks' work)
  longest worker invocation     ${fmt(maxInvocation, 2)} s over ${invocations.length} invocations (Lambda limit 900 s)
  projection, 1,000,000         ${fmt(projectionSeconds / 3600, 2)} h of sending at this rate (${fmt(1_000_000 / (BINDING * 0.95) / 3600, 2)} h at exactly 95 % of ${BINDING}/s)
`);
await stack.stop();
const exceeded = busiestGlobal.count > PROFILE.limits.global || busiest.some((b) => b.count > limitOf(b.endpoint));
process.exit(doubles === 0 && !exceeded ? 0 : 1);
