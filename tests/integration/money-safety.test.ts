import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { dynamo, tableName } from '#adapters/dynamodb/client';
import { ledgerEntryItem } from '#adapters/dynamodb/ledger-store';
import { dynamoPayoutStore } from '#adapters/dynamodb/payout-store';
import { dryRun, planPage, sendPayout, startRun as startRunCore } from '#core/payouts';
import { api } from '#tests/local';
import {
  activePayee,
  deliverWebhooks,
  disputedPayment,
  earnings,
  eventually,
  expectBalanced,
  stripeSdk,
} from '#tests/payments';
import {
  balanceOf,
  freshPeriod,
  inProcessDeps,
  opsToken,
  recordHeld,
  settledRun,
  startRun,
  transfersOf,
} from '#tests/payouts';
import { changesSince, markState, NO_CHANGE } from '#tests/table-snapshot';

/**
 * Money safety: disputes hold and take back the partner's share, operators hold, adjust, exclude and keep reversed
 * money, amounts are bounded (one partner's oversized balance never stalls a run), and money is recorded only in
 * currencies the partner can be paid in.
 */

interface PartnerAdminView {
  payoutHold: { reason: string; until: string | null; by: { sub: string; email: string | null } } | null;
  operatorActions: Array<{ action: string; reason: string; by: { sub: string; email: string | null } }>;
}

const adminView = async (partnerId: string) =>
  api<PartnerAdminView>('GET', `/admin/partners/${partnerId}`, { token: await opsToken() });

const hold = async (partnerId: string, reason = 'Suspected card testing') =>
  api<{ payoutHold: unknown }>('PUT', `/admin/partners/${partnerId}/payout-hold`, {
    token: await opsToken(),
    body: { reason },
  });

const lift = async (partnerId: string, reason = 'Cleared after review') =>
  api('DELETE', `/admin/partners/${partnerId}/payout-hold?reason=${encodeURIComponent(reason)}`, {
    token: await opsToken(),
  });

const adjust = async (body: Record<string, unknown>) =>
  api<{ adjustment?: { amount: number }; error?: { code: string } }>('POST', '/admin/adjustments', {
    token: await opsToken(),
    body,
  });

const externalId = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

describe('disputes: the partner’s share is held while open, released when won', () => {
  it('holds the share on charge.dispute.created (netted against platform-held earnings), then releases it when won', async () => {
    const {
      payee,
      paymentIntentId,
      dispute: { id: disputeId },
    } = await disputedPayment('ms-dispute-won');
    const visible = async () => (await earnings(payee.idToken)).body.entries.map((e) => [e.type, e.amount]);
    await eventually(visible, (entries) => entries.some(([type]) => type === 'hold'));
    expect(await visible()).toEqual(
      expect.arrayContaining([
        ['earning', 9_000],
        ['hold', -9_000],
      ]),
    );
    // The hold is held platform money: with a 12,000 earning available, the next run would pay only 3,000.
    await recordHeld(payee.partnerId, 12_000, new Date(Date.now() - 60_000).toISOString());
    const { deps } = await inProcessDeps();
    const now = new Date().toISOString().slice(0, 7);
    const held = await dryRun(deps, { period: now });
    expect(held.payouts.filter((p) => p.partnerId === payee.partnerId)).toEqual([
      { partnerId: payee.partnerId, currency: 'usd', amount: 3_000 },
    ]);

    await stripeSdk().disputes.update(disputeId, { evidence: { uncategorized_text: 'winning_evidence' } });
    await deliverWebhooks();
    await eventually(visible, (entries) => entries.some(([type]) => type === 'release'));
    expect(await visible()).toEqual(
      expect.arrayContaining([
        ['earning', 9_000],
        ['hold', -9_000],
        ['release', 9_000],
      ]),
    );
    const released = await dryRun(deps, { period: now });
    expect(released.payouts.filter((p) => p.partnerId === payee.partnerId)).toEqual([
      { partnerId: payee.partnerId, currency: 'usd', amount: 12_000 },
    ]);
    // Won: nothing was taken from the partner at Stripe.
    const intent = await stripeSdk().paymentIntents.retrieve(paymentIntentId, {
      expand: ['latest_charge.transfer'],
    });
    const charge = intent.latest_charge as { transfer: { amount_reversed: number } };
    expect(charge.transfer.amount_reversed).toBe(0);
    expect(await expectBalanced(payee.partnerId)).toEqual({ usd: 12_000 });
  });
});

