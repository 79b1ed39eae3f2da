import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './dynamodb.ts';
import { readRunningStack } from './stack-file.ts';

/**
 * `npm run reconcile -- --date YYYY-MM-DD [--csv]`: runs the daily reconciliation for one UTC day against the running
 * local stack (`npm start`) as the daily schedule does in AWS — a start message on the reconciliation queue, then one
 * bounded step per message — waits for the run's report, and prints it with the day's discrepancies (`--csv`: the
 * discrepancies as the admin route's CSV). Default day: yesterday.
 */
const USAGE = 'Usage: npm run reconcile -- [--date YYYY-MM-DD] [--csv] [--timeout SECONDS]';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      date: { type: 'string' },
      csv: { type: 'boolean', default: false },
      timeout: { type: 'string', default: '600' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const running = readRunningStack();
  const env = running.state === 'running' ? running.stack.functionEnv : undefined;
  if (!env?.RECONCILIATION_QUEUE_URL || !env.SQS_ENDPOINT) {
    console.error('No local stack is running: start it with `npm start` in another terminal.');
    return 1;
  }
  Object.assign(process.env, env);
  const { parseDay, previousDay, discrepanciesCsv } = await import('#core/reconciliation');
  const { dynamoReconciliationStore } = await import('#adapters/dynamodb/reconciliation-store');
  const { date } = parseDay(values.date ?? previousDay(new Date()));
  const runId = `cli-${randomUUID()}`;
  const sqs = new SQSClient({ endpoint: env.SQS_ENDPOINT, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: env.RECONCILIATION_QUEUE_URL,
      MessageBody: JSON.stringify({ type: 'start', runId, date }),
    }),
  );
  sqs.destroy();
  const deadline = Date.now() + Number(values.timeout) * 1000;
  let day = await dynamoReconciliationStore.get(date);
  while (day.report?.runId !== runId) {
    if (Date.now() > deadline) {
      console.error(`The run ${runId} of ${date} has not finished after ${values.timeout} s (see the stack's log).`);
      return 1;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    day = await dynamoReconciliationStore.get(date);
  }
  if (values.csv) {
    process.stdout.write(discrepanciesCsv(day.discrepancies));
    return 0;
  }
  console.log(JSON.stringify(day.report, null, 2));
  for (const d of day.discrepancies) console.log(`${d.kind.padEnd(20)} ${d.stripeId ?? '-'}  ${d.detail}`);
  if (day.discrepancies.length === 0) console.log('No discrepancies.');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
