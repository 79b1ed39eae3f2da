import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { busiestSecond, type RequestLogEntry } from '../../local/stripe-emulator/index.ts';
import { expressAccount, type Harness, startHarness, stripeError } from './harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ initialBalance: [{ currency: 'usd', amount: 1_000_000 }] });
});
afterAll(() => h.close());
beforeEach(() => h.control.reset());

async function settle<T>(calls: Array<Promise<T>>) {
  const results = await Promise.allSettled(calls);
  const limited = results
    .filter((r) => r.status === 'rejected')
    .map((r) => (r as PromiseRejectedResult).reason as unknown);
  return { ok: results.filter((r) => r.status === 'fulfilled').length, limited };
}

// Built at run time from an obvious placeholder, so no scanner mistakes it for a real live key.
const LIVE_KEY = ['sk', 'live', 'emulator_fidelity_suite'].join('_');
const admitted = (entry: RequestLogEntry) => entry.endpoint !== null && entry.rateLimited === null;
const reasonOf = (error: unknown) => (error as Stripe.errors.StripeError).headers?.['stripe-rate-limited-reason'];

describe('rate limiting, as Stripe documents it', () => {
  let limited: Harness;
  beforeAll(async () => {
    // Stripe's defaults: no rateLimitPerSecond/rateLimits option.
    limited = await startHarness({ rateLimitPerSecond: undefined, apiKeyPrefix: ['sk_test_', 'sk_live_'] });
  });
  afterAll(() => limited.close());
  beforeEach(async () => {
    await limited.control.reset();
    // Every window of the previous test is over.
    await new Promise((resolve) => setTimeout(resolve, 1_050));
  });

  it('starts with 100/s for live keys, 25/s for test keys and 25/s per endpoint', async () => {
    expect(await limited.control.rateLimits()).toEqual({
      global: { live: 100, test: 25 },
      endpointDefault: 25,
      endpoints: {},
    });
  });

  it('test keys: 25 requests in any second, then 429 in Stripe’s shape', async () => {
    const { ok, limited: errors } = await settle(Array.from({ length: 40 }, () => limited.stripe.balance.retrieve()));
    expect(ok).toBeGreaterThanOrEqual(25);
    expect(errors.length).toBe(40 - ok);
    const err = errors[0] as Stripe.errors.StripeError;
    expect(err).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    expect([err.statusCode, err.code, err.rawType]).toEqual([429, 'rate_limit', 'invalid_request_error']);
    expect(err.doc_url).toBe('https://stripe.com/docs/error-codes/rate-limit');
    expect(err.message).toMatch(/rate limit/i);
    expect(reasonOf(err)).toBe('global-rate');
    expect(err.requestId).toMatch(/^req_/);
    const log = await limited.control.requestLog({});
    expect(busiestSecond(log, admitted).count).toBe(25);
    await new Promise((r) => setTimeout(r, 1_050));
    expect((await limited.stripe.balance.retrieve()).object).toBe('balance');
  });

  it('live keys: one endpoint stops at 25/s (endpoint-rate) while others go on', async () => {
    const live = limited.client({}, LIVE_KEY);
    const balance = await settle(Array.from({ length: 35 }, () => live.balance.retrieve()));
    expect(balance.ok).toBeGreaterThanOrEqual(25);
    expect(balance.limited.length).toBe(35 - balance.ok);
    expect(reasonOf(balance.limited[0])).toBe('endpoint-rate');
    // Another endpoint has its own 25.
    const transfers = await settle(Array.from({ length: 10 }, () => live.transfers.list({ limit: 1 })));
    expect(transfers.ok).toBe(10);
    const log = await limited.control.requestLog({});
    expect(busiestSecond(log, (e) => admitted(e) && e.endpoint === 'GET /v1/balance').count).toBe(25);
  });

  it('each named operation is its own endpoint: GET /v1/accounts/:id counts every id together', async () => {
    const live = limited.client({}, LIVE_KEY);
    const reads = await settle(
      Array.from({ length: 30 }, (_, i) => live.accounts.retrieve(`acct_${String(i).padStart(16, '0')}`)),
    );
    // Ids that do not exist are answered 404 — after the limiter: only 25 reached the endpoint.
    const log = await limited.control.requestLog({});
    const byId = log.filter((e) => e.endpoint === 'GET /v1/accounts/:id');
    expect(byId).toHaveLength(30);
    expect(byId.filter((e) => e.rateLimited === 'endpoint-rate').length).toBeGreaterThanOrEqual(1);
    expect(busiestSecond(byId, admitted).count).toBe(25);
    expect(reads.limited.some((e) => reasonOf(e) === 'endpoint-rate')).toBe(true);
  });

  it('live keys: the global 100/s binds across endpoints (global-rate), and test mode is counted apart', async () => {
    const live = limited.client({}, LIVE_KEY);
    const calls = [
      () => live.balance.retrieve(),
      () => live.transfers.list({ limit: 1 }),
      () => live.accounts.list({ limit: 1 }),
      () => live.events.list({ limit: 1 }),
      () => live.payouts.list({ limit: 1 }),
      () => live.charges.list({ limit: 1 }),
    ];
    // 6 endpoints × 20 = 120 requests, each endpoint under its 25.
    const burst = await settle(
      Array.from({ length: 120 }, (_, i) => (calls[i % calls.length] as () => Promise<unknown>)()),
    );
    expect(burst.ok).toBeGreaterThanOrEqual(100);
    expect(burst.limited.length).toBe(120 - burst.ok);
    expect(burst.limited.every((e) => reasonOf(e) === 'global-rate')).toBe(true);
    // The test-mode limit is separate: a test key still gets through at once.
    expect((await limited.stripe.balance.retrieve()).object).toBe('balance');
    const log = await limited.control.requestLog({});
    expect(busiestSecond(log, (e) => admitted(e) && e.mode === 'live').count).toBe(100);
  });

  it('raised limits per endpoint and globally are declared with setRateLimit, and reset restores Stripe’s', async () => {
    const live = limited.client({}, LIVE_KEY);
    await limited.control.setRateLimit({ global: { live: 200 }, endpoints: { 'GET /v1/transfers': 60 } });
    const raised = await settle(Array.from({ length: 70 }, () => live.transfers.list({ limit: 1 })));
    expect(raised.ok).toBeGreaterThanOrEqual(60);
    expect(reasonOf(raised.limited[0])).toBe('endpoint-rate');
    const log = await limited.control.requestLog({});
    expect(busiestSecond(log, (e) => admitted(e) && e.endpoint === 'GET /v1/transfers').count).toBe(60);
    // Other endpoints keep 25.
    const others = await settle(Array.from({ length: 30 }, () => live.balance.retrieve()));
    expect(others.ok).toBeLessThan(30);
    await limited.control.reset();
    expect((await limited.control.rateLimits()).endpoints).toEqual({});
  });
});

