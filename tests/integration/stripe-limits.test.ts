import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconciliationDeps } from '#adapters/reconciliation-deps';
import { STRIPE_API_VERSION } from '#adapters/stripe/api-version';
import { observeStripeWaits, resetStripeRateBudgetsForTests } from '#adapters/stripe/rate-budgets';
import { resetConfigForTests } from '#config';
import {
  finishRunsIfDone,
  type PayoutDeps,
  planPage,
  prefetchPayouts,
  sendPayout,
  startRun as startRunCore,
} from '#core/payouts';
import { firstStep, type ReconciliationStep, reconcileStep, startReconciliation } from '#core/reconciliation';
import { planStripeBudgets } from '#core/stripe-limits';
import { busiestSecond, type RequestLogEntry, signPayload } from '#local/stripe-emulator/index';
import { lambdaContext, proxyEvent } from '#tests/events';
import { TEST_SUITE_STRIPE_LIMITS } from '#tests/global-setup';
import { stackInfo } from '#tests/local';
import { activePayee, emulator, stripeSdk } from '#tests/payments';
import { balanceOf, freshPeriod, inProcessDeps, recordHeld, transfersOf } from '#tests/payouts';
import { handler as dashboardLink } from '../../functions/api/create-dashboard-link.ts';
import { handler as connectWebhook } from '../../functions/webhooks/connect.ts';

/**
 * The shared stack declares raised limits (global-setup). This scenario puts the emulator back on Stripe's documented
 * defaults for the stack's test key — 25 requests/s globally, 25/s per endpoint — and runs everything that calls
 * Stripe in this test's own process (the payout workers, the Connect webhook handler, an API route), whose budgets it
 * sets to Stripe's defaults (95 % of them). The shared API's handlers live in another process, with their own
 * (raised) configuration, so the scenario does not go through them.
 */
async function useStripeDefaults(): Promise<void> {
  await emulator().setRateLimit({ global: { live: 100, test: 25 }, endpointDefault: 25 });
  delete process.env.STRIPE_RATE_LIMITS;
  resetConfigForTests();
  resetStripeRateBudgetsForTests();
}

async function useSuiteLimits(): Promise<void> {
  await emulator().setRateLimit(TEST_SUITE_STRIPE_LIMITS);
  process.env.STRIPE_RATE_LIMITS = JSON.stringify(TEST_SUITE_STRIPE_LIMITS);
  resetConfigForTests();
  resetStripeRateBudgetsForTests();
}

/** A Connect `account.updated` delivery under a new event id, signed with the Connect endpoint's secret. */
let stormSequence = 0;
async function deliverAccountUpdated(account: Stripe.Account): Promise<number> {
  stormSequence += 1;
  const payload = JSON.stringify({
    id: `evt_storm_${Date.now()}_${stormSequence}`,
    object: 'event',
    type: 'account.updated',
    account: account.id,
    api_version: STRIPE_API_VERSION,
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object: account },
  });
  const result = await connectWebhook(
    proxyEvent({
      httpMethod: 'POST',
      path: '/webhooks/stripe/connect',
      headers: {
        'content-type': 'application/json',
        'stripe-signature': signPayload(payload, stackInfo().connectWebhookSecret, Math.floor(Date.now() / 1000)),
      },
      body: payload,
    }),
    lambdaContext(),
  );
  return result.statusCode;
}

/** `POST /connect/dashboard-link` for a partner, through its handler (an interactive API route). */
async function openDashboard(partner: { sub: string; email: string }): Promise<number> {
  const result = await dashboardLink(
    proxyEvent({
      httpMethod: 'POST',
      path: '/connect/dashboard-link',
      claims: { sub: partner.sub, email: partner.email, token_use: 'id' },
    }),
    lambdaContext(),
  );
  return result.statusCode;
}

