import os from 'node:os';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { INVARIANTS, type SimulationResult, simulate } from '#tests/payout-simulation';

/**
 * `npm run simulate -- --seeds N [--seed S] [--workers W] [--verbose]`: the deterministic payout simulation
 * (tests/helpers/payout-simulation.ts) over seeds S … S+N−1, spread over worker threads (one per core by default).
 * Prints schedules, schedules per second, invariants checked and failures; each failing seed comes with the command
 * that replays it exactly. `--verbose` prints the schedule of each failing seed (of every seed with --seeds 1).
 * The exit status is non-zero when any seed failed.
 */

const USAGE = `Usage: npm run simulate -- [--seeds N] [--seed S] [--workers W] [--verbose]

  --seeds N     how many schedules (default 10000)
  --seed S      the first seed (default 1): seeds S … S+N-1 run
  --workers W   worker threads (default: one per core)
  --verbose     print the schedule of each failing seed (of every seed with --seeds 1)`;

interface Job {
  first: number;
  count: number;
  stride: number;
  offset: number;
  verbose: boolean;
}

async function runJob(job: Job, report: (result: SimulationResult) => void) {
  for (let i = job.offset; i < job.count; i += job.stride) {
    const seed = job.first + i;
    const result = await simulate(seed, { trace: job.verbose });
    // Only a failing seed's trace (or the one seed's) crosses back to the main thread.
    report(result.failures.length > 0 || job.count === 1 ? result : { ...result, trace: [] });
  }
}

if (!isMainThread) {
  await runJob(workerData as Job, (result) => parentPort?.postMessage(result));
} else {
  const { values } = parseArgs({
    options: {
      seeds: { type: 'string', default: '10000' },
      seed: { type: 'string', default: '1' },
      workers: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const count = Number(values.seeds);
  const first = Number(values.seed);
  const workers = Math.min(count, Number(values.workers ?? os.availableParallelism()));
  if (![count, first, workers].every((n) => Number.isSafeInteger(n)) || count < 1 || workers < 1) {
    console.error(USAGE);
    process.exit(2);
  }
  const load = () =>
    os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(', ');
  console.log(
    `Simulating ${count} payout schedules (seeds ${first}–${first + count - 1}) on ${workers} worker thread(s); ${os.availableParallelism()} cores, load average ${load()}.`,
  );
  const started = performance.now();
  const results: SimulationResult[] = [];
  const collect = (result: SimulationResult) => {
    results.push(result);
    if (results.length % 1000 === 0) console.log(`  ${results.length} schedules…`);
  };
  const job = (offset: number): Job => ({ first, count, stride: workers, offset, verbose: values.verbose });
  if (workers === 1) {
    await runJob(job(0), collect);
  } else {
    await Promise.all(
      Array.from(
        { length: workers },
        (_, offset) =>
          new Promise<void>((resolve, reject) => {
            const worker = new Worker(new URL(import.meta.url), { workerData: job(offset) });
            worker.on('message', collect);
            worker.on('error', reject);
            worker.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited with ${code}`))));
          }),
      ),
    );
  }
  const seconds = (performance.now() - started) / 1000;
  const failed = results.filter((result) => result.failures.length > 0).sort((a, b) => a.seed - b.seed);
  const total = (key: 'invariantsChecked' | 'actions' | 'invocations' | 'crashes' | 'transfers' | 'payouts') =>
    results.reduce((sum, result) => sum + result[key], 0);
  if (count === 1 && values.verbose) console.log((results[0]?.trace ?? []).join('\n'));
  console.log(`
schedules            ${results.length}
time                 ${seconds.toFixed(1)} s (${(results.length / seconds).toFixed(0)} schedules/s), load average now ${load()}
actions              ${total('actions')} (${total('invocations')} invocations, ${total('crashes')} crashed)
payouts              ${total('payouts')} (${total('transfers')} Stripe transfers)
invariants checked   ${total('invariantsChecked')} checks of ${INVARIANTS.length} invariants:
${INVARIANTS.map((invariant) => `                       - ${invariant}`).join('\n')}
failures             ${failed.length}`);
  for (const result of failed.slice(0, 10)) {
    console.log(`\nseed ${result.seed} failed:`);
    for (const failure of result.failures.slice(0, 5)) console.log(`  ${failure}`);
    if (values.verbose && count > 1) console.log((result.trace ?? []).map((line) => `    ${line}`).join('\n'));
    console.log(`  replay: npm run simulate -- --seed ${result.seed} --seeds 1 --verbose`);
  }
  if (failed.length > 10) console.log(`\n… and ${failed.length - 10} more failing seeds.`);
  process.exitCode = failed.length > 0 ? 1 : 0;
}
