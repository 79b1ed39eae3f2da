import { describe, expect, it } from 'vitest';
import { newPartnerUser, onboard } from '#tests/connect';
import { api } from '#tests/local';
import { activePayee, deliverWebhooks, emulator, eventually, stripeSdk } from '#tests/payments';
import { balanceOf, freshPeriod, opsToken, recordHeld, settledRun, startRun, transfersOf } from '#tests/payouts';
import { changesSince, markState, NO_CHANGE } from '#tests/table-snapshot';

const DAY = 86_400_000;

describe('payout rules: who is paid, and what carries forward', () => {
  it('pays only what is past the holding period; the rest stays held for the next run', async () => {
    const partner = await activePayee('payout-holding');
    const { period, inside } = await freshPeriod();
    // Available only after the period's cutoff (and after every other scenario's period): still held at cutoff.
    const later = Date.now() + 10 * DAY;
    await recordHeld(partner.partnerId, 1_000, inside);
    await recordHeld(partner.partnerId, 700, new Date(later).toISOString());
    await startRun(period);
    const run = await settledRun(period);
    expect(run.totals.amounts.paid).toEqual({ usd: 1_000 });
    expect(await balanceOf(partner.partnerId)).toBe(700);
  });

  it('skips amounts below the minimum with the reason, and carries them forward', async () => {
    const partner = await activePayee('payout-minimum');
    const { period, inside } = await freshPeriod();
    await recordHeld(partner.partnerId, 99, inside); // default minimum payout is 100 minor units
    await startRun(period);
    const run = await settledRun(period);
    expect(run.totals).toMatchObject({ considered: 1, queued: 0, skipped: { below_minimum: 1 } });
    expect(await transfersOf(`run_${period}`)).toHaveLength(0);
    expect(await balanceOf(partner.partnerId)).toBe(99);
    const csv = await api<string>('GET', `/admin/payout-runs/run_${period}?format=csv`, { token: await opsToken() });
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    expect(csv.text).toContain(`${partner.partnerId},usd,99,skipped,,,below_minimum`);
  });

  it('skips partners who prefer manual payouts, are not onboarded or restricted, with their reasons', async () => {
    const manual = await activePayee('payout-manual');
    await api('PUT', '/partners/me/payout-preference', { token: manual.idToken, body: { method: 'manual' } });
    const pending = await newPartnerUser('payout-pending');
    await onboard(pending.idToken, 'pending');
    const restricted = await activePayee('payout-restricted');
    await emulator().setAccountState(restricted.accountId, 'restricted');
    await deliverWebhooks();
    await eventually(
      () => api<{ status: string }>('GET', '/partners/me', { token: restricted.idToken }),
      (r) => r.body.status === 'restricted',
    );
    const { period, inside } = await freshPeriod();
    for (const partnerId of [manual.partnerId, pending.partnerId, restricted.partnerId])
      await recordHeld(partnerId, 5_000, inside);
    await startRun(period);
    const run = await settledRun(period);
    expect(run.totals.skipped).toMatchObject({ manual_preference: 1, not_onboarded: 1, restricted: 1 });
    expect(run.totals.queued).toBe(0);
    for (const partnerId of [manual.partnerId, pending.partnerId, restricted.partnerId]) {
      expect(await balanceOf(partnerId)).toBe(5_000);
    }
  });

  it('skips a deauthorized (disconnected) partner', async () => {
    const partner = await activePayee('payout-disconnected');
    await emulator().setAccountState(partner.accountId, 'deauthorized');
    await deliverWebhooks();
    await eventually(
      () => api<{ status: string }>('GET', '/partners/me', { token: partner.idToken }),
      (r) => r.body.status === 'disconnected',
    );
    const { period, inside } = await freshPeriod();
    await recordHeld(partner.partnerId, 2_000, inside);
    await startRun(period);
    expect((await settledRun(period)).totals.skipped).toMatchObject({ disconnected: 1 });
  });

  it('pays each currency with its own transfer', async () => {
    const partner = await activePayee('payout-currencies');
    await emulator().fundBalance({ amount: 1_000_000, currency: 'eur' });
    const { period, inside } = await freshPeriod();
    await recordHeld(partner.partnerId, 1_200, inside, 'usd');
    await recordHeld(partner.partnerId, 3_400, inside, 'eur');
    await startRun(period);
    const run = await settledRun(period);
    expect(run.totals.amounts.paid).toEqual({ usd: 1_200, eur: 3_400 });
    const transfers = await transfersOf(`run_${period}`);
    expect(transfers.map((t) => [t.currency, t.amount]).sort()).toEqual([
      ['eur', 3_400],
      ['usd', 1_200],
    ]);
    expect(await balanceOf(partner.partnerId, 'usd')).toBe(0);
    expect(await balanceOf(partner.partnerId, 'eur')).toBe(0);
  });

  it('nets a clawback against later earnings: the payout and its transfer are earnings − clawback', async () => {
    const { inProcessDeps } = await import('#tests/payouts');
    const { planPage, sendPayout, startRun: startRunCore } = await import('#core/payouts');
    const partner = await activePayee('payout-netting');
    // A commission (10 % of a platform charge the partner referred), then a partial refund: both through Stripe's
    // webhooks, which hold the commission for the holding period and claw back 10 % of the refunded part.
    const charge = await stripeSdk().paymentIntents.create({
      amount: 30_000,
      currency: 'usd',
      description: 'Referred plan',
      metadata: { referring_partner_id: partner.partnerId },
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    await deliverWebhooks();
    await stripeSdk().refunds.create({ payment_intent: charge.id, amount: 12_000 });
    await deliverWebhooks();
    const { dynamoLedgerStore } = await import('#adapters/dynamodb/ledger-store');
    const entries = await eventually(
      () => dynamoLedgerStore.allEntries(partner.partnerId),
      (all) => all.some((e) => e.type === 'clawback'),
    );
    const held = entries.filter((e) => e.payoutStatus === 'pending');
    expect(held.map((e) => [e.type, e.amount]).sort()).toEqual([
      ['clawback', -1_200],
      ['earning', 3_000],
    ]);
    expect(await balanceOf(partner.partnerId)).toBe(1_800);

    // The run that pays them: the holding period is over (a clock 8 days on, a month that contains it). Planning
    // is narrowed to this partner so the run touches nobody else's earnings in the shared table.
    const later = new Date(Date.now() + 8 * DAY);
    const period = later.toISOString().slice(0, 7);
    const { deps, queued, plans } = await inProcessDeps();
    const planning: typeof deps.store.planningPage = async (cutoff, _cursor, limit) => {
      const candidates = [];
      let cursor: string | null = null;
      do {
        const page = await deps.store.planningPage(cutoff, cursor, limit);
        candidates.push(...page.candidates.filter((c) => c.partnerId === partner.partnerId));
        cursor = page.nextCursor;
      } while (cursor);
      return { candidates, nextCursor: null };
    };
    const atLater = { ...deps, clock: { now: () => later }, store: { ...deps.store, planningPage: planning } };
    await startRunCore(atLater, { period, startedBy: 'test' });
    const runId = `run_${period}`;
    expect(plans.map((p) => p.runId)).toContain(runId);
    await planPage(atLater, runId, null);
    const ref = queued.find((r) => r.partnerId === partner.partnerId);
    if (!ref) throw new Error('the partner was not planned');
    expect(await sendPayout(deps, ref)).toBe('paid');

    const { dynamoPayoutStore } = await import('#adapters/dynamodb/payout-store');
    const payout = await dynamoPayoutStore.getPayout(ref.partnerId, ref.payoutId);
    expect(payout).toMatchObject({ status: 'paid', amount: 1_800, currency: 'usd' });
    const transfers = (await transfersOf(runId)).filter((t) => t.metadata?.payoutId === ref.payoutId);
    expect(transfers.map((t) => [t.amount, t.currency, t.destination])).toEqual([[1_800, 'usd', partner.accountId]]);
    expect(payout?.stripeTransferId).toBe(transfers[0]?.id);
    // Both held entries went into that payout, and nothing is left owed.
    const after = await dynamoLedgerStore.allEntries(partner.partnerId);
    for (const entry of held) {
      expect(after.find((e) => e.id === entry.id)).toMatchObject({ payoutStatus: 'paid', payoutId: ref.payoutId });
    }
    expect(await balanceOf(partner.partnerId)).toBe(0);
  });

  it('a dry run reports exactly what the real run then pays, and writes nothing', async () => {
    const a = await activePayee('payout-dry-a');
    const b = await activePayee('payout-dry-b');
    const { period, inside } = await freshPeriod();
    await recordHeld(a.partnerId, 2_222, inside);
    await recordHeld(b.partnerId, 50, inside);
    const before = await markState();
    const dry = await startRun(period, true);
    expect(dry.status, JSON.stringify(dry.body)).toBe(200);
    expect(await changesSince(before)).toEqual(NO_CHANGE);
    expect(dry.body).toMatchObject({
      dryRun: true,
      complete: true,
      payable: 1,
      amounts: { usd: 2_222 },
      skipped: { below_minimum: 1 },
    });
    expect((await api('GET', `/admin/payout-runs/run_${period}`, { token: await opsToken() })).status).toBe(404);
    expect(await balanceOf(a.partnerId)).toBe(2_222);
    await startRun(period);
    const run = await settledRun(period);
    expect(run.totals.amounts.paid).toEqual(dry.body.amounts);
    expect(run.totals.paid).toBe(dry.body.payable);
    expect(run.totals.skipped.below_minimum).toBe(1);
  });

  it('lists runs newest first for operators (by start, not by period), page by page', async () => {
    // Two months, the later one started first: newest first means the older month comes first.
    const later = await freshPeriod();
    const earlier = await freshPeriod();
    expect(earlier.period < later.period).toBe(true);
    expect((await startRun(later.period)).status).toBe(202);
    await settledRun(later.period);
    expect((await startRun(earlier.period)).status).toBe(202);
    await settledRun(earlier.period);
    type RunList = { runs: Array<{ id: string; startedAt: string }>; nextCursor: string | null };
    const list = async (query: string) => {
      const response = await api<RunList>('GET', `/admin/payout-runs?${query}`, { token: await opsToken() });
      expect(response.status).toBe(200);
      return response.body;
    };
    const runs = (await list('limit=50')).runs;
    const ids = runs.map((r) => r.id);
    expect(ids.filter((id) => id === `run_${earlier.period}` || id === `run_${later.period}`)).toEqual([
      `run_${earlier.period}`,
      `run_${later.period}`,
    ]);
    const starts = runs.map((r) => r.startedAt);
    expect(starts).toEqual([...starts].sort().reverse());
    // One per page: each cursor continues exactly where the page before stopped.
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await list(`limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      paged.push(...page.runs.map((r) => r.id));
      cursor = page.nextCursor;
    } while (cursor && paged.length < 4);
    expect(paged).toEqual(ids.slice(0, paged.length));
    expect(paged.length).toBe(Math.min(4, ids.length));
  });
});

describe('approval gate', () => {
  it('a run that requires approval waits as awaiting_approval, sends nothing, and pays once approved', async () => {
    const { inProcessDeps } = await import('#tests/payouts');
    const { planPage, startRun: startRunCore } = await import('#core/payouts');
    const partner = await activePayee('payout-approval');
    const { period, inside } = await freshPeriod();
    await recordHeld(partner.partnerId, 8_000, inside);
    const { deps, queued, plans } = await inProcessDeps();
    const gated = { ...deps, settings: { ...deps.settings, requireApproval: true } };
    await startRunCore(gated, { period, startedBy: 'test' });
    await planPage(gated, plans[0]?.runId ?? '', null);
    expect(queued).toEqual([]); // nothing goes to the workers before approval
    const waiting = await api<{ status: string }>('GET', `/admin/payout-runs/run_${period}`, {
      token: await opsToken(),
    });
    expect(waiting.body.status).toBe('awaiting_approval');
    expect(await transfersOf(`run_${period}`)).toHaveLength(0);

    const approved = await api<{ status: string }>('POST', `/admin/payout-runs/run_${period}/approve`, {
      token: await opsToken(),
    });
    expect(approved.status).toBe(200);
    const run = await settledRun(period);
    expect(run).toMatchObject({ status: 'completed', totals: { paid: 1 } });
    expect(await transfersOf(`run_${period}`)).toHaveLength(1);
    const again = await api<{ error: { code: string } }>('POST', `/admin/payout-runs/run_${period}/approve`, {
      token: await opsToken(),
    });
    expect(again.status).toBe(200); // approving twice changes nothing
    expect(await transfersOf(`run_${period}`)).toHaveLength(1);
  });

  it('an operator asks one run to wait for approval (the stage does not require it): planned, nothing sent, then paid', async () => {
    const partner = await activePayee('payout-ask-approval');
    const { period, inside } = await freshPeriod();
    await recordHeld(partner.partnerId, 6_000, inside);
    const ops = await opsToken();
    const started = await api<{ run: { status: string } }>('POST', '/admin/payout-runs', {
      token: ops,
      body: { period, requireApproval: true },
    });
    expect(started.status).toBe(202);
    const waiting = await eventually(
      async () =>
        (
          await api<{ status: string; totals: { queued: number } }>('GET', `/admin/payout-runs/run_${period}`, {
            token: ops,
          })
        ).body,
      (run) => run.status === 'awaiting_approval',
    );
    expect(waiting.totals.queued).toBe(1);
    expect(await transfersOf(`run_${period}`)).toHaveLength(0);
    // Starting it again without the option changes nothing: the run keeps what it started with.
    const again = await api<{ run: { status: string } }>('POST', '/admin/payout-runs', {
      token: ops,
      body: { period },
    });
    expect(again.status).toBe(200);
    expect(again.body.run.status).toBe('awaiting_approval');
    const approved = await api('POST', `/admin/payout-runs/run_${period}/approve`, { token: ops });
    expect(approved.status).toBe(200);
    expect(await settledRun(period)).toMatchObject({ status: 'completed', totals: { paid: 1 } });
    expect(await transfersOf(`run_${period}`)).toHaveLength(1);
  });

  it('approval queues the planned payouts page by page through the queue, each exactly once', async () => {
    const { inProcessDeps } = await import('#tests/payouts');
    const { approveRun, planPage, releasePage, startRun: startRunCore } = await import('#core/payouts');
    const { period, inside } = await freshPeriod();
    const partnerIds: string[] = [];
    for (let i = 0; i < 5; i++) {
      const partner = await activePayee(`payout-release${i}`);
      await recordHeld(partner.partnerId, 3_000 + i, inside);
      partnerIds.push(partner.partnerId);
    }
    const { deps, queued, plans, releases } = await inProcessDeps();
    const gated = { ...deps, settings: { ...deps.settings, requireApproval: true } };
    await startRunCore(gated, { period, startedBy: 'test' });
    const runId = plans[0]?.runId ?? '';
    await planPage(gated, runId, null);
    expect(queued).toEqual([]);
    await approveRun(gated, runId);
    expect(queued).toEqual([]); // approving is one message, whatever the run's size
    expect(releases).toEqual([{ runId, cursor: null }]);
    // The worker side: each release page queues its payouts, then the next page.
    let pages = 0;
    for (let next = releases.shift(); next; next = releases.shift()) {
      await releasePage(gated, next.runId, next.cursor, 2);
      pages += 1;
    }
    expect(pages).toBe(3);
    const ids = queued.map((ref) => ref.payoutId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(partnerIds.map((id) => `po_${period}_usd_${id}`).sort());
  });

  it('payouts awaiting funds are queued again page by page, each once per sweep, however many wait', async () => {
    const { inProcessDeps } = await import('#tests/payouts');
    const { planPage, requeueAwaitingFunds, sendPayout, startRun: startRunCore } = await import('#core/payouts');
    const { period, inside } = await freshPeriod();
    const mine = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const partner = await activePayee(`payout-requeue${i}`);
      await recordHeld(partner.partnerId, 2_000 + i, inside, 'cad'); // the platform holds no CAD
      mine.add(`po_${period}_cad_${partner.partnerId}`);
    }
    const { deps, queued, plans, requeues } = await inProcessDeps();
    await startRunCore(deps, { period, startedBy: 'test' });
    await planPage(deps, plans[0]?.runId ?? '', null);
    for (const ref of queued.filter((r) => mine.has(r.payoutId))) {
      expect(await sendPayout(deps, ref)).toBe('awaiting_funds');
    }

    // Funds "arrive": the sweep queues one page at once and the rest page by page on the queue.
    queued.length = 0;
    const sweep = await requeueAwaitingFunds(deps, { pageSize: 2 });
    expect(sweep).toMatchObject({ queued: 2, done: false });
    let retried = false;
    for (let next = requeues.shift(); next; next = requeues.shift()) {
      if (!retried) {
        // Mid-sweep, one of them is tried again and waits again (the balance is still short): it waits from a later
        // time, so this sweep does not pick it up a second time.
        retried = true;
        const again = queued.find((r) => mine.has(r.payoutId));
        if (!again) throw new Error('the first page holds none of ours');
        const later = new Date(Date.now() + 60_000);
        expect(await sendPayout({ ...deps, clock: { now: () => later } }, again)).toBe('awaiting_funds');
      }
      await requeueAwaitingFunds(deps, { before: next.before, cursor: next.cursor, pageSize: 2 });
    }
    const ours = queued.map((r) => r.payoutId).filter((id) => mine.has(id));
    expect(ours.sort()).toEqual([...mine].sort()); // each of ours exactly once
    const all = queued.map((r) => r.payoutId);
    expect(new Set(all).size).toBe(all.length); // and nobody twice

    // Leave nothing waiting for later scenarios (every run start re-queues payouts awaiting funds): CAD arrives and
    // Stripe's balance.available has them paid.
    await emulator().fundBalance({ amount: 100_000, currency: 'cad' });
    await deliverWebhooks();
    const { dynamoPayoutStore } = await import('#adapters/dynamodb/payout-store');
    for (const payoutId of mine) {
      const partnerId = payoutId.slice(`po_${period}_cad_`.length);
      // The one that waited again waits from a minute ahead: the balance.available sweep (payouts waiting since
      // before it started) leaves it, so it is sent here; sending is idempotent if a worker got to it too.
      expect(['paid', 'already_done']).toContain(await sendPayout(deps, { partnerId, payoutId }));
      await eventually(
        () => dynamoPayoutStore.getPayout(partnerId, payoutId),
        (payout) => payout?.status === 'paid',
        15_000,
      );
    }
  });

  it('refuses to approve a run that does not wait for approval, or does not exist', async () => {
    const missing = await api<{ error: { code: string } }>('POST', '/admin/payout-runs/run_1999-01/approve', {
      token: await opsToken(),
    });
    expect(missing.status).toBe(404);
    const { period } = await freshPeriod();
    await startRun(period);
    await settledRun(period);
    const notGated = await api<{ error: { code: string } }>('POST', `/admin/payout-runs/run_${period}/approve`, {
      token: await opsToken(),
    });
    expect(notGated.status).toBe(409);
    expect(notGated.body.error.code).toBe('approval_not_required');
  });
});
