import { randomUUID } from 'node:crypto';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { queryPrefix } from '#adapters/dynamodb/query';
import { reconciliationDeps } from '#adapters/reconciliation-deps';
import { type Discrepancy, type DiscrepancyKind, type ReconciliationReport, reconcileDay } from '#core/reconciliation';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '#local/dynamodb';
import type { StoredEvent } from '#tests/event-receiver';
import { api, stackInfo } from '#tests/local';
import { activePayee, admin, customer, emulator, eventually, paidIntent, stripeSdk } from '#tests/payments';
import { freshPeriod, recordHeld, settledRun, startRun, transfersOf } from '#tests/payouts';

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
    const counts = ({ transfersChecked, payoutsChecked, discrepancies, byKind }: ReconciliationReport) => ({
      transfersChecked,
      payoutsChecked,
      discrepancies,
      byKind,
    });
    expect(counts(queued)).toEqual(counts(inline));
    expect(inline.discrepancies).toBeGreaterThanOrEqual(4);
    const transferSteps = await queryPrefix(`RECONCILIATION#${date}`, `RUN#${runId}#PAGE#transfers#`);
    expect(transferSteps).toHaveLength(Math.ceil(inline.transfersChecked / 2));

    // A day never run, and a day that is not a date.
    expect((await api('GET', '/admin/reconciliation/2001-02-03', { token: ops })).status).toBe(404);
    const bad = await api<{ error: { code: string } }>('GET', '/admin/reconciliation/2001-02-30', { token: ops });
    expect(bad.status).toBe(400);
  }, 60_000);
});