describe('operator controls', () => {
  it('a held partner stays unpaid across two runs, cannot lift the hold, and is paid once an operator lifts it', async () => {
    const partner = await activePayee('ms-hold');
    // Three months, the earliest first: the earning is available to all three runs.
    const latest = await freshPeriod();
    const middle = await freshPeriod();
    const earliest = await freshPeriod();
    await recordHeld(partner.partnerId, 5_000, earliest.inside);
    expect((await hold(partner.partnerId)).status).toBe(200);
    // The partner's own controls do not lift it.
    const preference = await api('PUT', '/partners/me/payout-preference', {
      token: partner.idToken,
      body: { method: 'stripe' },
    });
    expect(preference.status).toBe(200);
    const asPartner = await api('DELETE', `/admin/partners/${partner.partnerId}/payout-hold?reason=mine`, {
      token: partner.idToken,
    });
    expect(asPartner.status).toBe(403);

    for (const { period } of [earliest, middle]) {
      await startRun(period);
      const run = await settledRun(period);
      expect(run.totals.skipped.operator_hold, period).toBe(1);
      expect(await transfersOf(`run_${period}`)).toHaveLength(0);
    }
    expect(await balanceOf(partner.partnerId)).toBe(5_000);

    const view = await adminView(partner.partnerId);
    expect(view.status).toBe(200);
    expect(view.body.payoutHold).toMatchObject({ reason: 'Suspected card testing', until: null });
    expect(view.body.payoutHold?.by.email).toMatch(/@/);

    expect((await lift(partner.partnerId)).status).toBe(200);
    await startRun(latest.period);
    const paid = await settledRun(latest.period);
    expect(paid.totals.amounts.paid).toEqual({ usd: 5_000 });
    expect(await transfersOf(`run_${latest.period}`)).toHaveLength(1);
    expect(await balanceOf(partner.partnerId)).toBe(0);
    const actions = (await adminView(partner.partnerId)).body.operatorActions;
    expect(actions.map((a) => [a.action, a.reason])).toEqual([
      ['payout_hold_lifted', 'Cleared after review'],
      ['payout_hold_set', 'Suspected card testing'],
    ]);
  });

  it('the worker carries a payout planned before the hold forward (operator_hold) instead of sending it', async () => {
    const partner = await activePayee('ms-hold-worker');
    const { period, inside } = await freshPeriod();
    await recordHeld(partner.partnerId, 2_500, inside);
    const { deps, queued, plans } = await inProcessDeps();
    await startRunCore(deps, { period, startedBy: 'test' });
    await planPage(deps, plans[0]?.runId ?? '', null);
    const ref = queued.find((r) => r.payoutId === `po_${period}_usd_${partner.partnerId}`);
    if (!ref) throw new Error('not planned');
    expect((await hold(partner.partnerId, 'Chargeback wave')).status).toBe(200);
    expect(await sendPayout(deps, ref)).toBe('carried_forward');
    expect(await dynamoPayoutStore.getPayout(ref.partnerId, ref.payoutId)).toMatchObject({
      status: 'carried_forward',
      reason: 'operator_hold',
    });
    expect(await transfersOf(`run_${period}`)).toHaveLength(0);
    expect(await balanceOf(partner.partnerId)).toBe(2_500);
  });

  it('excludes a planned payout before it is sent; a sent or excluded one is refused', async () => {
    const partner = await activePayee('ms-exclude');
    const { period, inside } = await freshPeriod();
    await recordHeld(partner.partnerId, 3_300, inside);
    const { deps, queued, plans } = await inProcessDeps();
    await startRunCore(deps, { period, startedBy: 'test' });
    await planPage(deps, plans[0]?.runId ?? '', null);
    const payoutId = `po_${period}_usd_${partner.partnerId}`;
    expect(queued.map((r) => r.payoutId)).toContain(payoutId);
    const token = await opsToken();
    const excluded = await api<{ status: string; reason: string }>('POST', `/admin/payouts/${payoutId}/exclude`, {
      token,
      body: { reason: 'Account under review' },
    });
    expect(excluded.status, excluded.text).toBe(200);
    expect(excluded.body).toMatchObject({ status: 'carried_forward', reason: 'operator_excluded' });
    expect(await sendPayout(deps, { partnerId: partner.partnerId, payoutId })).toBe('already_done');
    expect(await transfersOf(`run_${period}`)).toHaveLength(0);
    const again = await api<{ error: { code: string } }>('POST', `/admin/payouts/${payoutId}/exclude`, {
      token,
      body: { reason: 'Account under review' },
    });
    expect([again.status, again.body.error.code]).toEqual([409, 'payout_not_excludable']);
    expect(await balanceOf(partner.partnerId)).toBe(3_300);
    const actions = (await adminView(partner.partnerId)).body.operatorActions;
    expect(actions.map((a) => a.action)).toEqual(['payout_excluded']);
  });

  it('a payout reversed and marked final is not paid again', async () => {
    const partner = await activePayee('ms-reversal-final');
    const { period, inside } = await freshPeriod();
    await recordHeld(partner.partnerId, 4_000, inside);
    await startRun(period);
    expect((await settledRun(period)).totals.amounts.paid).toEqual({ usd: 4_000 });
    const payoutId = `po_${period}_usd_${partner.partnerId}`;
    const token = await opsToken();
    // Not reversed yet: nothing to keep.
    const early = await api<{ error: { code: string } }>('POST', `/admin/payouts/${payoutId}/reversal-final`, {
      token,
      body: { reason: 'Fraud confirmed' },
    });
    expect([early.status, early.body.error.code]).toEqual([409, 'nothing_to_keep']);

    const [transfer] = await transfersOf(`run_${period}`);
    await stripeSdk().transfers.createReversal(String(transfer?.id));
    await deliverWebhooks();
    await eventually(
      () => dynamoPayoutStore.getPayout(partner.partnerId, payoutId),
      (payout) => payout?.status === 'reversed',
    );
    const { deps } = await inProcessDeps();
    const now = new Date().toISOString().slice(0, 7);
    // Without the operator, the returned money would be paid again...
    const before = await dryRun(deps, { period: now });
    expect(before.payouts.filter((p) => p.partnerId === partner.partnerId)).toEqual([
      { partnerId: partner.partnerId, currency: 'usd', amount: 4_000 },
    ]);
    const kept = await api<{ keptAmount: number }>('POST', `/admin/payouts/${payoutId}/reversal-final`, {
      token,
      body: { reason: 'Fraud confirmed' },
    });
    expect(kept.status, kept.text).toBe(200);
    expect(kept.body.keptAmount).toBe(4_000);
    // ...marked final, it is not: the partner's balance is back to zero.
    const after = await dryRun(deps, { period: now });
    expect(after.payouts.filter((p) => p.partnerId === partner.partnerId)).toEqual([]);
    expect(await balanceOf(partner.partnerId)).toBe(0);
    const twice = await api<{ error: { code: string } }>('POST', `/admin/payouts/${payoutId}/reversal-final`, {
      token,
      body: { reason: 'Fraud confirmed' },
    });
    expect([twice.status, twice.body.error.code]).toEqual([409, 'nothing_to_keep']);
  });

  it('a negative adjustment larger than the balance carries forward as a negative balance, netted by later earnings', async () => {
    const partner = await activePayee('ms-adjust');
    const later = await freshPeriod();
    const first = await freshPeriod();
    await recordHeld(partner.partnerId, 1_000, first.inside);
    const id = externalId('chargeback-loss');
    const body = {
      partnerId: partner.partnerId,
      amount: -3_000,
      currency: 'usd',
      reason: 'Chargeback losses not covered by the dispute',
      externalId: id,
      availableAt: first.inside,
    };
    const recorded = await adjust(body);
    expect(recorded.status, JSON.stringify(recorded.body)).toBe(201);
    expect((await adjust(body)).status).toBe(200); // a replay records nothing new
    expect((await adjust({ ...body, amount: -2_000 })).body.error?.code).toBe('external_id_conflict');

    await startRun(first.period);
    const carried = await settledRun(first.period);
    expect(carried.totals.skipped.below_minimum).toBe(1);
    expect(await balanceOf(partner.partnerId)).toBe(-2_000);

    await recordHeld(partner.partnerId, 5_000, later.inside);
    await startRun(later.period);
    const paid = await settledRun(later.period);
    expect(paid.totals.amounts.paid).toEqual({ usd: 3_000 });
    expect((await transfersOf(`run_${later.period}`)).map((t) => t.amount)).toEqual([3_000]);
    expect(await balanceOf(partner.partnerId)).toBe(0);
    const visible = (await earnings(partner.idToken)).body.entries.map((e) => [e.type, e.amount]);
    expect(visible).toEqual(expect.arrayContaining([['adjustment', -3_000]]));
  });
});

