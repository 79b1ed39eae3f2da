import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { dynamo } from '#adapters/dynamodb/client';
import { dynamoPayoutStore } from '#adapters/dynamodb/payout-store';
import {
  dryRun,
  handlePayoutReversal,
  type PayoutDeps,
  type PayoutStore,
  PLANNING_STALL_MS,
  planPage,
  releasePage,
  sendPayout,
  startRun as startRunCore,
  type TransferGateway,
} from '#core/payouts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '#local/dynamodb';
import { api, stackInfo } from '#tests/local';
import { activePayee, deliverWebhooks, emulator, eventually, stripeSdk } from '#tests/payments';
import {
  balanceOf,
  freshPeriod,
  getRun,
  inProcessDeps,
  opsToken,
  recordHeld,
  settledRun,
  startRun,
  transfersOf,
} from '#tests/payouts';
import { stripeCallsSince, stripeLogMark } from '#tests/table-snapshot';

afterEach(async () => {
  await emulator().clearFaults();
});

/** Every payout of the run has exactly one transfer at Stripe, and the ids match what we recorded. */
async function expectExactlyOnce(period: string, partnerIds: string[]) {
  const runId = `run_${period}`;
  const transfers = await transfersOf(runId);
  for (const partnerId of partnerIds) {
    const payoutId = `po_${period}_usd_${partnerId}`;
    const theirs = transfers.filter((t) => t.metadata?.payoutId === payoutId);
    expect(theirs, payoutId).toHaveLength(1);
    const payout = await dynamoPayoutStore.getPayout(partnerId, payoutId);
    expect(payout?.status).toBe('paid');
    expect(payout?.stripeTransferId).toBe(theirs[0]?.id);
    expect(await balanceOf(partnerId)).toBe(0);
  }
}

async function partnersWithEarnings(count: number, inside: string, amount = 1_000) {
  const partners = [];
  for (let i = 0; i < count; i++) {
    const partner = await activePayee(`payout-x${i}`);
    await recordHeld(partner.partnerId, amount + i, inside);
    partners.push(partner);
  }
  return partners;
}

/**
 * One partner with one available earning and its payout planned in process (the queue only records): where the
 * worker starts. The payout is picked by its period: starting a run also re-queues other runs' payouts awaiting funds.
 */
async function onePlannedPayout(amount = 1_000) {
  const { period, inside } = await freshPeriod();
  const [partner] = await partnersWithEarnings(1, inside, amount);
  if (!partner) throw new Error('no partner');
  const { deps, queued, plans } = await inProcessDeps();
  await startRunCore(deps, { period, startedBy: 'test' });
  await planPage(deps, plans[0]?.runId ?? '', null);
  const ref = queued.find((r) => r.payoutId.startsWith(`po_${period}_`));
  if (!ref) throw new Error('nothing planned');
  return { period, partner, deps, ref };
}

