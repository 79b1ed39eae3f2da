import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CURRENCIES, isCurrency } from '#core/money';
import { payoutIdFor } from '#core/payout-rules';
import { type RunReportRow, toCsv } from '#core/payout-views';
import { type ApiClient, type ApiResult, type ApiSuccess, apiClient, type ErrorEnvelope } from './api-client.ts';
import type { ApprovePayoutRunResponse200, OperationId, StartPayoutRunResponse200 } from './api-types.ts';
import { cognitoClient, signIn } from './cognito.ts';
import { readRunningStack } from './stack-file.ts';

/**
 * `npm run payouts -- --period 2026-11 [--dry-run] [--approve] [--watch] [--csv file]`: the operator's handle on the
 * monthly payout run, through the admin API (the same routes an operator would curl), with the typed client generated
 * from the API contract (local/api-client.ts), so a change of the API that breaks the CLI breaks its compilation. Against the local stack by
 * default (`npm start`; an admin ID token is minted from cognito-local), or a deployed stage with
 * `--api https://… --token <admin ID token>` (or PAYOUTS_API_URL / PAYOUTS_TOKEN). See docs/runbooks/payout-run.md.
 */

const USAGE = `Usage: npm run payouts -- --period YYYY-MM [options]

  --period YYYY-MM     the month to pay (run id run_YYYY-MM)
  --dry-run            compute exactly what the run would pay; writes nothing
  --status             only show the run (GET); never starts it
  --approve            approve the run when it waits as awaiting_approval
  --watch              poll the run until it completes (or only payouts awaiting funds remain)
  --csv FILE           save the run's CSV report (with --dry-run: the payouts it would make)
  --interval SECONDS   polling interval of --watch (default 2)
  --stall-minutes N    --watch gives up when nothing changed for N minutes (default 15)
  --api URL            a deployed stage's API base URL (default: the running local stack)
  --token TOKEN        an ID token of a user in the admin group (needed with --api)
  --email EMAIL        local stack only: the admin user to sign in as (default ops@example.com)

Environment: PAYOUTS_API_URL and PAYOUTS_TOKEN stand in for --api and --token (keeps the token out of shell
history). Exit status: 0 done, 1 error, 2 usage, 3 the run needs attention (awaiting funds, stalled).`;

class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

type Amounts = Partial<Record<string, number>>;

/** The API's run view, as the contract documents `GET /admin/payout-runs/{runId}` (and the approve route). */
type RunView = ApprovePayoutRunResponse200;

/** One page of a dry run (`POST /admin/payout-runs { dryRun: true }`). */
type DryRunPage = Extract<StartPayoutRunResponse200, { dryRun: true }>;

interface Options {
  period: string;
  dryRun: boolean;
  status: boolean;
  approve: boolean;
  watch: boolean;
  csv: string | undefined;
  intervalMs: number;
  stallMs: number;
}

