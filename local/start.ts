import path from 'node:path';
import { JOBS } from '#routes';
import { lambdaContext } from './lambda-context.ts';
import { LocalStackError } from './processes.ts';
import { functionEnvironment, importHandler, startLocalStack } from './stack.ts';
import { removeStackFile, writeStackFile } from './stack-file.ts';
import { ensureWebBuild } from './web-app.ts';

/** `npm start`: the whole system on this machine. Ports and options come from the environment (see README). */
function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new LocalStackError(`${name} must be a port number`);
  return port;
}

/** How often the local stack runs the availability sweep (the deployed schedule runs every 15 minutes). */
const LOCAL_SWEEP_SECONDS = 30;

/**
 * The scheduled availability sweep, run in this process on a timer (EventBridge's schedule in AWS): held earnings
 * past their holding period become available with their `earning.available` event. Returns the stop function.
 */
async function scheduleAvailabilitySweep(): Promise<() => void> {
  const job = JOBS.find((entry) => entry.trigger === 'sweep-schedule');
  if (!job) throw new LocalStackError('no sweep-schedule job in functions/routes.ts');
  const handler = await importHandler(job.handler);
  let running = false;
  let runs = 0;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    runs += 1;
    const time = new Date().toISOString();
    handler(
      { id: `local-sweep-${runs}`, 'detail-type': 'Scheduled Event', source: 'aws.events', time, detail: {} },
      lambdaContext(job.name, `local-sweep-${runs}`, 180_000),
    )
      .catch((error: unknown) => console.error('The availability sweep failed:', error))
      .finally(() => {
        running = false;
      });
  }, LOCAL_SWEEP_SECONDS * 1000);
  return () => clearInterval(timer);
}

async function main(): Promise<void> {
  const began = performance.now();
  const balance = Number(process.env.STRIPE_INITIAL_BALANCE ?? 10_000_000);
  const dataDir = process.env.DATA_DIR ? path.resolve(process.env.DATA_DIR) : undefined;
  // The web app at /app: built on first start (and again only after a change under web/).
  if (await ensureWebBuild()) console.log('Built the web app (web/dist).');
  const stack = await startLocalStack({
    apiPort: portFromEnv('PORT', 3000),
    dynamoPort: portFromEnv('DYNAMODB_PORT', 8000),
    cognitoPort: portFromEnv('COGNITO_PORT', 9229),
    stripePort: portFromEnv('STRIPE_PORT', 12111),
    ...(dataDir ? { dataDir } : {}),
    // Partners come back from Stripe to the served app unless APP_URL names another.
    ...(process.env.APP_URL !== undefined ? { appUrl: process.env.APP_URL } : {}),
    webApp: true,
    stripeInitialBalance: [{ currency: process.env.DEFAULT_CURRENCY ?? 'usd', amount: balance }],
    logRequests: true,
    stripeEvents: process.env.STRIPE_EVENTS === 'eventbridge' ? 'eventbridge' : 'webhooks',
  });
  const { info } = stack;
  writeStackFile({
    cognitoEndpoint: info.cognitoEndpoint,
    userPool: info.userPool,
    apiUrl: info.apiUrl,
    mailUrl: info.mailUrl,
    // Local stand-ins' settings and test keys only (the emulator's): what a job run by hand needs to reach them.
    functionEnv: Object.fromEntries(
      Object.keys(functionEnvironment(info, '', '')).map((name) => [name, process.env[name] ?? '']),
    ),
    pid: process.pid,
  });
  const stopSweep = await scheduleAvailabilitySweep();
  const seconds = ((performance.now() - began) / 1000).toFixed(1);
  console.log(`
connect-payouts local stack is up (${seconds} s)

  API (API Gateway + Lambda)  ${info.apiUrl}          GET /health, GET /me
  Web app                     ${info.apiUrl}/app      partner portal, customer pages, operator console (/app/console)
  DynamoDB Local              ${info.dynamoEndpoint}   table ${info.tableName}${dataDir ? ` (data in ${dataDir})` : ' (in memory)'}
  cognito-local               ${info.cognitoEndpoint}   pool ${info.userPool.userPoolId}, client ${info.userPool.clientId}
  Stripe emulator             ${info.stripeUrl}   key ${info.stripeApiKey}, control API ${info.stripeUrl}/_emulator
  SQS (fauxqs)                ${info.sqsEndpoint}   payout queue + DLQ, worker polling it
  Mail (SMTP capture)         ${info.smtpUrl}   read what was sent: curl ${info.mailUrl}/messages;
                              Stripe events queue + DLQ (EventBridge channel), consumer polling it
  Stripe events via           ${process.env.STRIPE_EVENTS === 'eventbridge' ? 'EventBridge envelope -> Stripe events queue' : 'webhooks'} (STRIPE_EVENTS=webhooks|eventbridge)
  Connect.js stand-in         ${info.stripeUrl}/connect-js/v1.0/connect.js (publishable key ${info.stripePublishableKey})
  Availability sweep          every ${LOCAL_SWEEP_SECONDS} s: held earnings past their holding period -> earning.available

Get a token:   npm run token -- alice@example.com [--admin]
Try it:        curl -H "Authorization: $(npm run -s token -- alice@example.com)" ${info.apiUrl}/me
Reference:     ${info.apiUrl}/docs (the contract: ${info.apiUrl}/openapi.json)

Ctrl-C stops everything.
`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the local stack...`);
    stopSweep();
    stack
      .stop()
      .then(() => {
        removeStackFile();
        console.log('Stopped.');
        process.exit(0);
      })
      .catch((error: unknown) => {
        console.error('Failed to stop cleanly:', error);
        process.exit(1);
      });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  if (error instanceof LocalStackError) console.error(`\nCannot start the local stack: ${error.message}\n`);
  else console.error(error);
  process.exit(1);
});