describe('exactly one transfer per payout, whatever fails', () => {
  it('survives injected 429s and 500s on transfers.create', async () => {
    const { period, inside } = await freshPeriod();
    const partners = await partnersWithEarnings(3, inside);
    // The first transfer attempts are certain to meet a 429 and then a 500; random faults follow.
    await emulator().setFaults([
      { endpoint: 'POST /v1/transfers', rateLimitRate: 1, times: 2 },
      { endpoint: 'POST /v1/transfers', serverErrorRate: 1, times: 2 },
      { endpoint: 'POST /v1/transfers', rateLimitRate: 0.4, serverErrorRate: 0.3, times: 8 },
    ]);
    const mark = await stripeLogMark();
    await startRun(period);
    const run = await settledRun(period, 40_000);
    expect(run.totals.paid).toBe(3);
    const faults = (await stripeCallsSince(mark))
      .filter((call) => call.endpoint === 'POST /v1/transfers')
      .map((call) => [call.fault, call.status]);
    expect(faults).toContainEqual(['rate_limit', 429]);
    expect(faults).toContainEqual(['server_error', 500]);
    await expectExactlyOnce(
      period,
      partners.map((p) => p.partnerId),
    );
  });

  it('survives the ambiguous failure: Stripe commits the transfer and the connection drops', async () => {
    const { period, inside } = await freshPeriod();
    const partners = await partnersWithEarnings(2, inside);
    await emulator().addFault({ endpoint: 'POST /v1/transfers', ambiguousRate: 1, times: 6 });
    await startRun(period);
    const run = await settledRun(period, 40_000);
    expect(run.totals.paid).toBe(2);
    await expectExactlyOnce(
      period,
      partners.map((p) => p.partnerId),
    );
  });

  it('records the transfer when the worker crashed after Stripe accepted it but before our write', async () => {
    const { period, partner, deps, ref } = await onePlannedPayout();
    const crashing: PayoutStore = {
      ...deps.store,
      completePayout: async () => {
        throw new Error('worker killed after Stripe answered');
      },
    };
    await expect(sendPayout({ ...deps, store: crashing }, ref)).rejects.toThrow(/killed/);
    expect(await transfersOf(`run_${period}`)).toHaveLength(1); // Stripe has it; we don't yet
    expect(await sendPayout(deps, ref)).toBe('paid'); // the redelivery: same key, Stripe replays the transfer
    expect(await sendPayout(deps, ref)).toBe('already_done');
    await expectExactlyOnce(period, [partner.partnerId]);
  });

  it('a completion that collides with another transaction on the run counters is sent again, not taken for done', async () => {
    // In AWS every payout's completing transaction adds to its run's counters, so concurrent completions can be
    // cancelled with TransactionConflict: nothing written, nothing decided. Injected here at the wire.
    const { period, partner, deps, ref } = await onePlannedPayout();
    const runPk = `PAYOUT_RUN#run_${period}`;
    const middleware = `collide-${period}`;
    let collisions = 0;
    dynamo().middlewareStack.add(
      (next) => async (args) => {
        const items = (args.input as { TransactItems?: Array<{ Update?: { Key?: Record<string, unknown> } }> })
          .TransactItems;
        if (items?.some((item) => item.Update?.Key?.PK === runPk) && collisions < 2) {
          collisions++;
          throw new TransactionCanceledException({
            message: 'Transaction cancelled, please refer cancellation reasons for specific reasons',
            $metadata: { httpStatusCode: 400 },
            CancellationReasons: items.map((item) => ({
              Code: item.Update?.Key?.PK === runPk ? 'TransactionConflict' : 'None',
            })),
          });
        }
        return next(args);
      },
      { step: 'initialize', name: middleware },
    );
    try {
      expect(await sendPayout(deps, ref)).toBe('paid'); // in this delivery: no redelivery, no second Stripe call
    } finally {
      dynamo().middlewareStack.remove(middleware);
    }
    expect(collisions).toBe(2);
    const sent = await emulator().requestLog({ path: '/v1/transfers', method: 'POST' });
    expect(sent.filter((entry) => entry.idempotencyKey?.includes(ref.payoutId))).toHaveLength(1);
    await expectExactlyOnce(period, [partner.partnerId]);
    expect((await getRun(`run_${period}`)).body.totals).toMatchObject({ paid: 1, failed: 0 });
  });

  it('a start that crashed between writing the run and queueing its first page is planned when started again', async () => {
    const { period, inside } = await freshPeriod();
    const [partner] = await partnersWithEarnings(1, inside);
    if (!partner) throw new Error('no partner');
    const { deps, plans, queued } = await inProcessDeps();
    const crashing: PayoutDeps = {
      ...deps,
      queue: {
        ...deps.queue,
        enqueuePlanning: async () => {
          throw new Error('killed before the first page was queued');
        },
      },
    };
    await expect(startRunCore(crashing, { period, startedBy: 'test' })).rejects.toThrow(/killed/);
    const runId = `run_${period}`;
    expect((await getRun(runId)).body).toMatchObject({ status: 'planning', totals: { considered: 0 } });

    // Started again at once (a second schedule delivery, a quick retry): planning may still be about to begin.
    await startRunCore(deps, { period, startedBy: 'test' });
    expect(plans).toHaveLength(0);
    // Started again once the run has been quiet for PLANNING_STALL_MS: the first page is queued.
    const later = new Date(Date.now() + PLANNING_STALL_MS);
    await startRunCore({ ...deps, clock: { now: () => later } }, { period, startedBy: 'test' });
    expect(plans).toEqual([{ runId, cursor: null }]);
    await planPage(deps, runId, null);
    // (starting a run also re-queues other runs' payouts awaiting funds: only this period's count here)
    expect(queued.filter((ref) => ref.payoutId.startsWith(`po_${period}_`)).map((ref) => ref.partnerId)).toEqual([
      partner.partnerId,
    ]);
    // Once planning has begun, starting it again queues no second chain.
    await startRunCore({ ...deps, clock: { now: () => later } }, { period, startedBy: 'test' });
    expect(plans).toHaveLength(1);
  });

  it('a planning page that crashed after planning but before queueing: its redelivery sweeps the planned payouts onto the queue', async () => {
    const { period, inside } = await freshPeriod();
    const partners = await partnersWithEarnings(2, inside);
    const { deps, queued, plans, releases } = await inProcessDeps();
    await startRunCore(deps, { period, startedBy: 'test' });
    const runId = plans[0]?.runId ?? '';
    const crashing: PayoutDeps = {
      ...deps,
      queue: {
        ...deps.queue,
        enqueuePayouts: async () => {
          throw new Error('worker killed before queueing the page');
        },
      },
    };
    await expect(planPage(crashing, runId, null)).rejects.toThrow(/killed/);
    const ids = partners.map((p) => `po_${period}_usd_${p.partnerId}`);
    for (const [i, partner] of partners.entries())
      expect((await deps.store.getPayout(partner.partnerId, ids[i] ?? ''))?.status).toBe('planned');

    // SQS redelivers the page. Its partners are no longer held, so the page alone cannot find them again.
    await planPage(deps, runId, null, { redelivered: true });
    expect(queued.filter((ref) => ids.includes(ref.payoutId))).toEqual([]);
    expect(releases).toEqual([{ runId, cursor: null }]);
    await releasePage(deps, runId, null);
    expect(queued.filter((ref) => ids.includes(ref.payoutId)).map((ref) => ref.payoutId)).toEqual(
      expect.arrayContaining(ids),
    );
    for (const ref of [...queued]) await sendPayout(deps, ref);
    await expectExactlyOnce(
      period,
      partners.map((p) => p.partnerId),
    );
    expect((await getRun(runId)).body).toMatchObject({ status: 'completed', totals: { paid: 2 } });
  });

  it('a transfer Stripe accepted before a crash is recorded as paid, not carried forward, though the partner turned restricted meanwhile', async () => {
    const { period, partner, deps, ref } = await onePlannedPayout(2_500);
    const crashing: PayoutStore = {
      ...deps.store,
      completePayout: async () => {
        throw new Error('worker killed after Stripe answered');
      },
    };
    await expect(sendPayout({ ...deps, store: crashing }, ref)).rejects.toThrow(/killed/);
    // Before the redelivery, Stripe restricts the account and the Connect webhook tells us.
    await emulator().setAccountState(partner.accountId, 'restricted');
    await deliverWebhooks();
    await eventually(
      () => deps.partners.payoutProfile(partner.partnerId),
      (profile) => profile?.status === 'restricted',
    );
    // The payout is `sending`: a transfer may exist, so it is not closed on our own view of the partner — the same
    // key goes to Stripe, which replays the transfer it made.
    expect(await sendPayout(deps, ref)).toBe('paid');
    await expectExactlyOnce(period, [partner.partnerId]);
    expect((await getRun(`run_${period}`)).body.totals).toMatchObject({ paid: 1, carriedForward: 0 });
  });

  it('a payout whose send never reached Stripe carries forward when Stripe refuses the restricted account', async () => {
    const { period, partner, deps, ref } = await onePlannedPayout(3_300);
    // The worker recorded `sending` and died before its request left.
    const dying: PayoutDeps = {
      ...deps,
      transfers: {
        ...deps.transfers,
        create: async () => {
          throw new Error('worker killed before the request left');
        },
      },
    };
    await expect(sendPayout(dying, ref)).rejects.toThrow(/killed/);
    expect((await dynamoPayoutStore.getPayout(ref.partnerId, ref.payoutId))?.status).toBe('sending');
    await emulator().setAccountState(partner.accountId, 'restricted');
    await deliverWebhooks();
    await eventually(
      () => deps.partners.payoutProfile(partner.partnerId),
      (profile) => profile?.status === 'restricted',
    );
    expect(await sendPayout(deps, ref)).toBe('carried_forward');
    expect(await transfersOf(`run_${period}`)).toHaveLength(0);
    const payout = await dynamoPayoutStore.getPayout(ref.partnerId, ref.payoutId);
    expect(payout).toMatchObject({ status: 'carried_forward', reason: 'restricted', stripeTransferId: null });
    expect(await balanceOf(partner.partnerId)).toBe(3_300); // back in the held balance for a later run
    expect((await getRun(`run_${period}`)).body.totals).toMatchObject({
      paid: 0,
      carriedForward: 1,
      skipped: { restricted: 1 },
    });
    expect(await sendPayout(deps, ref)).toBe('already_done'); // a late redelivery changes nothing
    expect(await balanceOf(partner.partnerId)).toBe(3_300);
  });

  it('sends once when SQS delivers the same message several times at once', async () => {
    const { period, partner, ref } = await onePlannedPayout();
    const info = stackInfo();
    const sqs = new SQSClient({ endpoint: info.sqsEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    const body = JSON.stringify({ type: 'payout', ...ref });
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: info.payoutQueueUrl,
        Entries: Array.from({ length: 5 }, (_, i) => ({ Id: String(i), MessageBody: body })),
      }),
    );
    sqs.destroy();
    await eventually(
      () => dynamoPayoutStore.getPayout(ref.partnerId, ref.payoutId),
      (payout) => payout?.status === 'paid',
      15_000,
    );
    await expectExactlyOnce(period, [partner.partnerId]);
  });

  it('two planners at once plan one payout per partner', async () => {
    const { period, inside } = await freshPeriod();
    const partners = await partnersWithEarnings(2, inside);
    const { deps, queued, plans } = await inProcessDeps();
    await startRunCore(deps, { period, startedBy: 'test' });
    const runId = plans[0]?.runId ?? '';
    await Promise.all([planPage(deps, runId, null), planPage(deps, runId, null), planPage(deps, runId, null)]);
    const run = await getRun(runId);
    expect(run.body.totals.queued).toBe(2);
    await Promise.all(queued.map((ref) => sendPayout(deps, ref)));
    await expectExactlyOnce(
      period,
      partners.map((p) => p.partnerId),
    );
  });

  it('waits as awaiting_funds on balance_insufficient, then pays once when funds arrive (never replaying the cached error)', async () => {
    const { period, inside } = await freshPeriod();
    const partner = await activePayee('payout-funds');
    await recordHeld(partner.partnerId, 4_321, inside, 'gbp'); // the platform holds no GBP yet
    await startRun(period);
    const waiting = await settledRun(period);
    expect(waiting.totals).toMatchObject({ awaitingFunds: 1, paid: 0 });
    expect(waiting.status).toBe('sending');
    const payoutId = `po_${period}_gbp_${partner.partnerId}`;
    expect((await dynamoPayoutStore.getPayout(partner.partnerId, payoutId))?.status).toBe('awaiting_funds');

    await emulator().fundBalance({ amount: 10_000, currency: 'gbp' }); // emits balance.available
    await deliverWebhooks();
    const paid = await eventually(
      () => dynamoPayoutStore.getPayout(partner.partnerId, payoutId),
      (payout) => payout?.status === 'paid',
      15_000,
    );
    expect(paid?.attempt).toBe(1); // a new key, used only after the lookup proved no transfer existed
    const transfers = (await transfersOf(`run_${period}`)).filter((t) => t.metadata?.payoutId === payoutId);
    expect(transfers).toHaveLength(1);
    expect(transfers[0]).toMatchObject({ amount: 4_321, currency: 'gbp' });
    expect((await getRun(`run_${period}`)).body).toMatchObject({
      status: 'completed',
      totals: { paid: 1, awaitingFunds: 0 },
    });
    expect(await balanceOf(partner.partnerId, 'gbp')).toBe(0);
  });

  it('a reversed payout transfer returns the earnings to the balance, and the next run pays them again', async () => {
    const later = await freshPeriod(); // allocated first: a later month no earlier scenario dated anything in
    const { period, inside } = await freshPeriod();
    const partner = await activePayee('payout-reversal');
    await recordHeld(partner.partnerId, 6_000, inside);
    await startRun(period);
    await settledRun(period);
    const [transfer] = await transfersOf(`run_${period}`);
    if (!transfer) throw new Error('no transfer');
    await stripeSdk().transfers.createReversal(transfer.id, {}, { idempotencyKey: `test-reversal-${transfer.id}` });
    await deliverWebhooks();
    const payoutId = `po_${period}_usd_${partner.partnerId}`;
    await eventually(
      () => dynamoPayoutStore.getPayout(partner.partnerId, payoutId),
      (payout) => payout?.status === 'reversed',
    );
    expect(await balanceOf(partner.partnerId)).toBe(6_000);

    await startRun(later.period);
    await settledRun(later.period);
    const again = await transfersOf(`run_${later.period}`);
    expect(again.filter((t) => t.destination === partner.accountId).map((t) => t.amount)).toEqual([6_000]);
    expect(await balanceOf(partner.partnerId)).toBe(0);
  });

  it('several partial reversals of a payout transfer each return what is new; a late or repeated event changes nothing', async () => {
    const { period, inside } = await freshPeriod();
    const partner = await activePayee('payout-partial-reversals');
    await recordHeld(partner.partnerId, 5_000, inside);
    await startRun(period);
    await settledRun(period);
    const [transfer] = await transfersOf(`run_${period}`);
    if (!transfer) throw new Error('no transfer');
    const payoutId = `po_${period}_usd_${partner.partnerId}`;
    const reverse = async (amount: number | undefined, n: number) => {
      await stripeSdk().transfers.createReversal(transfer.id, amount === undefined ? {} : { amount }, {
        idempotencyKey: `test-partial-reversal-${transfer.id}-${n}`,
      });
      await deliverWebhooks();
    };
    await reverse(2_000, 1);
    await eventually(
      () => balanceOf(partner.partnerId),
      (balance) => balance === 2_000,
    );
    await reverse(1_000, 2);
    await eventually(
      () => balanceOf(partner.partnerId),
      (balance) => balance === 3_000,
    );
    // The first event again, late (its cumulative amount is behind what is recorded): nothing changes.
    const { deps } = await inProcessDeps();
    const late = await handlePayoutReversal(deps, {
      partnerId: partner.partnerId,
      payoutId,
      transferId: transfer.id,
      amountReversed: 2_000,
      reversalId: `${transfer.id}_2000`,
    });
    expect(late).toBe('ignored');
    expect(await balanceOf(partner.partnerId)).toBe(3_000);
    // The rest of it (a reversal without an amount reverses what is left).
    await reverse(undefined, 3);
    await eventually(
      () => balanceOf(partner.partnerId),
      (balance) => balance === 5_000,
    );
    const payout = await dynamoPayoutStore.getPayout(partner.partnerId, payoutId);
    expect(payout).toMatchObject({ status: 'reversed', reversedAmount: 5_000 });
    const listed = await api<{ payouts: Array<{ id: string; status: string; reversedAmount: number }> }>(
      'GET',
      '/payouts',
      { token: partner.idToken },
    );
    expect(listed.body.payouts.find((p) => p.id === payoutId)).toMatchObject({
      status: 'reversed',
      reversedAmount: 5_000,
    });
    const stripeSide = await stripeSdk().transfers.retrieve(transfer.id);
    expect(stripeSide.amount_reversed).toBe(5_000); // the ledger returned exactly what Stripe took back

    // What came back is held and available now: the next month's run pays all of it, once.
    const next = new Date().toISOString().slice(0, 7);
    const plan = await dryRun(deps, { period: next });
    expect(plan.payouts.filter((p) => p.partnerId === partner.partnerId)).toEqual([
      { partnerId: partner.partnerId, currency: 'usd', amount: 5_000 },
    ]);
  });
});

