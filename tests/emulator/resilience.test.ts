import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
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

describe('rate limiting', () => {
  it('defaults to 25 requests/second like test mode and answers 429 in Stripe’s shape', async () => {
    const limited = await startHarness({ rateLimitPerSecond: undefined });
    try {
      const { ok, limited: errors } = await settle(Array.from({ length: 40 }, () => limited.stripe.balance.retrieve()));
      // 25 of burst, plus whatever the bucket refilled while the burst was in flight
      expect(ok).toBeGreaterThanOrEqual(25);
      expect(ok).toBeLessThanOrEqual(32);
      expect(errors.length).toBe(40 - ok);
      const err = errors[0] as Stripe.errors.StripeError;
      expect(err).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
      expect([err.statusCode, err.code, err.rawType]).toEqual([429, 'rate_limit', 'invalid_request_error']);
      expect(err.headers?.['stripe-rate-limited-reason']).toBe('global-rate');
      expect(err.requestId).toMatch(/^req_/);
      await new Promise((r) => setTimeout(r, 1100));
      expect((await limited.stripe.balance.retrieve()).object).toBe('balance');
    } finally {
      await limited.close();
    }
  });

  it('limits a single endpoint without touching the others, and can be raised to live-mode 100', async () => {
    const a = await expressAccount(h, { verified: true });
    await h.control.setRateLimit({ global: 100, endpoints: { 'POST /v1/transfers': 2 } });
    const transfers = await settle(
      Array.from({ length: 4 }, () => h.stripe.transfers.create({ amount: 100, currency: 'usd', destination: a.id })),
    );
    expect(transfers.ok).toBeGreaterThanOrEqual(2);
    expect(transfers.ok).toBeLessThanOrEqual(3);
    expect((transfers.limited[0] as Stripe.errors.StripeError).headers?.['stripe-rate-limited-reason']).toBe(
      'endpoint-rate',
    );
    const reads = await settle(Array.from({ length: 20 }, () => h.stripe.balance.retrieve()));
    expect(reads.ok).toBe(20);
    const log = await h.control.requestLog({ path: '/v1/transfers' });
    expect(log.filter((e) => e.rateLimited === 'endpoint-rate')).toHaveLength(4 - transfers.ok);
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