/** Sends the planned payouts as the queue workers do: batches of 10, four batches at a time. */
async function sendLikeWorkers(deps: PayoutDeps, runId: string, refs: Array<{ partnerId: string; payoutId: string }>) {
  const batches: Array<typeof refs> = [];
  for (let i = 0; i < refs.length; i += 10) batches.push(refs.slice(i, i + 10));
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < batches.length) {
        const batch = batches[next++] ?? [];
        const known = await prefetchPayouts(deps, batch);
        await Promise.all(
          batch.map((ref) => sendPayout(deps, ref, { checkRunFinished: false, known: known.get(ref.payoutId) })),
        );
        await finishRunsIfDone(deps, [runId]);
      }
    }),
  );
}

const PARTNERS = 30;

describe('Stripe rate limits as documented: a payout run under a webhook storm', () => {
  let period: string;
  let partners: Array<Awaited<ReturnType<typeof activePayee>>>;
  let accounts: Stripe.Account[];
  /** The day (Stripe's clock) the run's transfers were created, once the first scenario has paid them. */
  let paidDay: string | undefined;

  beforeAll(async () => {
    const fresh = await freshPeriod();
    period = fresh.period;
    partners = [];
    for (let i = 0; i < PARTNERS; i++) {
      const partner = await activePayee(`limits-${i}`);
      await recordHeld(partner.partnerId, 1_000 + i, fresh.inside);
      partners.push(partner);
    }
    accounts = await Promise.all(partners.map((p) => stripeSdk().accounts.retrieve(p.accountId)));
    await useStripeDefaults();
    await emulator().clearRequestLog();
  }, 180_000);

  afterAll(async () => {
    observeStripeWaits(undefined);
    await useSuiteLimits();
  });

  it('never exceeds the global or an endpoint limit in any second, gets no 429, pays everyone once, and interactive requests do not wait behind the run', async () => {
    // When each of our requests left for Stripe, as the paced client released it.
    const sent: Array<{ endpoint: string; lane: string; waitedMs: number; at: number }> = [];
    observeStripeWaits((slot, waitedMs) =>
      sent.push({ ...slot, waitedMs, at: performance.timeOrigin + performance.now() }),
    );

    const { deps, queued } = await inProcessDeps();
    const { run } = await startRunCore(deps, { period, startedBy: 'test' });
    await planPage(deps, run.id, null);
    const refs = queued.filter((ref) => ref.payoutId.startsWith(`po_${period}_`));
    expect(refs).toHaveLength(PARTNERS);
    const sending = sendLikeWorkers(deps, run.id, refs);

    // A webhook storm while the run sends: 8 account.updated deliveries a second (test mode's limits are a quarter
    // of live mode's: this is 32/s against a live account), each re-reading the account from Stripe in the
    // background lane, for 5 seconds.
    const storm: Array<Promise<number>> = [];
    let dashboards = 0;
    for (let i = 0; i < 40; i++) {
      storm.push(deliverAccountUpdated(accounts[i % accounts.length] as Stripe.Account));
      await new Promise((resolve) => setTimeout(resolve, 125));
      // Meanwhile, partners open their Express Dashboard (an API route: the interactive lane).
      if (i % 10 === 5) {
        const partner = partners[i % partners.length];
        expect(await openDashboard({ sub: partner?.sub ?? '', email: partner?.email ?? '' })).toBe(200);
        dashboards += 1;
      }
    }
    await sending;
    const stormed = await Promise.all(storm);
    observeStripeWaits(undefined);

    // Everyone paid, exactly once.
    const settled = await deps.store.getRun(run.id);
    expect(settled?.counters.paid).toBe(PARTNERS);
    const transfers = await transfersOf(run.id);
    paidDay = new Date((transfers[0]?.created ?? 0) * 1000).toISOString().slice(0, 10);
    for (const partner of partners) {
      const payoutId = `po_${period}_usd_${partner.partnerId}`;
      expect(
        transfers.filter((t) => t.metadata?.payoutId === payoutId),
        payoutId,
      ).toHaveLength(1);
      expect(await balanceOf(partner.partnerId)).toBe(0);
    }
    // The storm was handled, its re-reads reached Stripe, and the run's transfers did.
    expect(stormed.filter((status) => status !== 200)).toEqual([]);
    const log = await emulator().requestLog({});
    expect(log.filter((e) => e.endpoint === 'GET /v1/accounts/:id').length).toBeGreaterThanOrEqual(40);
    expect(log.filter((e) => e.endpoint === 'POST /v1/transfers').length).toBeGreaterThanOrEqual(PARTNERS);

    // No second, wherever it starts, held more than Stripe's 25: neither of what we sent, nor of what Stripe
    // received (every request counted, even refused ones), nor of any endpoint; and Stripe refused none.
    const ours = (filter: (s: (typeof sent)[number]) => boolean) =>
      sent.filter(filter).map((s) => ({ endpoint: s.endpoint, arrivedMs: s.at }) as RequestLogEntry);
    expect(sent.length).toBeGreaterThanOrEqual(PARTNERS + 40);
    expect(busiestSecond(ours(() => true)).count, 'sent').toBeLessThanOrEqual(25);
    expect(busiestSecond(log).count, 'received').toBeLessThanOrEqual(25);
    for (const endpoint of ['POST /v1/transfers', 'GET /v1/accounts/:id'])
      expect(busiestSecond(log, (e) => e.endpoint === endpoint).count, endpoint).toBeLessThanOrEqual(25);
    expect(log.filter((e) => e.rateLimited !== null).map((e) => `${e.endpoint} ${e.rateLimited}`)).toEqual([]);

    // Interactive requests did not queue behind the run: the background lane made requests wait over a second (the
    // run's 30 transfers alone, 42 ms apart on their endpoint, take 1.26 s: the positive control), and no interactive
    // request waited anywhere near as long for its start time.
    expect(dashboards).toBe(4);
    const waits = (lane: string) => sent.filter((s) => s.lane === lane).map((s) => s.waitedMs);
    expect(waits('interactive').length).toBeGreaterThanOrEqual(4);
    const longestBackground = Math.max(...waits('background'));
    expect(longestBackground).toBeGreaterThan(1_000);
    for (const waited of waits('interactive')) expect(waited).toBeLessThan(longestBackground / 2);
  }, 240_000);

  it("reconciliation reads Stripe in its own share of the background lane, spaced by the share's rate", async () => {
    // Test mode's defaults: the background lane is 19/s, reconciliation's share 20 % of it, 3.8/s (263 ms apart).
    const share = planStripeBudgets('test').shares.reconciliation;
    expect(share).toBeCloseTo(3.8);
    const sent: Array<{ endpoint: string; lane: string; share?: string; at: number }> = [];
    observeStripeWaits((slot) => sent.push({ ...slot, at: performance.timeOrigin + performance.now() }));
    // Six steps of the paid day, one transfer per page: six list requests, one after another as fast as the steps go.
    const ports = reconciliationDeps();
    let { step } = await startReconciliation(ports, firstStep(`share-${Date.now()}`, paidDay ?? '', 1));
    for (let i = 0; i < 6; i++) {
      const outcome = await reconcileStep(ports, step);
      expect(outcome.next?.phase).toBe('transfers');
      step = outcome.next as ReconciliationStep;
    }
    observeStripeWaits(undefined);

    expect(sent.map((s) => `${s.endpoint} ${s.lane} ${s.share}`)).toEqual(
      Array.from({ length: 6 }, () => 'GET /v1/transfers background reconciliation'),
    );
    // Each left at least one share interval after the previous one (a little less for timer rounding); in the lane
    // alone (19/s) they would have left as fast as the steps went, well under 100 ms apart on a quiet machine.
    const gaps = sent.slice(1).map((s, i) => s.at - (sent[i]?.at ?? 0));
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(1000 / share - 15);
  }, 60_000);
});