/** Random schedules of the model test: 10 in `npm test`, more in `npm run soak` (MODEL_RUNS). */
const MODEL_RUNS = Number(process.env.MODEL_RUNS ?? 10);

describe('model test: crash points and redeliveries converge on one transfer per payout', () => {
  type Point = 'before-send' | 'after-stripe' | 'in-complete' | 'after-complete';
  const POINTS: Point[] = ['before-send', 'after-stripe', 'in-complete', 'after-complete'];

  /**
   * One payout sent with `crashes` scheduled (each kills the delivery that reaches it, in order) and redelivered
   * `duplicates` copies at a time until it converges: exactly one transfer at Stripe, recorded as paid.
   */
  async function scenario(partnerId: string, base: PayoutDeps, crashes: Point[], duplicates: number) {
    const what = `crashes [${crashes.join(', ')}] × ${duplicates} deliveries`;
    const { period, inside } = await freshPeriod();
    await recordHeld(partnerId, 1_000 + crashes.length, inside);
    const { deps, queued, plans } = await inProcessDeps();
    await startRunCore(deps, { period, startedBy: 'model' });
    await planPage(deps, plans[0]?.runId ?? '', null);
    const ref = queued.find((r) => r.payoutId.startsWith(`po_${period}_`));
    expect(ref, `${what}: planned`).toBeDefined();
    if (!ref) return;
    const pending = [...crashes];
    const fired: Point[] = [];
    const crashAt = (point: Point) => {
      if (pending[0] === point) {
        pending.shift();
        fired.push(point);
        throw new Error(`crash ${point}`);
      }
    };
    const transfers: TransferGateway = {
      create: async (request) => {
        crashAt('before-send');
        const outcome = await base.transfers.create(request);
        crashAt('after-stripe');
        return outcome;
      },
      findForPayout: base.transfers.findForPayout,
    };
    const store: PayoutStore = {
      ...base.store,
      completePayout: async (...args) => {
        crashAt('in-complete');
        const result = await base.store.completePayout(...args);
        crashAt('after-complete');
        return result;
      },
    };
    const faulty: PayoutDeps = { ...deps, transfers, store };
    // Redeliver until it converges, `duplicates` copies at a time (concurrent deliveries).
    for (let delivery = 0; delivery < 10; delivery++) {
      const results = await Promise.allSettled(Array.from({ length: duplicates }, () => sendPayout(faulty, ref)));
      const payout = await dynamoPayoutStore.getPayout(ref.partnerId, ref.payoutId);
      if (payout?.status === 'paid' && results.every((r) => r.status === 'fulfilled' || pending.length === 0)) break;
    }
    // The first scheduled crash always fires (every point is on the first delivery's path).
    if (crashes.length > 0) expect(fired[0], `${what}: first crash fired`).toBe(crashes[0]);
    const mine = (await transfersOf(`run_${period}`)).filter((t) => t.metadata?.payoutId === ref.payoutId);
    expect(mine, `${what}: one transfer`).toHaveLength(1);
    const payout = await dynamoPayoutStore.getPayout(ref.partnerId, ref.payoutId);
    expect(payout, what).toMatchObject({ status: 'paid', stripeTransferId: mine[0]?.id });
    expect(mine[0]?.amount, what).toBe(1_000 + crashes.length);
  }

  it('converges for no crash, every single crash point and every ordered pair (deterministic)', async () => {
    const partner = await activePayee('payout-model');
    const { deps: base } = await inProcessDeps();
    const schedules: Point[][] = [[], ...POINTS.map((p) => [p]), ...POINTS.flatMap((a) => POINTS.map((b) => [a, b]))];
    expect(schedules).toHaveLength(21);
    // 1, 2 or 3 concurrent copies in turn, so every point meets concurrent redeliveries too.
    for (const [i, crashes] of schedules.entries()) await scenario(partner.partnerId, base, crashes, 1 + (i % 3));
    expect(await balanceOf(partner.partnerId)).toBe(0);
  });

  it(
    'converges for a seeded random tail of longer schedules',
    async () => {
      const partner = await activePayee('payout-model-tail');
      const { deps: base } = await inProcessDeps();
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.constantFrom(...POINTS), { minLength: 3, maxLength: 5 }),
          fc.integer({ min: 1, max: 3 }),
          async (crashes, duplicates) => scenario(partner.partnerId, base, crashes, duplicates),
        ),
        // Seeded so a failure is reproducible; MODEL_SEED=<n> explores other schedules, MODEL_RUNS=<n> runs more of
        // them (`npm run soak`).
        { numRuns: MODEL_RUNS, seed: Number(process.env.MODEL_SEED ?? 20_261_130), endOnFailure: true },
      );
      expect(await balanceOf(partner.partnerId)).toBe(0);
    },
    Math.max(30_000, MODEL_RUNS * 6_000),
  ); // a soak's time grows with its cases, never cuts them short
});

