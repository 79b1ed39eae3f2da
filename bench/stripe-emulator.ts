/**
 * Throughput and latency of the Stripe emulator through the official SDK, loopback only.
 *   npx tsx bench/stripe-emulator.ts [--concurrency 16] [--seconds 5] [--max-requests 100000]
 * Each phase stops at whichever comes first: the time bound or the request cap.
 */
import { parseArgs } from 'node:util';
import Stripe from 'stripe';
import { startStripeEmulator } from '../local/stripe-emulator/index.ts';

const { values } = parseArgs({
  options: {
    concurrency: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '5' },
    'max-requests': { type: 'string', default: '100000' },
  },
});
const concurrency = Math.min(256, Math.max(1, Number(values.concurrency)));
const seconds = Math.min(60, Math.max(1, Number(values.seconds)));
const maxRequests = Math.min(1_000_000, Math.max(1, Number(values['max-requests'])));

const emulator = await startStripeEmulator({
  quiet: true,
  rateLimitPerSecond: 0,
  seed: 1,
  initialBalance: [{ currency: 'usd', amount: 1_000_000_000 }],
});
const clients = Array.from(
  { length: concurrency },
  () => new Stripe('sk_test_bench', { ...emulator.stripeOptions, maxNetworkRetries: 0, telemetry: false }),
);

const admin = clients[0] as Stripe;
const account = await admin.accounts.create({ type: 'express', capabilities: { transfers: { requested: true } } });
await emulator.setAccountState(account.id, 'verified');
const seedTransfer = await admin.transfers.create({ amount: 100, currency: 'usd', destination: account.id });

interface PhaseResult {
  name: string;
  requests: number;
  errors: number;
  seconds: number;
  p50: number;
  p99: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function phase(name: string, call: (stripe: Stripe) => Promise<unknown>): Promise<PhaseResult> {
  const latencies: number[] = [];
  let errors = 0;
  let issued = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    clients.map(async (stripe) => {
      while (performance.now() < deadline && issued < maxRequests) {
        issued++;
        const t0 = performance.now();
        try {
          await call(stripe);
          latencies.push(performance.now() - t0);
        } catch {
          errors++;
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    name,
    requests: latencies.length + errors,
    errors,
    seconds: elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

// Warm up connections and the JIT before measuring.
await Promise.all(clients.map((s) => s.balance.retrieve()));

const results = [
  await phase('GET /v1/balance', (s) => s.balance.retrieve()),
  await phase('GET /v1/transfers/:id', (s) => s.transfers.retrieve(seedTransfer.id)),
  await phase('POST /v1/transfers', (s) => s.transfers.create({ amount: 1, currency: 'usd', destination: account.id })),
];

console.log(`Stripe emulator via stripe-node, ${concurrency} concurrent clients, ≤${seconds}s per phase, loopback`);
console.log('endpoint                   requests  errors     req/s   p50 ms   p99 ms');
for (const r of results) {
  console.log(
    `${r.name.padEnd(26)} ${String(r.requests).padStart(8)} ${String(r.errors).padStart(7)} ${(r.requests / r.seconds).toFixed(0).padStart(9)} ${r.p50.toFixed(2).padStart(8)} ${r.p99.toFixed(2).padStart(8)}`,
  );
}
await emulator.close();
