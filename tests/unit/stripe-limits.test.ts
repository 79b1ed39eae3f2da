import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { STRIPE_API_VERSION } from '#adapters/stripe/api-version';
import { createStripeRateBudgets, type StripeRequestSlot } from '#core/rate-budget';
import { keyMode, planStripeBudgets, stripeEndpoint } from '#core/stripe-limits';
import { maxInAnySecond, memoryRateBudgetStore, virtualClock } from '#tests/rate-budget';
import { DEFAULT_API_VERSION } from '../../local/stripe-emulator/core.ts';

describe('pinned Stripe API version', () => {
  it('is the version the installed SDK was generated for: an SDK upgrade fails here until the pin is moved on purpose', () => {
    expect(Stripe.API_VERSION).toBe(STRIPE_API_VERSION);
  });

  it('is what the emulator answers with by default', () => {
    expect(DEFAULT_API_VERSION).toBe(STRIPE_API_VERSION);
  });
});

describe('Stripe limits and budgets', () => {
  it('tells live keys from test keys', () => {
    expect(keyMode('sk_live_abc')).toBe('live');
    expect(keyMode('rk_live_abc')).toBe('live');
    expect(keyMode('sk_test_abc')).toBe('test');
    expect(keyMode('rk_test_abc')).toBe('test');
  });

  it('budgets 95 % of Stripe’s documented limits, the global one in two lanes that add up to it', () => {
    const live = planStripeBudgets('live');
    expect(live.lanes.interactive + live.lanes.background).toBeCloseTo(95);
    expect(live.lanes.interactive).toBeCloseTo(19);
    expect(live.endpoint('POST /v1/transfers')).toBeCloseTo(23.75);
    const test = planStripeBudgets('test');
    expect(test.lanes.interactive + test.lanes.background).toBeCloseTo(23.75);
    expect(test.endpoint('GET /v1/accounts/:id')).toBeCloseTo(23.75);
  });

  it('follows raised limits a stage declares', () => {
    const plan = planStripeBudgets('live', {
      global: 200,
      endpoints: { 'POST /v1/transfers': 100 },
      interactiveShare: 0.1,
    });
    expect(plan.endpoint('POST /v1/transfers')).toBeCloseTo(95);
    expect(plan.endpoint('GET /v1/transfers')).toBeCloseTo(23.75);
    expect(plan.lanes.background).toBeCloseTo(171);
    expect(plan.lanes.interactive).toBeCloseTo(19);
    expect(() => planStripeBudgets('live', { interactiveShare: 0.9 })).toThrow(RangeError);
  });

  it("gives reconciliation a share of the background lane: 20 % by default, or the stage's", () => {
    expect(planStripeBudgets('live').shares.reconciliation).toBeCloseTo(15.2);
    expect(planStripeBudgets('test').shares.reconciliation).toBeCloseTo(3.8);
    expect(planStripeBudgets('live', { global: 200, reconciliationShare: 0.5 }).shares.reconciliation).toBeCloseTo(76);
    // A share is a ceiling inside the lane: the lanes still add up to the global budget.
    const plan = planStripeBudgets('live', { reconciliationShare: 1 });
    expect(plan.lanes.interactive + plan.lanes.background).toBeCloseTo(95);
    expect(plan.shares.reconciliation).toBeCloseTo(plan.lanes.background);
    for (const reconciliationShare of [0, -0.1, 1.5])
      expect(() => planStripeBudgets('live', { reconciliationShare })).toThrow(RangeError);
  });

  it.each([
    ['POST', '/v1/transfers', 'POST /v1/transfers'],
    ['GET', '/v1/transfers?transfer_group=run_1&limit=100', 'GET /v1/transfers'],
    ['GET', '/v1/accounts/acct_1QxYz2AbCdEf', 'GET /v1/accounts/:id'],
    ['POST', '/v1/accounts/acct_1QxYz2AbCdEf/login_links', 'POST /v1/accounts/:id/login_links'],
    ['POST', '/v1/account_links', 'POST /v1/account_links'],
    ['GET', '/v1/checkout/sessions/cs_test_a1B2c3', 'GET /v1/checkout/sessions/:id'],
    ['GET', '/v1/payment_intents/pi_3Abc', 'GET /v1/payment_intents/:id'],
    ['post', '/v1/payment_intents/pi_3Abc/cancel', 'POST /v1/payment_intents/:id/cancel'],
  ])('names %s %s as Stripe counts it', (method, path, name) => {
    expect(stripeEndpoint(method, path)).toBe(name);
  });
});

