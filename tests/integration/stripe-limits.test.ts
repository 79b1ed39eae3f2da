import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STRIPE_API_VERSION } from '#adapters/stripe/api-version';
import { observeStripeWaits, resetStripeRateBudgetsForTests } from '#adapters/stripe/rate-budgets';
import { resetConfigForTests } from '#config';
import { busiestSecond, type RequestLogEntry, signPayload } from '#local/stripe-emulator/index';
import { TEST_SUITE_STRIPE_LIMITS } from '#tests/global-setup';
import { api, stackInfo } from '#tests/local';
import { activePayee, emulator, stripeSdk } from '#tests/payments';
import { balanceOf, freshPeriod, recordHeld, settledRun, startRun, transfersOf } from '#tests/payouts';

/**
 * The shared stack declares raised limits (global-setup); these scenarios put the emulator and the functions back
 * on Stripe's documented defaults for the stack's test key — 25 requests/s globally, 25/s per endpoint — and the
 * functions' budgets on 95 % of them, then restore the suite's limits.
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
function postAccountUpdated(account: Stripe.Account) {
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
  return api('POST', '/webhooks/stripe/connect', {
    rawBody: payload,
    headers: {
      'content-type': 'application/json',
      'stripe-signature': signPayload(payload, stackInfo().connectWebhookSecret, Math.floor(Date.now() / 1000)),
    },
  });
}

const timed = async <T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> => {
  const started = performance.now();
  const value = await run();
  return { ms: performance.now() - started, value };
};

const PARTNERS = 30;

describe('Stripe rate limits as documented: a payout run under a webhook storm', () => {
  let period: string;
  let partners: Array<Awaited<ReturnType<typeof activePayee>>>;
  let accounts: Stripe.Account[];

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
    await useSuiteLimits();
  });

  it('never exceeds the global limit in any second, gets no 429, pays everyone once, and interactive routes answer without waiting behind the run', async () => {
    // When each of our requests left for Stripe, as the paced client released it.
    const sent: Array<{ endpoint: string; at: number }> = [];
    observeStripeWaits((slot) =>
      sent.push({ endpoint: slot.endpoint, at: performance.timeOrigin + performance.now() }),
    );
    const started = await startRun(period);
    expect(started.status, JSON.stringify(started.body)).toBeLessThan(300);

    // A webhook storm while the run sends: 8 account.updated deliveries a second (test mode's limits are a quarter
    // of live mode's: this is 32/s against a live account), each re-reading the account from Stripe in the
    // background lane, for the first 5 seconds of the run.
    const storm: Array<Promise<{ ms: number; value: { status: number } }>> = [];
    for (let i = 0; i < 40; i++) {
      storm.push(timed(() => postAccountUpdated(accounts[i % accounts.length] as Stripe.Account)));
      await new Promise((resolve) => setTimeout(resolve, 125));
      // Meanwhile, partners open their Express Dashboard (an API route calling Stripe: the interactive lane), and a
      // background Stripe call made at the same moment serves as the positive control.
      if (i % 10 === 5) {
        const partner = partners[i % partners.length];
        const [interactive, background] = await Promise.all([
          timed(() => api('POST', '/connect/dashboard-link', { token: partner?.idToken ?? '' })),
          timed(async () => {
            const { stripe } = await import('#adapters/stripe/client');
            return (await stripe()).balance.retrieve();
          }),
        ]);
        expect(interactive.value.status, JSON.stringify(interactive.value.body)).toBe(200);
        interactiveMs.push(interactive.ms);
        backgroundMs.push(background.ms);
      }
    }
    const run = await settledRun(period, 120_000);
    const stormed = await Promise.all(storm);
    observeStripeWaits(undefined);

    // Everyone paid, exactly once.
    expect(run.totals.paid).toBe(PARTNERS);
    const transfers = await transfersOf(run.id);
    for (const partner of partners) {
      const payoutId = `po_${period}_usd_${partner.partnerId}`;
      expect(
        transfers.filter((t) => t.metadata?.payoutId === payoutId),
        payoutId,
      ).toHaveLength(1);
      expect(await balanceOf(partner.partnerId)).toBe(0);
    }
    // The storm was handled (its re-reads reached Stripe) ...
    expect(stormed.every((s) => s.value.status === 200)).toBe(true);
    const log = await emulator().requestLog({});
    const reached = (entry: RequestLogEntry) => entry.endpoint !== null;
    expect(log.filter((e) => e.endpoint === 'GET /v1/accounts/:id').length).toBeGreaterThanOrEqual(40);
    expect(log.filter((e) => e.endpoint === 'POST /v1/transfers').length).toBeGreaterThanOrEqual(PARTNERS);
    // ... and no second, wherever it starts, held more than Stripe's 25: neither of what we sent, nor of what Stripe
    // received (every request counted, even refused ones), nor of any endpoint; Stripe never had to refuse one.
    const asEntries = (filter: (s: (typeof sent)[number]) => boolean) =>
      sent.filter(filter).map((s) => ({ endpoint: s.endpoint, arrivedMs: s.at }) as RequestLogEntry);
    expect(busiestSecond(asEntries(() => true)).count, 'sent, all endpoints').toBeLessThanOrEqual(25);
    expect(busiestSecond(asEntries((s) => s.endpoint === 'POST /v1/transfers')).count).toBeLessThanOrEqual(25);
    expect(busiestSecond(log, reached).count, 'received, all endpoints').toBeLessThanOrEqual(25);
    for (const endpoint of ['POST /v1/transfers', 'GET /v1/accounts/:id'])
      expect(busiestSecond(log, (e) => e.endpoint === endpoint).count, endpoint).toBeLessThanOrEqual(25);
    expect(log.filter((e) => e.rateLimited !== null)).toEqual([]);

    // Interactive requests did not queue behind the run: each answered faster than a background call made at the
    // same moment, which waited behind the payout workers and the storm (the positive control).
    expect(interactiveMs).toHaveLength(4);
    for (const [i, ms] of interactiveMs.entries()) expect(ms).toBeLessThan(backgroundMs[i] ?? 0);
  }, 240_000);
});

const interactiveMs: number[] = [];
const backgroundMs: number[] = [];
