/**
 * Benchmark of the daily reconciliation (a script that prints figures, not a test):
 *
 *   npx tsx bench/reconciliation.ts [--transfers 10000] [--accounts 20]
 *
 * It starts the whole local stack, seeds one payout run whose N payouts were paid today (N partners, N payout
 * records and N Stripe transfers with our metadata, spread over a few connected accounts), then reconciles today
 * as the daily job does — a start message on the reconciliation queue, then one bounded step per message, each
 * queueing the next — and prints the time it took, the steps and the longest one, the Stripe requests it made, the
 * DynamoDB reads per transfer, and what it found (nothing: the seeded day is clean; then, to show the same run
 * finds differences, a few transfers made by hand are added and the day is reconciled again).
 *
 * Seeding runs with the emulator's and the functions' Stripe rate limits lifted; the reconciliation itself runs
 * under them too, so the figure is our side's cost (DynamoDB Local on this machine). Stripe's side is printed as the
 * number of requests and the time they take at Stripe's documented read limits (25/s in test mode, 100/s live).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import Stripe from 'stripe';
import { seedOnboardedPartners } from './seed.ts';

const { values: args } = parseArgs({
  options: { transfers: { type: 'string', default: '10000' }, accounts: { type: 'string', default: '20' } },
});
const N = Number(args.transfers);
const ACCOUNTS = Number(args.accounts);
const AMOUNT = 1_000;
const UNLIMITED = { global: 100_000, endpointDefault: 100_000 };
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';

const { startLocalStack } = await import('../local/stack.ts');
const stack = await startLocalStack({
  // Minutes of steady load: DynamoDB Local's JVM with its own (throughput) defaults, not the short-run options.
  dynamoJvmOptions: [],
  apiPort: 0,
  dynamoPort: 0,
  cognitoPort: 0,
  stripePort: 0,
  sqsPort: 0,
  stripeRateLimits: UNLIMITED,
  functionStripeRateLimits: UNLIMITED,
  stripeInitialBalance: [{ currency: 'usd', amount: (N + 100) * AMOUNT }],
  stripeRequestLogCapacity: 2 * N + 10_000,
});

const { dynamoPayoutStore, payoutItem } = await import('#adapters/dynamodb/payout-store');
const { emptyCounters } = await import('#core/payouts');
const { dynamoReconciliationStore } = await import('#adapters/dynamodb/reconciliation-store');
const { batchPutAll, queryPrefix } = await import('#adapters/dynamodb/query');

const stripe = new Stripe(stack.info.stripeApiKey, { ...stack.stripe.stripeOptions, maxNetworkRetries: 2 });
const fmt = (n: number, digits = 1) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function pool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

try {
  // Seed: accounts, partners, one run and its N paid payouts, and Stripe's N transfers.
  const seedStarted = performance.now();
  const accounts: string[] = [];
  for (let i = 0; i < ACCOUNTS; i++) {
    const account = await stripe.accounts.create({
      type: 'express',
      country: 'US',
      capabilities: { transfers: { requested: true } },
    });
    await stack.stripe.setAccountState(account.id, 'verified');
    accounts.push(account.id);
  }
  const now = new Date().toISOString();
  const period = '2026-10';
  const runId = `run_${period}`;
  await dynamoPayoutStore.createRun({
    id: runId,
    period,
    requireApproval: false,
    approved: true,
    cutoff: Date.now(),
    planningComplete: true,
    counters: emptyCounters(),
    startedAt: now,
    finishedAt: null,
    startedBy: 'bench',
  });
  const partners = Array.from({ length: N }, (_, i) => ({
    id: `ptn_${randomBytes(12).toString('hex')}`,
    account: accounts[i % ACCOUNTS] as string,
  }));
  await seedOnboardedPartners(partners, now);
  const transferIds = new Map<string, string>();
  await pool(partners, 32, async (p) => {
    const payoutId = `po_${period}_usd_${p.id}`;
    const transfer = await stripe.transfers.create({
      amount: AMOUNT,
      currency: 'usd',
      destination: p.account,
      transfer_group: runId,
      metadata: { payoutId, partnerId: p.id, period },
    });
    transferIds.set(p.id, transfer.id);
  });
  await batchPutAll(
    partners.map((p) => ({
      ...payoutItem({
        id: `po_${period}_usd_${p.id}`,
        runId,
        partnerId: p.id,
        period,
        currency: 'usd',
        amount: AMOUNT,
        status: 'paid',
        entries: [],
        attempt: 1,
        stripeTransferId: transferIds.get(p.id) ?? null,
        reason: null,
        attemptStartedAt: now,
        reversedAmount: 0,
        createdAt: now,
        updatedAt: now,
        version: 3,
      }),
      paidAt: now,
    })),
  );
  const seedSeconds = (performance.now() - seedStarted) / 1000;

  const today = now.slice(0, 10);
  const measure = async () => {
    const before = (await stack.stripe.requestLog()).length;
    const started = performance.now();
    const runId = `bench-${randomUUID()}`;
    await stack.queues.client.send(
      new SendMessageCommand({
        QueueUrl: stack.queues.reconciliationQueueUrl,
        MessageBody: JSON.stringify({ type: 'start', runId, date: today }),
      }),
    );
    let report = (await dynamoReconciliationStore.get(today)).report;
    while (report?.runId !== runId) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      report = (await dynamoReconciliationStore.get(today)).report;
    }
    const ms = performance.now() - started;
    const calls = (await stack.stripe.requestLog()).slice(before);
    const steps = (await queryPrefix(`RECONCILIATION#${today}`, `RUN#${runId}#PAGE#`)).length;
    return { report, ms, calls, steps };
  };
  const clean = await measure();
  for (let i = 0; i < 10; i++) {
    await stripe.transfers.create({ amount: 500 + i, currency: 'usd', destination: accounts[0] as string });
  }
  const dirty = await measure();

  const stripeCalls = clean.calls.length;
  const byEndpoint = new Map<string, number>();
  for (const call of clean.calls) {
    const endpoint = call.endpoint ?? 'other';
    byEndpoint.set(endpoint, (byEndpoint.get(endpoint) ?? 0) + 1);
  }
  console.log(`
Reconciliation of one day with ${N.toLocaleString('en-US')} transfers (${ACCOUNTS} connected accounts; seeded in ${fmt(seedSeconds)} s)

  clean day        ${fmt(clean.ms / 1000, 2)} s   transfers checked ${clean.report.transfersChecked}, payouts checked ${clean.report.payoutsChecked}, discrepancies ${clean.report.discrepancies}
                   ${fmt((clean.ms / N) * 1000, 0)} µs per transfer
  + 10 by hand     ${fmt(dirty.ms / 1000, 2)} s   transfers checked ${dirty.report.transfersChecked}, discrepancies ${dirty.report.discrepancies} (${JSON.stringify(
    Object.fromEntries(Object.entries(dirty.report.byKind).filter(([, n]) => n > 0)),
  )})
  Stripe requests  ${stripeCalls} (${[...byEndpoint].map(([e, n]) => `${e} × ${n}`).join(', ')})
                   at Stripe's read limits: ${fmt(stripeCalls / 25)} s in test mode (25/s), ${fmt(stripeCalls / 100)} s live (100/s)
  DynamoDB reads   per transfer: 1 payout GetItem + 1 partner GetItem (first time a partner is seen), plus the run's
                   payouts paged from its index (${Math.ceil(N / 1000)}+ Query pages)
  Steps            ${clean.steps} messages on the reconciliation queue (one Stripe page or 100 payout records each),
                   ${fmt(clean.ms / clean.steps, 0)} ms per step on average; the step timeout is 120 s
`);
} finally {
  await stack.stop();
}