describe('fault injection', () => {
  it('injects 500 api_error before anything runs: a retry with the same key succeeds once', async () => {
    const a = await expressAccount(h, { verified: true });
    await h.control.setFaults([{ endpoint: 'POST /v1/transfers', serverErrorRate: 1, times: 1 }]);
    const params = { amount: 500, currency: 'usd', destination: a.id };
    const err = await stripeError(h.stripe.transfers.create(params, { idempotencyKey: 'flaky-1' }));
    expect(err).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect([err.statusCode, err.rawType]).toEqual([500, 'api_error']);
    expect((await h.stripe.transfers.list()).data).toHaveLength(0);
    const ok = await h.stripe.transfers.create(params, { idempotencyKey: 'flaky-1' });
    expect(ok.amount).toBe(500);
    // the SDK's own retries get through a transient 500 too
    await h.control.setFaults([{ endpoint: 'POST /v1/transfers', serverErrorRate: 1, times: 1 }]);
    const retried = await h.client({ maxNetworkRetries: 2 }).transfers.create(params);
    expect(retried.amount).toBe(500);
    expect((await h.stripe.transfers.list()).data).toHaveLength(2);
  });

  it('injects 429s at a rate and latency from a distribution', async () => {
    await h.control.setFaults([
      { endpoint: 'GET /v1/balance', rateLimitRate: 1, times: 2, latency: { minMs: 80, maxMs: 120 } },
    ]);
    const first = await stripeError(h.stripe.balance.retrieve());
    expect(first).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    await stripeError(h.stripe.balance.retrieve());
    const started = performance.now();
    await h.stripe.balance.retrieve();
    expect(performance.now() - started).toBeGreaterThanOrEqual(75);
    const log = await h.control.requestLog({ path: '/v1/balance' });
    expect(log.map((e) => [e.status, e.fault])).toEqual([
      [429, 'rate_limit'],
      [429, 'rate_limit'],
      [200, null],
    ]);
    await h.control.clearFaults();
    expect(await h.control.listFaults()).toEqual([]);
  });

  it('ambiguous failure: the transfer is committed but the connection drops; the SDK retry is replayed', async () => {
    const a = await expressAccount(h, { verified: true });
    await h.control.setFaults([{ endpoint: 'POST /v1/transfers', ambiguousRate: 1, times: 1 }]);
    // stripe-node retries a closed connection once with the same Idempotency-Key, even with maxNetworkRetries: 0.
    const transfer = await h.stripe.transfers.create({ amount: 700, currency: 'usd', destination: a.id });
    expect(transfer.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect((await h.stripe.transfers.list()).data.map((t) => t.id)).toEqual([transfer.id]);
    const log = await h.control.requestLog({ path: '/v1/transfers', method: 'POST' });
    expect(log.map((e) => [e.fault, e.replayed])).toEqual([
      ['ambiguous', false],
      [null, true],
    ]);
    expect(log[0]?.idempotencyKey).toBe(log[1]?.idempotencyKey);
  });

  it('ambiguous failure seen by the caller: a retry with the same key finds the committed transfer', async () => {
    const a = await expressAccount(h, { verified: true });
    await h.control.setFaults([{ endpoint: 'POST /v1/transfers', ambiguousRate: 1, times: 2 }]);
    const params = { amount: 900, currency: 'usd', destination: a.id, transfer_group: 'payout_rec_7' };
    const err = await stripeError(h.stripe.transfers.create(params, { idempotencyKey: 'payout-rec-7' }));
    expect(err).toBeInstanceOf(Stripe.errors.StripeConnectionError);
    const committed = await h.stripe.transfers.list({ transfer_group: 'payout_rec_7' });
    expect(committed.data).toHaveLength(1);
    const retry = await h.stripe.transfers.create(params, { idempotencyKey: 'payout-rec-7' });
    expect(retry.id).toBe(committed.data[0]?.id);
    expect(retry.lastResponse.headers['idempotent-replayed']).toBe('true');
    const balance = await h.stripe.balance.retrieve({}, { stripeAccount: a.id });
    expect(balance.available[0]?.amount).toBe(900);
  });
});

describe('request log and clock', () => {
  it('records each API call with endpoint, status, account and idempotency key', async () => {
    const a = await expressAccount(h, { verified: true });
    await stripeError(h.stripe.transfers.retrieve('tr_missing'));
    await h.stripe.balance.retrieve({}, { stripeAccount: a.id });
    const log = await h.control.requestLog({ limit: 3 });
    expect(log.map((e) => [e.method, e.endpoint, e.status])).toEqual([
      ['GET', 'GET /v1/accounts/:id', 200],
      ['GET', 'GET /v1/transfers/:id', 404],
      ['GET', 'GET /v1/balance', 200],
    ]);
    expect(log[1]?.errorCode).toBe('resource_missing');
    expect(log[2]?.account).toBe(a.id);
    const create = await h.control.requestLog({ method: 'POST', path: '/v1/accounts' });
    expect(create[0]?.idempotencyKey).toMatch(/^stripe-node-retry-/);
  });

  it('advances emulator time for created timestamps', async () => {
    const before = await h.control.clock();
    const a = await expressAccount(h);
    await h.control.advanceClock(86_400);
    const b = await expressAccount(h);
    expect((b.created ?? 0) - (a.created ?? 0)).toBeGreaterThanOrEqual(86_400);
    expect((await h.control.clock()).offsetSeconds).toBe(86_400);
    expect(before.offsetSeconds).toBe(0);
  });
});