describe('model test: operator holds and adjustments over successive runs', () => {
  /**
   * One partner, a few monthly runs. Each month brings earnings, maybe an operator adjustment (either sign), and an
   * operator hold that is on, off, or set after the run planned (the worker then carries the payout forward). The
   * model: a held partner is never paid; otherwise the run pays the whole available balance when it reaches the
   * minimum, else it carries forward (negative balances included). Stripe's transfers and our ledger must both agree
   * with the model, and no transfer exceeds what one Transfer may carry.
   */
  it('pays exactly what the model says, never a held partner', async () => {
    type HoldMode = 'none' | 'before' | 'after-planning';
    const token = await opsToken();
    const holdSet = (partnerId: string) =>
      api('PUT', `/admin/partners/${partnerId}/payout-hold`, { token, body: { reason: 'Model hold' } });
    const holdLifted = (partnerId: string) =>
      api('DELETE', `/admin/partners/${partnerId}/payout-hold?reason=model`, { token });
    const month = fc.record({
      earnings: fc.array(fc.integer({ min: 1, max: 5_000 }), { maxLength: 2 }),
      adjustment: fc.option(
        fc.integer({ min: -6_000, max: 3_000 }).filter((a) => a !== 0),
        { nil: undefined },
      ),
      hold: fc.constantFrom<HoldMode>('none', 'before', 'after-planning'),
    });
    let iteration = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(month, { minLength: 1, maxLength: 3 }), async (months) => {
        iteration += 1;
        const partner = await activePayee(`payout-model-ops${iteration}`);
        // Periods are handed out from later to earlier months: take them all, then run the earliest first.
        const periods: Array<{ period: string; inside: string }> = [];
        for (const _ of months) periods.push(await freshPeriod());
        periods.reverse();
        let carried = 0;
        let paidTotal = 0;
        for (const [index, m] of months.entries()) {
          const { period, inside } = periods[index] as { period: string; inside: string };
          for (const amount of m.earnings) await recordHeld(partner.partnerId, amount, inside);
          if (m.adjustment !== undefined) {
            const adjusted = await api('POST', '/admin/adjustments', {
              token,
              body: {
                partnerId: partner.partnerId,
                amount: m.adjustment,
                currency: 'usd',
                reason: 'Model correction',
                externalId: `model-${partner.partnerId}-${index}`,
                availableAt: inside,
              },
            });
            if (adjusted.status !== 201) return false;
          }
          if (m.hold === 'before') await holdSet(partner.partnerId);
          const { deps, queued, plans } = await inProcessDeps();
          await startRunCore(deps, { period, startedBy: 'model' });
          for (const plan of plans.filter((p) => p.runId === `run_${period}`))
            await planPage(deps, plan.runId, plan.cursor);
          if (m.hold === 'after-planning') await holdSet(partner.partnerId);
          for (const ref of queued.filter((r) => r.partnerId === partner.partnerId && r.payoutId.includes(period)))
            await sendPayout(deps, ref);
          carried += m.earnings.reduce((a, b) => a + b, 0) + (m.adjustment ?? 0);
          const transfers = (await transfersOf(`run_${period}`)).filter((t) => t.destination === partner.accountId);
          const payable = m.hold === 'none' && carried >= 100;
          if (transfers.length !== (payable ? 1 : 0)) return false;
          if (payable) {
            if (transfers[0]?.amount !== carried || carried > 99_999_999) return false;
            paidTotal += carried;
            carried = 0;
          }
          if (m.hold !== 'none') await holdLifted(partner.partnerId);
          if ((await balanceOf(partner.partnerId)) !== carried) return false;
        }
        return paidTotal >= 0;
      }),
      { numRuns: 5 },
    );
  }, 240_000);
});