/**
 * Callers of one set of budgets on a virtual clock: each caller loops — acquire, note when it left, pause — until
 * `durationMs` has passed; resolves with every request sent (its slot, when it left, how long it waited).
 */
async function simulateCallers(
  plan: ReturnType<typeof planStripeBudgets>,
  callers: ReadonlyArray<{ slot: StripeRequestSlot; pauseMs: number }>,
  durationMs: number,
): Promise<Array<StripeRequestSlot & { at: number; waited: number }>> {
  const clock = virtualClock();
  const budgets = createStripeRateBudgets({
    plan,
    store: memoryRateBudgetStore(),
    blockSize: 10,
    now: clock.now,
    sleep: clock.sleep,
  });
  const end = clock.now() + durationMs;
  const sent: Array<StripeRequestSlot & { at: number; waited: number }> = [];
  await clock.drive(
    Promise.all(
      callers.map(async ({ slot, pauseMs }) => {
        while (clock.now() < end) {
          const waited = await budgets.acquire(slot);
          if (clock.now() >= end) break;
          sent.push({ ...slot, at: clock.now(), waited });
          await clock.sleep(pauseMs);
        }
      }),
    ),
  );
  return sent;
}

const callers = (count: number, slot: StripeRequestSlot, pauseMs: number) =>
  Array.from({ length: count }, () => ({ slot, pauseMs }));

