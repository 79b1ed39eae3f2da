import { parseArgs } from 'node:util';
import type { EventBridgeEvent } from 'aws-lambda';
import { JOBS } from '#routes';
import type { ReconcileDetail } from '../functions/jobs/reconcile.ts';
import { lambdaContext } from './lambda-context.ts';
import { importHandler } from './stack.ts';
import { readRunningStack } from './stack-file.ts';

/**
 * `npm run reconcile -- --date YYYY-MM-DD [--csv]`: runs the daily reconciliation job for one UTC day against the
 * running local stack (`npm start`), in this process with the functions' environment, and prints its report and
 * discrepancies (`--csv`: the discrepancies as the admin route's CSV). Default day: yesterday.
 */
const USAGE = 'Usage: npm run reconcile -- [--date YYYY-MM-DD] [--csv]';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { date: { type: 'string' }, csv: { type: 'boolean', default: false }, help: { type: 'boolean' } },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const running = readRunningStack();
  if (running.state !== 'running' || !running.stack.functionEnv) {
    console.error('No local stack is running: start it with `npm start` in another terminal.');
    return 1;
  }
  Object.assign(process.env, running.stack.functionEnv);
  const job = JOBS.find((entry) => entry.name === 'reconcile');
  if (!job) throw new Error('no reconcile job in functions/routes.ts');
  type Handler = (event: EventBridgeEvent<string, ReconcileDetail>, context: unknown) => Promise<unknown>;
  const handler = await importHandler<Handler>(job.handler);
  const now = new Date();
  const event = {
    id: `local-${now.getTime()}`,
    version: '0',
    account: '000000000000',
    time: now.toISOString(),
    region: 'us-east-1',
    resources: [],
    source: 'local',
    'detail-type': 'Scheduled Event',
    detail: values.date ? { date: values.date } : {},
  } satisfies EventBridgeEvent<string, ReconcileDetail>;
  const report = (await handler(event, lambdaContext('reconcile', event.id, 900_000))) as { date: string };
  const { dynamoReconciliationStore } = await import('#adapters/dynamodb/reconciliation-store');
  const { discrepanciesCsv } = await import('#core/reconciliation');
  const { discrepancies } = await dynamoReconciliationStore.get(report.date);
  if (values.csv) {
    process.stdout.write(discrepanciesCsv(discrepancies));
    return 0;
  }
  console.log(JSON.stringify(report, null, 2));
  for (const d of discrepancies) console.log(`${d.kind.padEnd(20)} ${d.stripeId ?? '-'}  ${d.detail}`);
  if (discrepancies.length === 0) console.log('No discrepancies.');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