describe('bounds and isolation', () => {
  it('refuses amounts above what one Transfer carries (and unsafe integers) with 400, writing nothing', async () => {
    const partner = await activePayee('ms-bounds');
    const token = await opsToken();
    const mark = await markState();
    for (const amount of [9_000_000_000_000, Number.MAX_SAFE_INTEGER, 100_000_000]) {
      const earning = await api<{ error: { code: string } }>('POST', '/admin/earnings', {
        token,
        body: {
          partnerId: partner.partnerId,
          amount,
          currency: 'usd',
          externalId: externalId('big'),
          description: 'x',
        },
      });
      expect([amount, earning.status, earning.body.error.code]).toEqual([amount, 400, 'invalid_amount']);
      const adjustment = await adjust({
        partnerId: partner.partnerId,
        amount: -amount,
        currency: 'usd',
        reason: 'Too big',
        externalId: externalId('big'),
      });
      expect([amount, adjustment.status, adjustment.body.error?.code]).toEqual([amount, 400, 'invalid_amount']);
    }
    expect(await changesSince(mark)).toEqual(NO_CHANGE);
    // Positive control: Stripe's maximum itself is accepted.
    const max = await api('POST', '/admin/earnings', {
      token,
      body: {
        partnerId: partner.partnerId,
        amount: 99_999_999,
        currency: 'usd',
        externalId: externalId('max'),
        description: 'Largest single earning',
        availableAt: '2099-01-01T00:00:00Z',
      },
    });
    expect(max.status).toBe(201);
  });

  it('an oversized balance already in the ledger is skipped with its reason; the rest of the page is planned and paid', async () => {
    const { period, inside } = await freshPeriod();
    const oversized = await activePayee('ms-oversized');
    const normal = await activePayee('ms-normal');
    // Written straight into the ledger, as data recorded before amounts were bounded: no API accepts it now.
    const at = Date.parse(inside);
    const entry = (id: string, amount: number) => ({
      id,
      partnerId: oversized.partnerId,
      currency: 'usd' as const,
      type: 'earning' as const,
      amount,
      occurredAt: at,
      description: 'Legacy import',
      reference: id,
      payoutStatus: 'pending' as const,
      availableAt: at,
      recordedAt: new Date().toISOString(),
    });
    // Entries only (no running totals, which would hold the unsafe sum): their sum is beyond a safe integer, which the
    // old planner turned into a throw on every delivery of the page. Removed at the end, so no later scenario sees them.
    const legacy = [
      ledgerEntryItem(entry(externalId('legacy-a'), Number.MAX_SAFE_INTEGER - 10)),
      ledgerEntryItem(entry(externalId('legacy-b'), 1_000)),
    ];
    for (const item of legacy) await dynamo().send(new PutCommand({ TableName: tableName(), Item: item }));
    try {
      await recordHeld(normal.partnerId, 2_222, inside);
      await startRun(period);
      const run = await settledRun(period);
      expect(run.status).toBe('completed');
      expect(run.totals.skipped.amount_too_large).toBe(1);
      expect(run.totals.amounts.paid).toEqual({ usd: 2_222 });
      expect((await transfersOf(`run_${period}`)).map((t) => t.destination)).toEqual([normal.accountId]);
    } finally {
      for (const item of legacy) {
        await dynamo().send(new DeleteCommand({ TableName: tableName(), Key: { PK: item.PK, SK: item.SK } }));
      }
    }
  });

  it('pays a balance larger than one Transfer over several runs: each run takes what one Transfer carries', async () => {
    const partner = await activePayee('ms-split');
    const { period, inside } = await freshPeriod();
    await recordHeld(partner.partnerId, 60_000_000, inside);
    await recordHeld(partner.partnerId, 60_000_000, inside);
    const { deps } = await inProcessDeps();
    const plan = await dryRun(deps, { period });
    expect(plan.payouts.filter((p) => p.partnerId === partner.partnerId)).toEqual([
      { partnerId: partner.partnerId, currency: 'usd', amount: 60_000_000 },
    ]);
  });
});