describe('Stripe rate budgets: endpoints and the global budget together (virtual clock)', () => {
  it('a payout run, a webhook storm and interactive routes: no endpoint or global limit exceeded, interactive never waits behind the run', async () => {
    // Live key, Stripe's defaults: transfers 25/s, accounts 25/s, global 100/s.
    const sent = await simulateCallers(
      planStripeBudgets('live'),
      [
        // 40 payout workers busy 300 ms a transfer: far more than 25/s of demand.
        ...callers(40, { endpoint: 'POST /v1/transfers', lane: 'background' }, 300),
        // A webhook storm re-reading accounts as fast as it can.
        ...callers(30, { endpoint: 'GET /v1/accounts/:id', lane: 'background' }, 200),
        // Other background reads on three more endpoints, about 12/s.
        ...['GET /v1/transfers', 'GET /v1/balance', 'GET /v1/events'].flatMap((endpoint) =>
          callers(2, { endpoint, lane: 'background' }, 500),
        ),
        // A few people clicking: an onboarding link now and then.
        ...callers(3, { endpoint: 'POST /v1/account_links', lane: 'interactive' }, 400),
      ],
      10_000,
    );
    const at = (filter: (s: (typeof sent)[number]) => boolean) => sent.filter(filter).map((s) => s.at);
    expect(maxInAnySecond(at(() => true))).toBeLessThanOrEqual(100);
    for (const endpoint of [
      'POST /v1/transfers',
      'GET /v1/accounts/:id',
      'GET /v1/transfers',
      'POST /v1/account_links',
    ])
      expect(maxInAnySecond(at((s) => s.endpoint === endpoint)), endpoint).toBeLessThanOrEqual(25);
    // The endpoints that bind run at their budget (≥ 95 % of 23.75/s over 10 s).
    expect(at((s) => s.endpoint === 'POST /v1/transfers').length).toBeGreaterThanOrEqual(225);
    // Interactive requests waited only behind each other (3 callers: at most 2 spacings of their 19/s lane), never
    // behind the background queue, where the payout workers wait seconds.
    const interactiveWaits = sent.filter((s) => s.lane === 'interactive').map((s) => s.waited);
    expect(Math.max(...interactiveWaits)).toBeLessThanOrEqual((2 * 1000) / 19 + 1);
  });

  it('reconciliation reads no faster than its share of the background lane, and the run keeps the rest', async () => {
    // Transfers raised to 100/s with the global limit at 100/s: the background lane (76/s) binds the run, so what
    // reconciliation takes of it is what the run loses. Reconciliation's share: 20 % of the lane, 15.2/s.
    const plan = planStripeBudgets('live', { endpoints: { 'POST /v1/transfers': 100 } });
    expect(plan.shares.reconciliation).toBeCloseTo(15.2);
    const run = callers(100, { endpoint: 'POST /v1/transfers', lane: 'background' }, 300);
    // Reconciliation reading on three endpoints with many requests in flight, as fast as Stripe lets it.
    const reconciliation = (share?: 'reconciliation') =>
      ['GET /v1/transfers', 'GET /v1/transfers/:id', 'GET /v1/charges/:id'].flatMap((endpoint) =>
        callers(20, { endpoint, lane: 'background', ...(share ? { share } : {}) }, 0),
      );
    const count = (sent: Array<StripeRequestSlot & { at: number }>, transfers: boolean) =>
      sent.filter((s) => (s.endpoint === 'POST /v1/transfers') === transfers).map((s) => s.at);

    const shared = await simulateCallers(plan, [...run, ...reconciliation('reconciliation')], 10_000);
    expect(maxInAnySecond(count(shared, false))).toBeLessThanOrEqual(16);
    // The run kept the rest of the lane (≥ 95 % of 60.8/s over 10 s). Reconciliation, which waits for its share and
    // then in the lane behind the run's reservations, kept going at more than half its share: a ceiling, not a
    // reservation — it is a background job, and when no run is on it reads at its whole share.
    expect(count(shared, true).length).toBeGreaterThanOrEqual(577);
    expect(count(shared, false).length).toBeGreaterThanOrEqual(76);
    const alone = await simulateCallers(plan, reconciliation('reconciliation'), 10_000);
    expect(alone.length).toBeGreaterThanOrEqual(144);
    expect(maxInAnySecond(alone.map((s) => s.at))).toBeLessThanOrEqual(16);
    expect(maxInAnySecond(shared.map((s) => s.at))).toBeLessThanOrEqual(100);

    // The positive control: the same reads without the share take far more of the lane from the run.
    const unshared = await simulateCallers(plan, [...run, ...reconciliation()], 10_000);
    expect(maxInAnySecond(count(unshared, false))).toBeGreaterThan(16);
    expect(count(unshared, true).length).toBeLessThan(count(shared, true).length - 100);
  });

  it("an uneven global wait does not bring two of an endpoint's requests closer than its interval", async () => {
    // Endpoint at 10/s (start times 0 and 100); the first request's global start time comes 80 ms late.
    let time = 0;
    let delayed = false;
    const inner = memoryRateBudgetStore();
    const budgets = createStripeRateBudgets({
      plan: planStripeBudgets('live', { endpoints: { 'POST /v1/transfers': 10 / 0.95 }, global: 1000 }),
      store: {
        async reserve(name, at, interval, count) {
          const first = await inner.reserve(name, at, interval, count);
          if (name.includes(':global:') && !delayed) {
            delayed = true;
            return first + 80;
          }
          return first;
        },
      },
      now: () => time,
      sleep: async (ms) => {
        time += ms;
      },
    });
    const slot = { endpoint: 'POST /v1/transfers', lane: 'background' } as const;
    // Both ask at 0, so what each reports (its wait) is when it left.
    const left = (await Promise.all([0, 1].map(() => budgets.acquire(slot)))).sort((a, b) => a - b);
    expect(left[1]! - left[0]!).toBeGreaterThanOrEqual(100);
  });
});
