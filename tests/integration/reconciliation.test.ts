import { randomUUID } from 'node:crypto';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { dynamo, tableName } from '#adapters/dynamodb/client';
import { backfillOpenConnectedPayouts } from '#adapters/dynamodb/connected-payout-backfill';
import { dynamoConnectedPayouts } from '#adapters/dynamodb/connected-payouts';
import { queryPrefix } from '#adapters/dynamodb/query';
import { reconciliationDeps } from '#adapters/reconciliation-deps';
import { type Discrepancy, type DiscrepancyKind, type ReconciliationReport, reconcileDay } from '#core/reconciliation';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '#local/dynamodb';
import type { StoredEvent } from '#tests/event-receiver';
import { api, stackInfo } from '#tests/local';
import {
  activePayee,
  admin,
  customer,
  deliverWebhooks,
  emulator,
  eventually,
  paidIntent,
  stripeSdk,
  tableItem,
} from '#tests/payments';
import { freshPeriod, recordHeld, settledRun, startRun, transfersOf } from '#tests/payouts';
import { stripeCallsSince, stripeLogMark } from '#tests/table-snapshot';

/**
 * Reconciliation against the Stripe emulator: a clean day has no discrepancy; each kind of difference injected at
 * Stripe (a transfer made outside the backend, a reversal whose webhook was lost, a changed application fee, a
 * transfer Stripe forgot, a transfer whose amount differs) is reported exactly once, however often the day is run.
 */
const day = (epochMs: number) => new Date(epochMs).toISOString().slice(0, 10);

interface ReconciliationBody {
  date: string;
  report: ReconciliationReport;
  discrepancies: Discrepancy[];
}

