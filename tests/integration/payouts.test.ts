import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { dynamo, tableName } from '#adapters/dynamodb/client';
import { counterShardOf } from '#adapters/dynamodb/payout-store';
import { api } from '#tests/local';
import { activePayee } from '#tests/payments';
import { balanceOf, freshPeriod, opsToken, recordHeld, settledRun, startRun, transfersOf } from '#tests/payouts';
import { changesSince, markState, NO_CHANGE } from '#tests/table-snapshot';

describe('monthly payout run', () => {
  it('pays an active partner its available held earnings with exactly one Transfer, and the ledger reconciles', async () => {
    const partner = await activePayee('payout-happy');
    const { period, inside } = await freshPeriod();
    await recordHeld(partner.partnerId, 1_500, inside);
    await recordHeld(partner.partnerId, 2_500, inside);
    expect(await balanceOf(partner.partnerId)).toBe(4_000);

    const started = await startRun(period);
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const run = await settledRun(period);
    expect(run.status).toBe('completed');
    expect(run.totals).toMatchObject({ queued: 1, paid: 1, amounts: { paid: { usd: 4_000 } } });

    const transfers = await transfersOf(`run_${period}`);
    expect(transfers).toHaveLength(1);
    expect(transfers[0]).toMatchObject({
      amount: 4_000,
      currency: 'usd',
      destination: partner.accountId,
      metadata: { partnerId: partner.partnerId, period, payoutId: `po_${period}_usd_${partner.partnerId}` },
    });
    expect(await balanceOf(partner.partnerId)).toBe(0);

    const payouts = await api<{ payouts: Array<Record<string, unknown>> }>('GET', '/payouts', {
      token: partner.idToken,
    });
    expect(payouts.body.payouts).toEqual([
      expect.objectContaining({
        period,
        amount: 4_000,
        currency: 'usd',
        status: 'paid',
        stripeTransferId: transfers[0]?.id,
        entryCount: 2,
      }),
    ]);
    const earnings = await api<{ entries: Array<{ payoutStatus: string; payoutId: string | null }> }>(
      'GET',
      '/earnings',
      {
        token: partner.idToken,
      },
    );
    expect(earnings.body.entries.map((e) => [e.payoutStatus, e.payoutId])).toEqual([
      ['paid', `po_${period}_usd_${partner.partnerId}`],
      ['paid', `po_${period}_usd_${partner.partnerId}`],
    ]);
  });

  it('starting the same period again, even concurrently, creates nothing new and sends nothing twice', async () => {
    const partner = await activePayee('payout-twice');
    const { period, inside } = await freshPeriod();
    await recordHeld(partner.partnerId, 3_000, inside);
    const results = await Promise.all([startRun(period), startRun(period), startRun(period)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 202]);
    await settledRun(period);
    expect((await startRun(period)).body.created).toBe(false);
    const run = await settledRun(period);
    expect(run.totals).toMatchObject({ queued: 1, paid: 1 });
    expect(await transfersOf(`run_${period}`)).toHaveLength(1);
  });

  it('only admins start runs', async () => {
    const partner = await activePayee('payout-not-admin');
    const before = await markState();
    const response = await api('POST', '/admin/payout-runs', { token: partner.idToken, body: { period: '2001-01' } });
    expect(response.status).toBe(403);
    expect(await changesSince(before)).toEqual(NO_CHANGE);
    expect((await api('GET', '/admin/payout-runs/run_2001-01', { token: await opsToken() })).status).toBe(404);
  });

  it('refuses malformed and future periods with 4xx and writes nothing', async () => {
    await opsToken();
    const before = await markState();
    for (const period of ['2026-13', '26-11', 'x']) {
      const response = await startRun(period);
      expect(response.status).toBe(400);
    }
    const future = await startRun('2099-01');
    expect(future.status).toBe(422);
    expect(await changesSince(before)).toEqual(NO_CHANGE);
    expect((await api('GET', '/admin/payout-runs/run_2099-01', { token: await opsToken() })).status).toBe(404);
  });

  it("a run's counters are spread over shard items (no single hot item) and read back as their sum", async () => {
    const { period, inside } = await freshPeriod();
    const partners = [];
    for (let i = 0; i < 6; i++) {
      const partner = await activePayee(`payout-shards${i}`);
      await recordHeld(partner.partnerId, 1_000 + i, inside);
      partners.push(partner);
    }
    const below = await activePayee('payout-shards-min');
    await recordHeld(below.partnerId, 50, inside); // below the minimum: a skip, counted on the skip's shard
    await startRun(period);
    const run = await settledRun(period);
    expect(run.totals).toMatchObject({
      considered: 7,
      queued: 6,
      paid: 6,
      skipped: { below_minimum: 1 },
      amounts: { planned: { usd: 6_015 }, paid: { usd: 6_015 } },
    });

    const { Items: items = [] } = await dynamo().send(
      new QueryCommand({
        TableName: tableName(),
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': `PAYOUT_RUN#run_${period}` },
        ConsistentRead: true,
      }),
    );
    const runItem = items.find((item) => item.SK === 'RUN');
    expect(runItem?.c_paid).toBeUndefined(); // nothing adds to the run item itself
    const shards = items.filter((item) => String(item.SK).startsWith('COUNTERS#'));
    const expected = new Set([
      ...partners.map((p) => counterShardOf(`po_${period}_usd_${p.partnerId}`)),
      counterShardOf(below.partnerId),
    ]);
    expect(shards.map((item) => Number(String(item.SK).slice('COUNTERS#'.length))).sort()).toEqual(
      [...expected].sort(),
    );
    expect(shards.length).toBeGreaterThan(1);
    expect(shards.reduce((sum, item) => sum + Number(item.c_paid ?? 0), 0)).toBe(6);
    expect(shards.reduce((sum, item) => sum + Number(item.pd_usd ?? 0), 0)).toBe(6_015);

    const listed = await api<{ runs: Array<{ id: string; totals: { paid: number } }> }>('GET', '/admin/payout-runs', {
      token: await opsToken(),
    });
    expect(listed.body.runs.find((r) => r.id === `run_${period}`)?.totals.paid).toBe(6);
  });
});