function parseOptions(argv: string[]): { options: Options; api?: string; token?: string; email: string } {
  const { values } = parseArgs({
    args: argv,
    options: {
      period: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      status: { type: 'boolean', default: false },
      approve: { type: 'boolean', default: false },
      watch: { type: 'boolean', default: false },
      csv: { type: 'string' },
      interval: { type: 'string', default: '2' },
      'stall-minutes': { type: 'string', default: '15' },
      api: { type: 'string' },
      token: { type: 'string' },
      email: { type: 'string', default: 'ops@example.com' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const period = values.period;
  if (!period || !/^\d{4}-(0[1-9]|1[0-2])$/.test(period))
    throw new CliError(
      period ? `--period must be a month written YYYY-MM (got ${period})` : '--period YYYY-MM is required',
      2,
    );
  if (values['dry-run'] && (values.approve || values.watch || values.status)) {
    throw new CliError('--dry-run writes nothing: it cannot be combined with --approve, --watch or --status', 2);
  }
  const interval = Number(values.interval);
  const stall = Number(values['stall-minutes']);
  if (!(interval > 0) || !(stall > 0)) throw new CliError('--interval and --stall-minutes must be positive numbers', 2);
  const api = values.api ?? process.env.PAYOUTS_API_URL;
  const token = values.token ?? process.env.PAYOUTS_TOKEN;
  return {
    options: {
      period,
      dryRun: values['dry-run'],
      status: values.status,
      approve: values.approve,
      watch: values.watch,
      csv: values.csv,
      intervalMs: interval * 1000,
      stallMs: stall * 60_000,
    },
    ...(api ? { api } : {}),
    ...(token ? { token } : {}),
    email: values.email,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Where to talk to, and as whom

async function target(args: { api?: string; token?: string; email: string }): Promise<{ api: string; token: string }> {
  if (args.api) {
    if (!args.token) {
      throw new CliError('--api needs --token (or PAYOUTS_TOKEN): an ID token of a user in the admin group', 2);
    }
    let url: URL;
    try {
      url = new URL(args.api);
    } catch {
      throw new CliError(`--api is not a URL: ${args.api}`, 2);
    }
    return { api: url.href.replace(/\/+$/, ''), token: args.token };
  }
  const running = readRunningStack();
  if (running.state === 'none') {
    throw new CliError(
      'The local stack is not running (no .local/stack.json): start it with `npm start`, or pass --api and --token for a deployed stage.',
    );
  }
  if (running.state === 'stale') {
    throw new CliError(
      `The local stack is not running (process ${running.pid ?? '?'} from .local/stack.json is gone): start it with \`npm start\`.`,
    );
  }
  const { stack } = running;
  if (args.token) return { api: stack.apiUrl, token: args.token };
  const client = cognitoClient(stack.cognitoEndpoint);
  try {
    const user = await signIn(client, stack.userPool, args.email, { admin: true });
    return { api: stack.apiUrl, token: user.idToken };
  } catch (error) {
    throw new CliError(
      `Could not sign in to cognito-local at ${stack.cognitoEndpoint}: ${(error as Error).message} (is \`npm start\` still running?)`,
    );
  } finally {
    client.destroy();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP

/** The typed client, and where it points (for messages). */
interface Api {
  client: ApiClient;
  base: string;
}

/** Sends one request; a refusal or an unreachable API becomes a CliError that says what to do. */
async function succeed<K extends OperationId>(
  api: Api,
  label: string,
  request: Promise<ApiResult<K>>,
): Promise<ApiSuccess<K>> {
  let result: ApiResult<K>;
  try {
    result = await request;
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new CliError(
      `Cannot reach the API at ${api.base} (${cause?.code ?? cause?.message ?? (error as Error).message})` +
        (/localhost|127\.0\.0\.1/.test(api.base) ? ': is `npm start` running?' : ''),
    );
  }
  if (!result.ok) throw new CliError(describeRefusal(label, result.status, result.body));
  return result;
}

function describeRefusal(label: string, status: number, body: ErrorEnvelope): string {
  const detail = `${body.error.code}: ${body.error.message}`;
  const hint =
    status === 401
      ? ' (the token is missing, forged or expired — ID tokens last 1 hour; get a fresh one)'
      : status === 403
        ? ' (the token is valid but its user is not in the admin group)'
        : '';
  return `${label} → HTTP ${status} ${detail}${hint}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Printing

function formatAmount(currency: string, minor: number): string {
  const digits = isCurrency(currency) ? CURRENCIES[currency].minorUnits : 2;
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor);
  const major =
    digits === 0
      ? String(abs)
      : `${Math.trunc(abs / 10 ** digits)}.${String(abs % 10 ** digits).padStart(digits, '0')}`;
  return `${sign}${major} ${currency.toUpperCase()}`;
}

function formatAmounts(amounts: Amounts): string {
  const entries = Object.entries(amounts).filter((entry): entry is [string, number] => typeof entry[1] === 'number');
  return entries.length === 0 ? '—' : entries.map(([currency, minor]) => formatAmount(currency, minor)).join(', ');
}

function formatSkipped(skipped: Record<string, number>): string {
  const nonZero = Object.entries(skipped).filter(([, count]) => count > 0);
  return nonZero.length === 0 ? 'none' : nonZero.map(([reason, count]) => `${reason} ${count}`).join(', ');
}

function printRun(run: RunView): void {
  const t = run.totals;
  console.log(
    [
      `run ${run.id}  status ${run.status}${run.requireApproval ? (run.approved ? ' (approved)' : ' (approval required)') : ''}`,
      `  cutoff ${run.cutoff}   started ${run.startedAt} by ${run.startedBy}${run.finishedAt ? `   finished ${run.finishedAt}` : ''}`,
      `  considered ${t.considered}   planned ${t.queued}   paid ${t.paid}   awaiting funds ${t.awaitingFunds}   carried forward ${t.carriedForward}   failed ${t.failed}   in flight ${inFlight(run)}`,
      `  skipped by reason: ${formatSkipped(t.skipped)}`,
      `  planned amount: ${formatAmounts(t.amounts.planned)}`,
      `  paid amount:    ${formatAmounts(t.amounts.paid)}`,
    ].join('\n'),
  );
}

/** Queued payouts that are neither paid, carried forward, failed nor waiting for funds. */
function inFlight(run: RunView): number {
  const t = run.totals;
  return Math.max(0, t.queued - t.paid - t.carriedForward - t.failed - t.awaitingFunds);
}

/** `skipped` also counts payouts carried forward by a worker and those awaiting funds; the rest were skipped by the planner. */
function skippedAtPlanning(run: RunView): number {
  const t = run.totals;
  return Object.values(t.skipped).reduce((a, b) => a + b, 0) - t.awaitingFunds - t.carriedForward;
}

function progressLine(run: RunView): string {
  const t = run.totals;
  const time = new Date().toISOString().slice(11, 19);
  return `${time}  ${run.status.padEnd(17)} planned ${t.queued}  paid ${t.paid}  awaiting funds ${t.awaitingFunds}  carried forward ${t.carriedForward}  skipped at planning ${skippedAtPlanning(run)}  failed ${t.failed}  in flight ${inFlight(run)}  paid ${formatAmounts(t.amounts.paid)}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Commands

async function dryRun(api: Api, options: Options): Promise<number> {
  const total = {
    considered: 0,
    payable: 0,
    skipped: {} as Record<string, number>,
    amounts: {} as Record<string, number>,
    payouts: [] as DryRunPage['payouts'],
  };
  let cursor: string | null = null;
  let cutoff = '';
  let pages = 0;
  do {
    const answer = await succeed(
      api,
      'POST /admin/payout-runs',
      api.client.call('startPayoutRun', {
        body: { period: options.period, dryRun: true, ...(cursor ? { cursor } : {}) },
      }),
    );
    if (answer.status !== 200 || !('dryRun' in answer.body)) {
      throw new CliError(`POST /admin/payout-runs: a dry run answered ${answer.status} without its dry-run totals`);
    }
    const page: DryRunPage = answer.body;
    pages += 1;
    cutoff ||= page.cutoff;
    total.considered += page.considered;
    total.payable += page.payable;
    for (const [reason, count] of Object.entries(page.skipped))
      total.skipped[reason] = (total.skipped[reason] ?? 0) + count;
    for (const [currency, amount] of Object.entries(page.amounts)) {
      if (typeof amount === 'number') total.amounts[currency] = (total.amounts[currency] ?? 0) + amount;
    }
    total.payouts.push(...page.payouts);
    cursor = page.complete ? null : page.nextCursor;
    if (cursor) process.stderr.write(`  … ${total.considered} partners considered so far, continuing\n`);
  } while (cursor);
  console.log(
    [
      `dry run of run_${options.period} (nothing written)  cutoff ${cutoff}  ${pages} request${pages === 1 ? '' : 's'}`,
      `  considered ${total.considered}   would pay ${total.payable}`,
      `  skipped by reason: ${formatSkipped(total.skipped)}`,
      `  would pay: ${formatAmounts(total.amounts)}`,
    ].join('\n'),
  );
  if (options.csv) {
    const rows: RunReportRow[] = total.payouts
      .map((p) => ({
        partnerId: p.partnerId,
        currency: p.currency as RunReportRow['currency'],
        amount: p.amount,
        status: 'would_pay',
        payoutId: payoutIdFor(p.partnerId, options.period, p.currency as RunReportRow['currency']),
        stripeTransferId: '',
        reason: '',
      }))
      .sort((a, b) => a.partnerId.localeCompare(b.partnerId) || a.currency.localeCompare(b.currency));
    writeFileSync(options.csv, toCsv(rows));
    console.log(`  CSV (${rows.length} payouts that would be made) saved to ${options.csv}`);
  }
  return 0;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function getRun(api: Api, runId: string): Promise<RunView> {
  const answer = await succeed(
    api,
    `GET /admin/payout-runs/${runId}`,
    api.client.call('getPayoutRun', { params: { runId } }),
  );
  if (typeof answer.body === 'string') throw new CliError(`GET /admin/payout-runs/${runId}: expected JSON, got text`);
  return answer.body;
}

async function realRun(api: Api, options: Options): Promise<number> {
  const runId = `run_${options.period}`;
  let run: RunView;
  if (options.status) {
    run = await getRun(api, runId);
  } else {
    const started = await succeed(
      api,
      'POST /admin/payout-runs',
      api.client.call('startPayoutRun', { body: { period: options.period } }),
    );
    if ('dryRun' in started.body) throw new CliError('POST /admin/payout-runs answered a dry run to a real start');
    console.log(
      started.body.created
        ? `started ${runId} (planning proceeds page by page on the payout queue)`
        : `${runId} already exists: starting it again changes nothing (payouts awaiting funds were queued again)`,
    );
    run = started.body.run;
  }

  if (options.approve) run = await approveWhenPlanned(api, run, options);

  if (options.watch) {
    const outcome = await watch(api, run, options);
    run = outcome.run;
    printRun(run);
    if (options.csv) await saveCsv(api, runId, options.csv);
    return outcome.exitCode;
  }
  printRun(run);
  if (run.status === 'awaiting_approval' && !options.approve) {
    console.log(
      `  → the run waits for approval: check the totals (and --csv), then: npm run payouts -- --period ${options.period} --approve --watch`,
    );
  }
  if (options.csv) await saveCsv(api, runId, options.csv);
  return 0;
}

async function approveWhenPlanned(api: Api, initial: RunView, options: Options): Promise<RunView> {
  let run = initial;
  while (run.status === 'planning') {
    await sleep(options.intervalMs);
    run = await getRun(api, run.id);
  }
  if (run.status !== 'awaiting_approval') {
    console.log(
      run.approved
        ? `${run.id} is already approved`
        : `${run.id} does not wait for approval (PAYOUT_REQUIRE_APPROVAL was off when it started)`,
    );
    return run;
  }
  const approved = await succeed(
    api,
    `POST /admin/payout-runs/${run.id}/approve`,
    api.client.call('approvePayoutRun', { params: { runId: run.id } }),
  );
  console.log(`approved ${run.id}: ${run.totals.queued} planned payout${run.totals.queued === 1 ? '' : 's'} queued`);
  return approved.body;
}

async function watch(api: Api, initial: RunView, options: Options): Promise<{ run: RunView; exitCode: number }> {
  let run = initial;
  let last = '';
  let lastChange = Date.now();
  for (;;) {
    const line = progressLine(run);
    const fingerprint = JSON.stringify([run.status, run.totals]);
    if (fingerprint !== last) {
      console.log(line);
      last = fingerprint;
      lastChange = Date.now();
    }
    if (run.status === 'completed') return { run, exitCode: 0 };
    if (run.status === 'awaiting_approval') {
      console.log(`${run.id} waits for approval: rerun with --approve to release it`);
      return { run, exitCode: 3 };
    }
    if (run.status === 'sending' && run.totals.awaitingFunds > 0 && inFlight(run) === 0) {
      console.log(
        `only payouts awaiting funds remain (${run.totals.awaitingFunds}): top up the platform balance — ` +
          'balance.available queues them again — or leave them to the next run (docs/runbooks/payout-run.md)',
      );
      return { run, exitCode: 3 };
    }
    if (Date.now() - lastChange > options.stallMs) {
      console.log(
        `no progress for ${Math.round(options.stallMs / 60_000)} min with ${inFlight(run)} payouts in flight: ` +
          'check the payout dead-letter queue and the send-payout logs (docs/runbooks/payout-run.md)',
      );
      return { run, exitCode: 3 };
    }
    await sleep(options.intervalMs);
    run = await getRun(api, run.id);
  }
}

async function saveCsv(api: Api, runId: string, file: string): Promise<void> {
  const answer = await succeed(
    api,
    `GET /admin/payout-runs/${runId}?format=csv`,
    api.client.call('getPayoutRun', { params: { runId }, query: { format: 'csv' } }),
  );
  if (typeof answer.body !== 'string') throw new CliError(`GET /admin/payout-runs/${runId}?format=csv: expected CSV`);
  const csv = answer.body;
  writeFileSync(file, csv);
  const rows = csv.split('\r\n').filter((line) => line.length > 0).length - 1;
  console.log(`  CSV (${rows} row${rows === 1 ? '' : 's'}) saved to ${file}`);
}

async function main(): Promise<number> {
  const args = parseOptions(process.argv.slice(2));
  const { api, token } = await target(args);
  const client: Api = { client: apiClient({ baseUrl: api, token }), base: api };
  return args.options.dryRun ? dryRun(client, args.options) : realRun(client, args.options);
}

main()
  .then((code) => process.exit(code))
  .catch((error: unknown) => {
    if (error instanceof CliError) {
      console.error(`payouts: ${error.message}`);
      if (error.exitCode === 2) console.error(`\n${USAGE}`);
      process.exit(error.exitCode);
    }
    if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`payouts: ${(error as Error).message}\n\n${USAGE}`);
      process.exit(2);
    }
    console.error(error);
    process.exit(1);
  });
