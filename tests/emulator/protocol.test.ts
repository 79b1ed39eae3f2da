import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expressAccount, type Harness, startHarness, stripeError } from './harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ initialBalance: [{ currency: 'usd', amount: 1_000_000 }] });
});
afterAll(() => h.close());
beforeEach(() => h.control.reset());

describe('authentication', () => {
  it('rejects a key that is not a test secret key with a 401 in Stripe’s shape', async () => {
    // Built at run time from an obvious placeholder, so no scanner mistakes it for a real live key.
    const liveShapedKey = ['sk', 'live', 'placeholder0000mnop'].join('_');
    const err = await stripeError(h.client({}, liveShapedKey).balance.retrieve());
    expect(err).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    expect(err.statusCode).toBe(401);
    expect(err.rawType).toBe('invalid_request_error');
    expect(err.message).toMatch(/^Invalid API Key provided: sk_live_\*+mnop$/);
    expect(err.requestId).toMatch(/^req_/);
  });

  it('refuses a Stripe-Account header naming an account the platform cannot access', async () => {
    const err = await stripeError(h.stripe.balance.retrieve({}, { stripeAccount: 'acct_notmine' }));
    expect(err).toBeInstanceOf(Stripe.errors.StripePermissionError);
    expect([err.statusCode, err.code]).toEqual([403, 'account_invalid']);
    expect(err.message).toContain("does not have access to account 'acct_notmine'");
    const account = await expressAccount(h);
    const own = await h.stripe.accounts.retrieveCurrent({}, { stripeAccount: account.id });
    expect(own.id).toBe(account.id);
    const platform = await h.stripe.accounts.retrieveCurrent();
    expect(platform.id).toMatch(/^acct_/);
    expect(platform.id).not.toBe(account.id);
  });

  it('accepts any sk_test_ key and answers with request-id and Stripe-Version headers', async () => {
    const balance = await h.client({}, 'sk_test_another_key').balance.retrieve();
    expect(balance.object).toBe('balance');
    expect(balance.lastResponse.requestId).toMatch(/^req_[A-Za-z0-9]{14}$/);
    expect(balance.lastResponse.apiVersion).toBe(Stripe.API_VERSION);
  });
});

describe('errors', () => {
  it('answers an unimplemented endpoint with 404 naming the emulator', async () => {
    const err = await stripeError(h.stripe.customers.list());
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err.statusCode).toBe(404);
    expect(err.message).toContain('Unrecognized request URL (GET: /v1/customers)');
    expect(err.message).toContain('Stripe emulator');
  });

  it('rejects unknown parameters, naming them (nested too)', async () => {
    const account = await expressAccount(h, { verified: true });
    const top = await stripeError(
      h.stripe.transfers.create({
        amount: 100,
        currency: 'usd',
        destination: account.id,
        colour: 'blue',
      } as Stripe.TransferCreateParams),
    );
    expect(top.code).toBe('parameter_unknown');
    expect(top.param).toBe('colour');
    expect(top.message).toBe('Received unknown parameter: colour');
    const nested = await stripeError(
      h.stripe.paymentIntents.create({
        amount: 1000,
        currency: 'usd',
        transfer_data: { destination: account.id, bogus: 'x' } as Stripe.PaymentIntentCreateParams.TransferData,
      }),
    );
    expect(nested.param).toBe('transfer_data[bogus]');
  });

  it('rejects missing and ill-typed parameters', async () => {
    const account = await expressAccount(h, { verified: true });
    const missing = await stripeError(
      h.stripe.transfers.create({ currency: 'usd', destination: account.id } as Stripe.TransferCreateParams),
    );
    expect([missing.code, missing.param, missing.message]).toEqual([
      'parameter_missing',
      'amount',
      'Missing required param: amount.',
    ]);
    const notInteger = await stripeError(
      h.stripe.transfers.create({ amount: 10.5, currency: 'usd', destination: account.id }),
    );
    expect([notInteger.code, notInteger.param, notInteger.message]).toEqual([
      'parameter_invalid_integer',
      'amount',
      'Invalid integer: 10.5',
    ]);
    const zero = await stripeError(h.stripe.transfers.create({ amount: 0, currency: 'usd', destination: account.id }));
    expect(zero.message).toBe('This value must be greater than or equal to 1.');
    const negative = await stripeError(
      h.stripe.transfers.create({ amount: -5, currency: 'usd', destination: account.id }),
    );
    expect(negative.param).toBe('amount');
  });

  it('rejects unsupported currencies and charges under the currency minimum', async () => {
    const account = await expressAccount(h, { verified: true });
    const currency = await stripeError(
      h.stripe.transfers.create({ amount: 100, currency: 'xyz', destination: account.id }),
    );
    expect(currency.param).toBe('currency');
    expect(currency.message).toMatch(/^Invalid currency: xyz/);
    const small = await stripeError(h.stripe.paymentIntents.create({ amount: 49, currency: 'usd' }));
    expect([small.code, small.message]).toEqual(['amount_too_small', 'Amount must be at least $0.50 usd']);
    const gbp = await stripeError(h.stripe.paymentIntents.create({ amount: 29, currency: 'gbp' }));
    expect(gbp.message).toBe('Amount must be at least £0.30 gbp');
    // JPY is zero-decimal: 50 means ¥50.
    const jpy = await h.stripe.paymentIntents.create({ amount: 50, currency: 'jpy' });
    expect(jpy.amount).toBe(50);
    const jpySmall = await stripeError(h.stripe.paymentIntents.create({ amount: 49, currency: 'jpy' }));
    expect(jpySmall.message).toBe('Amount must be at least ¥50 jpy');
  });

  it('answers resource_missing with 404 for an unknown id', async () => {
    const err = await stripeError(h.stripe.transfers.retrieve('tr_doesnotexist'));
    expect([err.statusCode, err.code, err.param, err.message]).toEqual([
      404,
      'resource_missing',
      'id',
      "No such transfer: 'tr_doesnotexist'",
    ]);
  });
});