describe('payable currencies', () => {
  it('refuses earnings and adjustments in a currency the partner cannot be paid in (422), writing nothing', async () => {
    const partner = await activePayee('ms-currency');
    const token = await opsToken();
    const mark = await markState();
    const earning = await api<{ error: { code: string } }>('POST', '/admin/earnings', {
      token,
      body: {
        partnerId: partner.partnerId,
        amount: 5_000,
        currency: 'jpy',
        externalId: externalId('jpy'),
        description: 'Tokyo bonus',
      },
    });
    expect([earning.status, earning.body.error.code]).toEqual([422, 'currency_not_payable']);
    const batch = await api<{ error: { code: string } }>('POST', '/admin/earnings', {
      token,
      body: {
        earnings: [
          {
            partnerId: partner.partnerId,
            amount: 100,
            currency: 'usd',
            externalId: externalId('ok'),
            description: 'ok',
          },
          {
            partnerId: partner.partnerId,
            amount: 100,
            currency: 'jpy',
            externalId: externalId('no'),
            description: 'no',
          },
        ],
      },
    });
    expect([batch.status, batch.body.error.code]).toEqual([422, 'currency_not_payable']);
    const adjustment = await adjust({
      partnerId: partner.partnerId,
      amount: -500,
      currency: 'jpy',
      reason: 'Correction',
      externalId: externalId('jpy-adj'),
    });
    expect([adjustment.status, adjustment.body.error?.code]).toEqual([422, 'currency_not_payable']);
    expect(await changesSince(mark)).toEqual(NO_CHANGE);
    // Positive control: the partner's own currency is recorded.
    const usd = await api('POST', '/admin/earnings', {
      token,
      body: {
        partnerId: partner.partnerId,
        amount: 5_000,
        currency: 'usd',
        externalId: externalId('usd'),
        description: 'ok',
      },
    });
    expect(usd.status).toBe(201);
  });
});