describe('reconciliation', () => {
  it('finds nothing on a clean day, then each injected discrepancy exactly once (report, CSV, events)', async () => {
    const ops = (await admin()).idToken;
    // Monthly payouts to three partners, and a destination charge to a fourth.
    const [reversed, forgotten, changed, seller] = await Promise.all([
      activePayee('recon-rev'),
      activePayee('recon-gone'),
      activePayee('recon-amount'),
      activePayee('recon-seller'),
    ]);
    const { period, inside } = await freshPeriod();
    for (const [partner, amount] of [
      [reversed, 5_000],
      [forgotten, 4_000],
      [changed, 3_000],
    ] as const) {
      await recordHeld(partner.partnerId, amount, inside);
    }
    expect((await startRun(period)).status).toBe(202);
    expect((await settledRun(period)).status).toBe('completed');
    const transfers = await transfersOf(`run_${period}`);
    const transferOf = (partnerId: string) => {
      const transfer = transfers.find((t) => t.metadata?.partnerId === partnerId);
      if (!transfer) throw new Error(`no transfer for ${partnerId}`);
      return transfer;
    };
    const buyer = await customer();
    const paid = await paidIntent(buyer.idToken, seller, 8_000, 'Reconciled job');
    const intent = await stripeSdk().paymentIntents.retrieve(paid.paymentIntentId);
    const chargeId = String(intent.latest_charge);
    const charge = await stripeSdk().charges.retrieve(chargeId);

    // Stripe's clock (the emulator's) may run ahead of ours: transfers are listed by Stripe's day, payouts by ours.
    const days = [...new Set([day(transferOf(reversed.partnerId).created * 1000), day(Date.now())])];
    const mine = new Set([
      ...transfers.map((t) => t.id),
      String(charge.transfer),
      reversed.partnerId,
      forgotten.partnerId,
      changed.partnerId,
      seller.partnerId,
    ]);
    const ours = (list: readonly Discrepancy[]) =>
      list.filter((d) => mine.has(d.stripeId ?? '') || mine.has(d.partnerId ?? ''));
    const reconcile = async () => {
      for (const date of days) await reconcileDay(reconciliationDeps(), date, `inline-${randomUUID()}`);
      const found: Discrepancy[] = [];
      for (const date of days) {
        const read = await api<ReconciliationBody>('GET', `/admin/reconciliation/${date}`, { token: ops });
        expect(read.status, read.text).toBe(200);
        found.push(...read.body.discrepancies);
      }
      return found;
    };

    // Positive control for "none": everything above is in the runs (the transfers were checked)...
    expect(ours(await reconcile())).toEqual([]);
    const checked = await api<ReconciliationBody>('GET', `/admin/reconciliation/${days[0]}`, { token: ops });
    expect(checked.body.report.transfersChecked).toBeGreaterThanOrEqual(4);
    // ...and a day with nothing at Stripe is clean too.
    const empty = await reconcileDay(reconciliationDeps(), '2001-01-01', `inline-${randomUUID()}`);
    expect(empty).toMatchObject({ transfersChecked: 0, discrepancies: 0 });

    // The differences, made at Stripe as they happen in production.
    await emulator().fundBalance({ amount: 10_000, currency: 'usd' });
    const manual = await stripeSdk().transfers.create({
      amount: 700,
      currency: 'usd',
      destination: seller.accountId,
      description: 'Sent by hand from the Dashboard',
    });
    mine.add(manual.id);
    await emulator().injectDiscrepancy({
      kind: 'reversal_without_webhook',
      transferId: transferOf(reversed.partnerId).id,
      amount: 1_200,
    });
    await emulator().injectDiscrepancy({
      kind: 'application_fee',
      chargeId,
      amount: (charge.application_fee_amount ?? 0) + 50,
    });
    await emulator().injectDiscrepancy({ kind: 'forget_transfer', transferId: transferOf(forgotten.partnerId).id });
    await emulator().injectDiscrepancy({
      kind: 'transfer_amount',
      transferId: transferOf(changed.partnerId).id,
      amount: 2_999,
    });

    await reconcile();
    const found = ours(await reconcile()); // run twice: stored once
    const byKind = (kind: DiscrepancyKind) => found.filter((d) => d.kind === kind);
    expect(found).toHaveLength(5);
    expect(byKind('transfer_unknown')).toEqual([expect.objectContaining({ stripeId: manual.id, actual: 700 })]);
    expect(byKind('reversal_unrecorded')).toEqual([
      expect.objectContaining({
        stripeId: transferOf(reversed.partnerId).id,
        partnerId: reversed.partnerId,
        expected: 0,
        actual: 1_200,
      }),
    ]);
    expect(byKind('fee_mismatch')).toEqual([
      expect.objectContaining({
        stripeId: String(charge.transfer),
        recordId: paid.paymentId,
        expected: charge.application_fee_amount,
        actual: (charge.application_fee_amount ?? 0) + 50,
      }),
    ]);
    expect(byKind('transfer_missing')).toEqual([
      expect.objectContaining({ stripeId: transferOf(forgotten.partnerId).id, partnerId: forgotten.partnerId }),
    ]);
    expect(byKind('transfer_mismatch')).toEqual([
      expect.objectContaining({ partnerId: changed.partnerId, expected: 3_000, actual: 2_999 }),
    ]);

    // One event per discrepancy, whatever the reruns.
    const events = await eventually(
      async () =>
        (
          await api<{ events: StoredEvent[] }>('GET', '/admin/events?type=reconciliation.discrepancy&limit=100', {
            token: ops,
          })
        ).body.events.filter((e) => found.some((d) => d.stripeId === e.data.stripeId && d.kind === e.data.kind)),
      (list) => list.length >= 5,
    );
    expect(events).toHaveLength(5);

    // The CSV: a header and one line per discrepancy of the day.
    const csv = await api<string>('GET', `/admin/reconciliation/${days[0]}?format=csv`, { token: ops });
    expect(csv.status).toBe(200);
    expect(csv.text.split('\r\n')[0]).toBe('date,kind,stripeId,recordId,partnerId,currency,expected,actual,detail');
    expect(csv.text).toContain(`,transfer_unknown,${manual.id},`);

    // Deployed, the day runs on the reconciliation queue, one bounded step per message: two transfers per step here.
    const date = days[0] as string;
    const inline = await reconcileDay(reconciliationDeps(), date, `inline-${randomUUID()}`);
    const runId = `queue-${randomUUID()}`;
    const info = stackInfo();
    const sqs = new SQSClient({ endpoint: info.sqsEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    const start = JSON.stringify({ type: 'start', runId, date, pageSize: 2 });
    // The start delivered twice (EventBridge and SQS both deliver at least once): one run, counted once.
    await sqs.send(new SendMessageCommand({ QueueUrl: info.reconciliationQueueUrl, MessageBody: start }));
    await sqs.send(new SendMessageCommand({ QueueUrl: info.reconciliationQueueUrl, MessageBody: start }));
    sqs.destroy();
    const queued = await eventually(
      async () => (await api<ReconciliationBody>('GET', `/admin/reconciliation/${date}`, { token: ops })).body.report,
      (report) => report?.runId === runId,
      20_000,
    );
    const counts = ({
      transfersChecked,
      payoutsChecked,
      connectedPayoutsChecked,
      discrepancies,
      byKind,
    }: ReconciliationReport) => ({ transfersChecked, payoutsChecked, connectedPayoutsChecked, discrepancies, byKind });
    expect(counts(queued)).toEqual(counts(inline));
    expect(inline.discrepancies).toBeGreaterThanOrEqual(4);
    const transferSteps = await queryPrefix(`RECONCILIATION#${date}`, `RUN#${runId}#PAGE#transfers#`);
    expect(transferSteps).toHaveLength(Math.ceil(inline.transfersChecked / 2));
    // The third phase ran too, one step per page of open connected payouts (at least its one, possibly empty, page).
    const bankSteps = await queryPrefix(`RECONCILIATION#${date}`, `RUN#${runId}#PAGE#connected-payouts#`);
    expect(bankSteps).toHaveLength(Math.max(1, Math.ceil(inline.connectedPayoutsChecked / 2)));

    // A day never run, and a day that is not a date.
    expect((await api('GET', '/admin/reconciliation/2001-02-03', { token: ops })).status).toBe(404);
    const bad = await api<{ error: { code: string } }>('GET', '/admin/reconciliation/2001-02-30', { token: ops });
    expect(bad.status).toBe(400);
  }, 60_000);

  it('compares the open bank payouts of connected accounts due by the day: a lost event is reported once', async () => {
    const ops = (await admin()).idToken;
    const [partner, other] = await Promise.all([activePayee('recon-bank'), activePayee('recon-bank-other')]);
    const { accountId, partnerId } = partner;
    await emulator().fundBalance({ amount: 10_000, currency: 'usd', account: accountId });
    const create = (amount: number) =>
      stripeSdk().payouts.create({ amount, currency: 'usd' }, { stripeAccount: accountId });
    const lost = await create(2_500); // in transit, then paid at Stripe with its events lost
    const clean = await create(1_500); // stays pending at Stripe and here
    const final = await create(1_000); // paid, its events delivered
    await emulator().payoutInTransit(lost.id);
    await deliverWebhooks();
    const record = (payoutId: string) => tableItem(`PARTNER#${partnerId}`, `STRIPE_PAYOUT#${payoutId}`);
    const recorded = async (payoutId: string, status: string) =>
      eventually(
        () => record(payoutId),
        (item) => item?.status === status,
        20_000,
      );
    // Recorded through the Connect webhook, open: each in the sparse index of open payouts, by arrival day.
    for (const [payout, status] of [
      [lost, 'in_transit'],
      [clean, 'pending'],
      [final, 'pending'],
    ] as const) {
      const item = await recorded(payout.id, status);
      expect(item?.GSI2PK).toMatch(/^CONNECTED_PAYOUT_OPEN#\d{2}$/);
      expect(item?.GSI2SK).toBe(`${day(payout.arrival_date * 1000)}#${payout.id}`);
    }
    // Final through its webhook: out of the index (the index is sparse).
    await emulator().payoutPaid(final.id);
    await deliverWebhooks();
    const paid = await recorded(final.id, 'paid');
    expect(paid?.GSI2PK).toBeUndefined();
    expect(paid?.GSI2SK).toBeUndefined();

    // Stripe pays `lost` and none of its events reaches us.
    await emulator().injectDiscrepancy({ kind: 'payout_status_without_webhook', payoutId: lost.id, status: 'paid' });
    await deliverWebhooks();
    expect((await stripeSdk().payouts.retrieve(lost.id, {}, { stripeAccount: accountId })).status).toBe('paid');
    expect((await record(lost.id))?.status).toBe('in_transit');
    // A record of `clean` on another partner's account (as if its events named that account): Stripe has no such
    // payout there (404 on that account), so it is missing.
    const misplaced = {
      id: clean.id,
      partnerId: other.partnerId,
      accountId: other.accountId,
      amount: 1_500,
      currency: 'usd',
      status: 'pending' as const,
      arrivalDate: clean.arrival_date,
      failureCode: null,
      failureMessage: null,
      eventCreated: clean.created,
      eventId: `evt_misplaced_${randomUUID()}`,
      updatedAt: new Date().toISOString(),
    };
    expect(await dynamoConnectedPayouts.putIfUnchanged(misplaced, null)).toBe(true);

    const arrival = lost.arrival_date * 1000;
    const mine = (list: readonly Discrepancy[]) =>
      list.filter((d) => d.partnerId === partnerId || d.partnerId === other.partnerId);
    const reconcile = async (date: string) => {
      const mark = await stripeLogMark();
      const report = await reconcileDay(reconciliationDeps(), date, `inline-${randomUUID()}`);
      const reads = (await stripeCallsSince(mark, false)).filter(
        (call) => call.account === accountId || call.account === other.accountId,
      );
      const read = await api<ReconciliationBody>('GET', `/admin/reconciliation/${date}`, { token: ops });
      expect(read.status, read.text).toBe(200);
      return {
        report,
        reads: reads.map((call) => `${call.account} ${call.path}`).sort(),
        found: mine(read.body.discrepancies),
      };
    };

    // The day before they arrive: none of them is due, none is read at Stripe, nothing is found.
    const before = await reconcile(day(arrival - 86_400_000));
    expect(before.reads).toEqual([]);
    expect(before.found).toEqual([]);

    // Their arrival day, run twice: each open one read once per run on its account; `final` no longer read.
    const arrivalDay = day(arrival);
    const first = await reconcile(arrivalDay);
    const again = await reconcile(arrivalDay);
    const expectedReads = [
      `${accountId} /v1/payouts/${clean.id}`,
      `${accountId} /v1/payouts/${lost.id}`,
      `${other.accountId} /v1/payouts/${clean.id}`,
    ].sort();
    expect(first.reads).toEqual(expectedReads);
    expect(again.reads).toEqual(expectedReads);
    expect(first.report.connectedPayoutsChecked).toBeGreaterThanOrEqual(3);
    expect(again.found).toEqual(first.found);
    expect(first.found).toHaveLength(2);
    const byKind = (kind: DiscrepancyKind) => first.found.filter((d) => d.kind === kind);
    expect(byKind('connected_payout_mismatch')).toEqual([
      expect.objectContaining({
        id: `${arrivalDay}:connected_payout_mismatch:${lost.id}`,
        stripeId: lost.id,
        recordId: lost.id,
        partnerId,
        currency: 'usd',
        expected: 2_500,
        actual: 2_500,
        detail: expect.stringContaining('status in_transit ≠ paid'),
      }),
    ]);
    expect(byKind('connected_payout_missing')).toEqual([
      expect.objectContaining({ stripeId: clean.id, partnerId: other.partnerId, expected: 1_500, actual: null }),
    ]);
    expect(first.report.byKind.connected_payout_mismatch).toBeGreaterThanOrEqual(1);

    // One event per discrepancy, however often the day is run.
    const events = await eventually(
      async () =>
        (
          await api<{ events: StoredEvent[] }>('GET', '/admin/events?type=reconciliation.discrepancy&limit=100', {
            token: ops,
          })
        ).body.events.filter((e) => first.found.some((d) => d.stripeId === e.data.stripeId && d.kind === e.data.kind)),
      (list) => list.length >= 2,
    );
    expect(events.map((e) => e.data.kind).sort()).toEqual(['connected_payout_mismatch', 'connected_payout_missing']);
    const csv = await api<string>('GET', `/admin/reconciliation/${arrivalDay}?format=csv`, { token: ops });
    expect(csv.text).toContain(
      `${arrivalDay},connected_payout_mismatch,${lost.id},${lost.id},${partnerId},usd,2500,2500,`,
    );

    // A payout recorded open before the index existed (no index keys): the backfill puts it in, once; a final one
    // stays out.
    const indexed = await record(lost.id);
    await dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: { PK: `PARTNER#${partnerId}`, SK: `STRIPE_PAYOUT#${lost.id}` },
        UpdateExpression: 'REMOVE GSI2PK, GSI2SK',
      }),
    );
    const options = { client: dynamo(), table: tableName() };
    expect((await backfillOpenConnectedPayouts({ ...options, dryRun: true })).indexed).toBeGreaterThanOrEqual(1);
    expect((await record(lost.id))?.GSI2PK).toBeUndefined();
    expect((await backfillOpenConnectedPayouts(options)).indexed).toBeGreaterThanOrEqual(1);
    expect(await record(lost.id)).toMatchObject({ GSI2PK: indexed?.GSI2PK, GSI2SK: indexed?.GSI2SK });
    expect(await backfillOpenConnectedPayouts(options)).toEqual({ indexed: 0, skipped: 0 });
    expect((await record(final.id))?.GSI2PK).toBeUndefined();
  }, 90_000);
});
