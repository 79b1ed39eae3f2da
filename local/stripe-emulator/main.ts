import { parseArgs } from 'node:util';
import { type StripeEmulatorOptions, startStripeEmulator } from './index.ts';

const USAGE = `Usage: npm run stripe-emulator -- [options]

  --port <n>                     port (default 12111; 0 = any free port)       env STRIPE_EMULATOR_PORT
  --host <addr>                  bind address (default 127.0.0.1)              env STRIPE_EMULATOR_HOST
  --rate-limit <n>               global requests/second of both key modes, 0 = every limit off
                                 (default: Stripe's — 100 live keys, 25 test keys)  env STRIPE_EMULATOR_RATE_LIMIT
  --endpoint-rate-limit <n>      requests/second of each endpoint (default 25)  env STRIPE_EMULATOR_ENDPOINT_RATE_LIMIT
  --initial-balance <list>       e.g. usd:1000000,eur:50000 (minor units)      env STRIPE_EMULATOR_INITIAL_BALANCE
  --platform-webhook-url <url>   platform events endpoint                      env STRIPE_EMULATOR_PLATFORM_WEBHOOK_URL
  --platform-webhook-secret <s>  its whsec_ secret                             env STRIPE_EMULATOR_PLATFORM_WEBHOOK_SECRET
  --connect-webhook-url <url>    Connect events endpoint                       env STRIPE_EMULATOR_CONNECT_WEBHOOK_URL
  --connect-webhook-secret <s>   its whsec_ secret                             env STRIPE_EMULATOR_CONNECT_WEBHOOK_SECRET
  --seed <n>                     reproducible ids and fault dice
  --quiet                        no log output
  --help`;

function fail(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

function integer(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d+$/.test(value)) fail(`${name} must be a non-negative integer, got ${value}`);
  return Number(value);
}

function balances(value: string | undefined): Array<{ currency: string; amount: number }> | undefined {
  if (!value) return undefined;
  return value.split(',').map((part) => {
    const [currency, amount] = part.split(':');
    const n = integer(amount, `initial balance for ${currency}`);
    if (!currency || n === undefined) fail(`initial balance must look like usd:100000, got ${part}`);
    return { currency: currency.toLowerCase(), amount: n };
  });
}

function parse() {
  try {
    return parseArgs({
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'rate-limit': { type: 'string' },
        'endpoint-rate-limit': { type: 'string' },
        'initial-balance': { type: 'string' },
        'platform-webhook-url': { type: 'string' },
        'platform-webhook-secret': { type: 'string' },
        'connect-webhook-url': { type: 'string' },
        'connect-webhook-secret': { type: 'string' },
        seed: { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean' },
      },
      strict: true,
    });
  } catch (e) {
    return fail(e instanceof Error ? e.message : String(e));
  }
}
const { values } = parse();

if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const env = process.env;
const options: StripeEmulatorOptions = {
  port: integer(values.port ?? env.STRIPE_EMULATOR_PORT, '--port') ?? 12111,
  host: values.host ?? env.STRIPE_EMULATOR_HOST ?? '127.0.0.1',
  quiet: values.quiet ?? false,
};
const globalLimit = integer(values['rate-limit'] ?? env.STRIPE_EMULATOR_RATE_LIMIT, '--rate-limit');
if (globalLimit !== undefined) options.rateLimitPerSecond = globalLimit;
const endpointLimit = integer(
  values['endpoint-rate-limit'] ?? env.STRIPE_EMULATOR_ENDPOINT_RATE_LIMIT,
  '--endpoint-rate-limit',
);
if (endpointLimit !== undefined) options.rateLimits = { endpointDefault: endpointLimit };
const initial = balances(values['initial-balance'] ?? env.STRIPE_EMULATOR_INITIAL_BALANCE);
if (initial) options.initialBalance = initial;
const seed = integer(values.seed, '--seed');
if (seed !== undefined) options.seed = seed;

const webhooks: NonNullable<StripeEmulatorOptions['webhooks']> = {};
for (const kind of ['platform', 'connect'] as const) {
  const url = values[`${kind}-webhook-url`] ?? env[`STRIPE_EMULATOR_${kind.toUpperCase()}_WEBHOOK_URL`];
  const secret = values[`${kind}-webhook-secret`] ?? env[`STRIPE_EMULATOR_${kind.toUpperCase()}_WEBHOOK_SECRET`];
  if (url && !secret) fail(`--${kind}-webhook-url needs --${kind}-webhook-secret (a whsec_… value)`);
  if (url && secret) webhooks[kind] = { url, secret };
}
options.webhooks = webhooks;

const emulator = await startStripeEmulator(options);
console.log(`Stripe emulator listening on ${emulator.url}`);
console.log(
  `  SDK:     new Stripe('sk_test_…', { host: '${emulator.host}', port: ${emulator.port}, protocol: 'http' })`,
);
console.log(`  control: ${emulator.url}/_emulator (see docs/stripe-emulator.md)`);
const limits = await emulator.rateLimits();
const perSecond = (n: number | null) => (n ? `${n}/s` : 'off');
console.log(
  `  rate limits: global ${perSecond(limits.global.live)} live keys, ${perSecond(limits.global.test)} test keys; each endpoint ${perSecond(limits.endpointDefault)}`,
);
for (const b of options.initialBalance ?? []) console.log(`  platform balance: ${b.amount} ${b.currency}`);
for (const [kind, w] of Object.entries(webhooks)) console.log(`  ${kind} webhooks → ${w.url}`);

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the Stripe emulator`);
  await emulator.close();
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
