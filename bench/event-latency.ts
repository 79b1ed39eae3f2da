/**
 * Benchmark of domain events end to end, locally (a script that prints figures, not a test):
 *
 *   npx tsx bench/event-latency.ts [--events 200] [--interval-ms 50]
 *
 * It starts the whole local stack, subscribes a webhook receiver on loopback to `earning.recorded`, then records
 * held earnings one after another through the real store (each one a transaction that writes the earning, its ledger
 * entry and its event — the outbox). For every event it takes three times: the transaction committed (the write
 * returned), the bus accepted the event (the local bus's archive), and the receiver got the signed delivery. It
 * prints p50/p99/max of commit → bus and commit → delivered, and checks every signature.
 *
 * What it measures is the local path: DynamoDB Local's stream read by polling (every 50 ms when idle), the same
 * publisher, the EventBridge stand-in, fauxqs's long polls, the same delivery worker. In AWS the stream → Lambda
 * hop, EventBridge → SQS and SQS → Lambda each add their own latency (typically hundreds of ms in total).
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: { events: { type: 'string', default: '200' }, 'interval-ms': { type: 'string', default: '50' } },
});
const N = Number(args.events);
const INTERVAL_MS = Number(args['interval-ms']);
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';

const { startLocalStack } = await import('../local/stack.ts');
const stack = await startLocalStack({ apiPort: 0, dynamoPort: 0, cognitoPort: 0, stripePort: 0, sqsPort: 0 });
const { dynamoLedgerStore } = await import('#adapters/dynamodb/ledger-store');
const { platformWebhookDeps } = await import('#adapters/platform-webhook-deps');
const { createEndpoint } = await import('#core/platform-webhooks');
const { SIGNATURE_HEADER, verifySignature } = await import('#core/event-signature');

const delivered = new Map<string, { at: number; valid: boolean }>();
let secret = '';
const server = http.createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const at = Date.now();
    const raw = Buffer.concat(chunks).toString('utf8');
    const header = request.headers[SIGNATURE_HEADER.toLowerCase()];
    const event = JSON.parse(raw) as { id: string };
    const valid = verifySignature(typeof header === 'string' ? header : undefined, raw, secret, new Date()) === 'valid';
    if (!delivered.has(event.id)) delivered.set(event.id, { at, valid });
    response.writeHead(200).end();
  });
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
const address = server.address();
const port = typeof address === 'object' && address ? address.port : 0;

const quantile = (sorted: readonly number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;

try {
  const endpoint = await createEndpoint(platformWebhookDeps(), 'bench', {
    url: `http://127.0.0.1:${port}/hooks`,
    eventTypes: ['earning.recorded'],
  });
  secret = endpoint.secret;
  const committed = new Map<string, number>();
  const partnerId = `ptn_${randomBytes(12).toString('hex')}`;
  const started = Date.now();
  for (let i = 0; i < N; i++) {
    const now = Date.now();
    const externalId = `latency-${started}-${i}`;
    const entryId = `held:${externalId}`;
    const earning = {
      externalId,
      partnerId,
      amount: 100 + i,
      currency: 'usd' as const,
      description: 'Latency probe',
      availableAt: now,
      entryId,
      fingerprint: externalId,
      clawedBack: 0,
      recordedAt: new Date(now).toISOString(),
      version: 1,
    };
    await dynamoLedgerStore.recordHeld(earning, {
      id: entryId,
      partnerId,
      currency: 'usd',
      type: 'earning',
      amount: earning.amount,
      occurredAt: now,
      description: earning.description,
      reference: externalId,
      payoutStatus: 'pending',
      availableAt: now,
      recordedAt: earning.recordedAt,
    });
    committed.set(externalId, Date.now());
    await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS));
  }
  // Wait for every delivery (bounded).
  const deadline = Date.now() + 120_000;
  while (delivered.size < N && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));

  const archive = (await (await fetch(`${stack.info.eventBusEndpoint}/archive`)).json()) as Array<{
    detail: string;
    acceptedAt: number;
  }>;
  const toBus: number[] = [];
  const toReceiver: number[] = [];
  let invalid = 0;
  for (const entry of archive) {
    const event = JSON.parse(entry.detail) as { id: string; type: string; data: { externalId?: string } };
    const externalId = event.data.externalId;
    const commit = externalId ? committed.get(externalId) : undefined;
    if (event.type !== 'earning.recorded' || commit === undefined) continue;
    toBus.push(entry.acceptedAt - commit);
    const delivery = delivered.get(event.id);
    if (delivery) {
      toReceiver.push(delivery.at - commit);
      if (!delivery.valid) invalid += 1;
    }
  }
  toBus.sort((a, b) => a - b);
  toReceiver.sort((a, b) => a - b);
  const row = (label: string, values: number[]) =>
    `  ${label.padEnd(26)} p50 ${String(quantile(values, 0.5)).padStart(5)} ms   p99 ${String(quantile(values, 0.99)).padStart(5)} ms   max ${String(values.at(-1)).padStart(5)} ms   (${values.length} events)`;
  console.log(`
Domain events end to end, local stack (${N} events, one every ${INTERVAL_MS} ms after the previous commit)

${row('commit → bus', toBus)}
${row('commit → webhook received', toReceiver)}
  signatures               ${toReceiver.length - invalid} valid, ${invalid} invalid; ${N - toReceiver.length} not delivered
`);
} finally {
  server.close();
  await stack.stop();
}