describe('encoding', () => {
  it('decodes nested bracket syntax, arrays of hashes and metadata, and expands ids', async () => {
    const account = await expressAccount(h, { verified: true });
    const session = await h.stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [
        { quantity: 2, price_data: { currency: 'eur', unit_amount: 1250, product_data: { name: 'Widget' } } },
        { quantity: 1, price_data: { currency: 'eur', unit_amount: 500, product_data: { name: 'Gadget' } } },
      ],
      payment_intent_data: {
        application_fee_amount: 300,
        transfer_data: { destination: account.id },
        metadata: { order: 'o_1' },
      },
      success_url: 'https://platform.example/ok?session={CHECKOUT_SESSION_ID}',
      cancel_url: 'https://platform.example/cancel',
      metadata: { 'key with spaces': 'value & more=1' },
    });
    expect(session.amount_total).toBe(3000);
    expect(session.currency).toBe('eur');
    expect(session.metadata).toEqual({ 'key with spaces': 'value & more=1' });
    const items = await h.stripe.checkout.sessions.listLineItems(session.id);
    expect(items.data.map((i) => [i.description, i.quantity, i.amount_total])).toEqual([
      ['Widget', 2, 2500],
      ['Gadget', 1, 500],
    ]);

    const transfer = await h.stripe.transfers.create({ amount: 700, currency: 'usd', destination: account.id });
    const expanded = await h.stripe.transfers.retrieve(transfer.id, { expand: ['destination'] });
    expect(typeof expanded.destination).toBe('object');
    expect((expanded.destination as Stripe.Account).id).toBe(account.id);
    const list = await h.stripe.transfers.list({ expand: ['data.destination'] });
    const firstDestination = list.data[0]?.destination as Stripe.Account | undefined;
    expect(firstDestination?.object).toBe('account');
    const bad = await stripeError(h.stripe.transfers.retrieve(transfer.id, { expand: ['nonsense'] }));
    expect(bad.message).toBe('This property cannot be expanded (nonsense).');
  });

  it('lists with limit/starting_after/ending_before/has_more so auto-pagination walks every object', async () => {
    const account = await expressAccount(h, { verified: true });
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      ids.push((await h.stripe.transfers.create({ amount: 100 + i, currency: 'usd', destination: account.id })).id);
    }
    const newestFirst = [...ids].reverse();
    const first = await h.stripe.transfers.list({ limit: 10 });
    expect(first.object).toBe('list');
    expect(first.url).toBe('/v1/transfers');
    expect(first.has_more).toBe(true);
    expect(first.data.map((t) => t.id)).toEqual(newestFirst.slice(0, 10));
    const second = await h.stripe.transfers.list({ limit: 10, starting_after: first.data[9]?.id });
    expect(second.data.map((t) => t.id)).toEqual(newestFirst.slice(10, 20));
    const back = await h.stripe.transfers.list({ limit: 5, ending_before: second.data[0]?.id });
    expect(back.data.map((t) => t.id)).toEqual(newestFirst.slice(5, 10));
    expect(back.has_more).toBe(true);

    const all: string[] = [];
    for await (const t of h.stripe.transfers.list({ limit: 7 })) all.push(t.id);
    expect(all).toEqual(newestFirst);
    const reversed = await h.stripe.transfers
      .list({ limit: 4, ending_before: newestFirst[20] })
      .autoPagingToArray({ limit: 100 });
    expect(reversed.map((t) => t.id)).toEqual(newestFirst.slice(0, 20).reverse());

    const tooMany = await stripeError(h.stripe.transfers.list({ limit: 101 }));
    expect(tooMany.param).toBe('limit');
  });
});
