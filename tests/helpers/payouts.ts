import type Stripe from 'stripe';
import { expect } from 'vitest';
import { dynamoLedgerStore } from '#adapters/dynamodb/ledger-store';
import { admin, eventually, stripeSdk } from './payments.ts';
import { api } from './local.ts';

/** Integration helpers for the monthly payout run (issue 6). */

export interface RunView {
  id: string;
  period: string;
  status: string;
  totals: {
    considered: number;
    queued: number;
    paid: number;
    awaitingFunds: number;
    carriedForward: number;
    failed: number;
    skipped: Record<string, number>;
    amounts: { planned: Record<string, number>; paid: Record<string, number> };
  };
}

let ops: Awaited<ReturnType<typeof admin>> | undefined;
export async function opsToken(): Promise<string> {
  ops ??= await admin();
  return ops.idToken;
}

let periodCounter = 0;
/**
 * A past month no other scenario uses: runs are per period and every test file shares one local stack (fresh per
 * `npm test`), so each scenario gets its own period from 2000-01 on, and dates its earnings inside it.
 */
export function freshPeriod(): { period: string; inside: string } {
  const index = periodCounter++ + (Number(process.env.VITEST_POOL_ID ?? 0) % 8) * 100;
  const year = 2000 + Math.floor(index / 12);
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
  return api<{ created?: boolean; run?: RunView; error?: { code: string } } & Record<string, unknown>>('POST', '/admin/payout-runs', {
    token: await opsToken(),
    body: { period, dryRun },
  });
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
      return response.status === 200 && response.body.status !== 'planning' && t.paid + t.carriedForward + t.awaitingFunds + t.failed >= t.queued;
    },
    timeoutMs,
  );
  return run.body;
}

/** The transfers Stripe holds for a run (its transfer group), listed through the SDK. */
export async function transfersOf(runId: string): Promise<Stripe.Transfer[]> {
  const transfers: Stripe.Transfer[] = [];
  for await (const transfer of stripeSdk().transfers.list({ transfer_group: runId, limit: 100 })) transfers.push(transfer);
  return transfers;
}

/** The partner's ledger: stored totals equal the sum of the entries (the balance invariant), per currency. */
export async function balanceOf(partnerId: string, currency = 'usd'): Promise<number> {
  const [entries, totals] = await Promise.all([dynamoLedgerStore.allEntries(partnerId), dynamoLedgerStore.totals(partnerId)]);
  const sum = entries.filter((e) => e.currency === currency).reduce((total, e) => total + e.amount, 0);
  const stored = totals.find((t) => t.currency === currency)?.balance ?? 0;
  expect(stored, 'stored totals equal the sum of entries').toBe(sum);
  return sum;
}
