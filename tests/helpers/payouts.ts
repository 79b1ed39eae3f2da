import type Stripe from 'stripe';
import { expect } from 'vitest';
import { dynamoLedgerStore } from '#adapters/dynamodb/ledger-store';
import type { payoutRunView } from '#core/payout-views';
import { api } from './local.ts';
import { admin, eventually, stripeSdk } from './payments.ts';

/** Integration helpers for the monthly payout run. */

/** The API's run view, as `GET /admin/payout-runs/{runId}` returns it. */
export type RunView = ReturnType<typeof payoutRunView>;

let ops: Awaited<ReturnType<typeof admin>> | undefined;
export async function opsToken(): Promise<string> {
  ops ??= await admin();
  return ops.idToken;
}

/**
 * A past month no other scenario uses: runs are per period and every test file shares one local stack (fresh per
 * `npm test`), so each scenario takes the previous month, from 2019-12 down — allocated atomically in the table itself,
 * so files never collide — and dates its earnings inside it.
 */
export async function freshPeriod(): Promise<{ period: string; inside: string }> {
  const { dynamo, tableName } = await import('#adapters/dynamodb/client');
  const { UpdateCommand } = await import('@aws-sdk/lib-dynamodb');
  const result = await dynamo().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: { PK: 'TEST#period-allocator', SK: 'COUNTER' },
      UpdateExpression: 'ADD allocated :one',
      ExpressionAttributeValues: { ':one': 1 },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  // Descending from 2019-12: what earlier scenarios carried forward is dated in later months, so it is never
  // available by this scenario's cutoff and cannot leak into its run.
  const index = 2019 * 12 + 11 - (Number(result.Attributes?.allocated ?? 1) - 1);
  const year = Math.floor(index / 12);
  const month = (index % 12) + 1;
  return {
    period: `${year}-${String(month).padStart(2, '0')}`,
    inside: new Date(Date.UTC(year, month - 1, 10)).toISOString(),
  };
}

export async function recordHeld(partnerId: string, amount: number, availableAt: string, currency = 'usd') {
  const externalId = `held-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  const response = await api<{ earnings: unknown[] }>('POST', '/admin/earnings', {
    token: await opsToken(),
    body: { partnerId, amount, currency, externalId, description: 'Commission', availableAt },
  });
  expect(response.status, JSON.stringify(response.body)).toBeLessThan(300);
  return externalId;
}

export async function startRun(period: string, dryRun = false) {
  return api<{ created?: boolean; run?: RunView; error?: { code: string } } & Record<string, unknown>>(
    'POST',
    '/admin/payout-runs',
    {
      token: await opsToken(),
      body: { period, dryRun },
    },
  );
}

export async function getRun(runId: string) {
  return api<RunView>('GET', `/admin/payout-runs/${runId}`, { token: await opsToken() });
}

/** Waits until the run has planned and every queued payout reached an end state (workers run asynchronously). */
export async function settledRun(period: string, timeoutMs = 20_000): Promise<RunView> {
  const run = await eventually(
    () => getRun(`run_${period}`),
    (response) => {
      const t = response.body.totals;
      return (
        response.status === 200 &&
        response.body.status !== 'planning' &&
        t.paid + t.carriedForward + t.awaitingFunds + t.failed >= t.queued
      );
    },
    timeoutMs,
  );
  return run.body;
}

/** The transfers Stripe holds for a run (its transfer group), listed through the SDK. */
export async function transfersOf(runId: string): Promise<Stripe.Transfer[]> {
  const transfers: Stripe.Transfer[] = [];
  for await (const transfer of stripeSdk().transfers.list({ transfer_group: runId, limit: 100 }))
    transfers.push(transfer);
  return transfers;
}

/** The partner's ledger: stored totals equal the sum of the entries (the balance invariant), per currency. */
export async function balanceOf(partnerId: string, currency = 'usd'): Promise<number> {
  const [entries, totals] = await Promise.all([
    dynamoLedgerStore.allEntries(partnerId),
    dynamoLedgerStore.totals(partnerId),
  ]);
  const sum = entries.filter((e) => e.currency === currency).reduce((total, e) => total + e.amount, 0);
  const stored = totals.find((t) => t.currency === currency)?.balance ?? 0;
  expect(stored, 'stored totals equal the sum of entries').toBe(sum);
  return sum;
}

/** The real payout adapters, with a queue that only records (so the local workers never see these messages). */
export async function inProcessDeps(overrides: Partial<import('#core/payouts').PayoutDeps> = {}) {
  const { payoutDeps } = await import('#adapters/payout-deps');
  const { stripeTransfers } = await import('#adapters/stripe/create-transfer');
  const base = await payoutDeps({ count: () => undefined }, { transfers: stripeTransfers });
  const queued: Array<{ partnerId: string; payoutId: string }> = [];
  const plans: Array<{ runId: string; cursor: string | null }> = [];
  const releases: Array<{ runId: string; cursor: string | null }> = [];
  const requeues: Array<{ before: string; cursor: string }> = [];
  const deps: import('#core/payouts').PayoutDeps = {
    ...base,
    queue: {
      enqueuePayouts: async (refs) => {
        queued.push(...refs);
      },
      enqueuePlanning: async (runId, cursor) => {
        plans.push({ runId, cursor });
      },
      enqueueRelease: async (runId, cursor) => {
        releases.push({ runId, cursor });
      },
      enqueueRequeue: async (before, cursor) => {
        requeues.push({ before, cursor });
      },
    },
    ...overrides,
  };
  return { deps, queued, plans, releases, requeues };
}
