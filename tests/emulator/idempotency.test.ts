import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expressAccount, type Harness, startHarness, stripeError } from './harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());
beforeEach(() => h.control.reset());

describe('idempotency', () => {
  it('replays the first response with Idempotent-Replayed: true and creates nothing twice', async () => {
    const a = await expressAccount(h, { verified: true });
    await h.control.fundBalance({ amount: 10_000, currency: 'usd' });
    const params: Stripe.TransferCreateParams = {
      amount: 1000,
      currency: 'usd',
      destination: a.id,
      metadata: { run: 'r1' },
    };
    const first = await h.stripe.transfers.create(params, { idempotencyKey: 'payout-rec-1' });
    const second = await h.stripe.transfers.create(params, { idempotencyKey: 'payout-rec-1' });
    expect(second.id).toBe(first.id);
    expect(first.lastResponse.headers['idempotent-replayed']).toBeUndefined();
    expect(second.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(second.lastResponse.headers['original-request']).toBe(first.lastResponse.requestId);
    expect(second.lastResponse.requestId).not.toBe(first.lastResponse.requestId);
    expect((await h.stripe.transfers.list()).data).toHaveLength(1);
    expect(await h.stripe.balance.retrieve().then((b) => b.available[0]?.amount)).toBe(9000);
  });

  it('answers 400 idempotency_error when the same key comes with different parameters or endpoint', async () => {
    const a = await expressAccount(h, { verified: true });
    await h.control.fundBalance({ amount: 10_000, currency: 'usd' });
    await h.stripe.transfers.create({ amount: 1000, currency: 'usd', destination: a.id }, { idempotencyKey: 'k1' });
    const err = await stripeError(
      h.stripe.transfers.create({ amount: 2000, currency: 'usd', destination: a.id }, { idempotencyKey: 'k1' }),
    );
    expect(err).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect([err.statusCode, err.rawType]).toEqual([400, 'idempotency_error']);
    expect(err.message).toBe(
      "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than 'k1' if you meant to execute a different request.",
    );
    const other = await stripeError(
      h.stripe.paymentIntents.create({ amount: 1000, currency: 'usd' }, { idempotencyKey: 'k1' }),
    );
    expect(other.rawType).toBe('idempotency_error');
    expect(other.message).toContain('same endpoint');
  });

  it('stores errors too: a retry replays balance_insufficient even after funding', async () => {
    const a = await expressAccount(h, { verified: true });
    const params = { amount: 5000, currency: 'usd', destination: a.id };
    const first = await stripeError(h.stripe.transfers.create(params, { idempotencyKey: 'k-err' }));
    expect(first.code).toBe('balance_insufficient');
    await h.control.fundBalance({ amount: 10_000, currency: 'usd' });
    const replay = await stripeError(h.stripe.transfers.create(params, { idempotencyKey: 'k-err' }));
    expect(replay.code).toBe('balance_insufficient');
    expect(replay.headers?.['idempotent-replayed']).toBe('true');
    const fresh = await h.stripe.transfers.create(params, { idempotencyKey: 'k-err-2' });
    expect(fresh.amount).toBe(5000);
  });

  it('scopes keys per account and expires them after 24 hours of emulator time', async () => {
    const a = await expressAccount(h, { verified: true });
    const b = await expressAccount(h, { verified: true });
    await h.control.fundBalance({ amount: 10_000, currency: 'usd', account: a.id });
    await h.control.fundBalance({ amount: 10_000, currency: 'usd', account: b.id });
    const pa = await h.stripe.payouts.create(
      { amount: 100, currency: 'usd' },
      { stripeAccount: a.id, idempotencyKey: 'same' },
    );
    const pb = await h.stripe.payouts.create(
      { amount: 100, currency: 'usd' },
      { stripeAccount: b.id, idempotencyKey: 'same' },
    );
    expect(pb.id).not.toBe(pa.id);
    expect(pb.lastResponse.headers['idempotent-replayed']).toBeUndefined();

    await h.control.advanceClock(23 * 3600);
    const replay = await h.stripe.payouts.create(
      { amount: 100, currency: 'usd' },
      { stripeAccount: a.id, idempotencyKey: 'same' },
    );
    expect(replay.id).toBe(pa.id);
    await h.control.advanceClock(2 * 3600);
    const expired = await h.stripe.payouts.create(
      { amount: 100, currency: 'usd' },
      { stripeAccount: a.id, idempotencyKey: 'same' },
    );
    expect(expired.id).not.toBe(pa.id);
  });

  it('answers 409 while a request with the same key is still in progress', async () => {
    const a = await expressAccount(h, { verified: true });
    await h.control.fundBalance({ amount: 10_000, currency: 'usd' });
    await h.control.setFaults([{ endpoint: 'POST /v1/transfers', latency: { minMs: 500, maxMs: 500 } }]);
    const params = { amount: 100, currency: 'usd', destination: a.id };
    const slow = h.stripe.transfers.create(params, { idempotencyKey: 'busy' });
    await new Promise((r) => setTimeout(r, 150));
    const err = await stripeError(h.stripe.transfers.create(params, { idempotencyKey: 'busy' }));
    expect([err.statusCode, err.rawType]).toEqual([409, 'idempotency_error']);
    expect((await slow).amount).toBe(100);
  });
});
