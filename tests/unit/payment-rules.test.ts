import fc from 'fast-check';
import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { toPlatformEvent } from '#adapters/stripe/platform-event';
import { paymentView } from '#adapters/stripe/retrieve-payment';
import { CURRENCIES, MAXIMUM_CHARGE, platformFee } from '#core/money';
import type { Partner } from '#core/partner';
import {
  newPayment,
  orderLines,
  redirectOrigins,
  requireAllowedRedirect,
  requireCallerMetadata,
  requirePayee,
} from '#core/payment';

const active = {
  id: 'ptn_aaaaaaaaaaaaaaaaaaaaaaaa',
  status: 'active',
  stripeAccountId: 'acct_1',
  defaultCurrency: 'usd',
} as Partner;

describe('payment fees', () => {
  it('charges exactly platformFee and pays the partner the rest, at 3 %, 5 %, 20 % and any rate, for every chargeable amount', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...(Object.keys(CURRENCIES) as (keyof typeof CURRENCIES)[])),
        fc.oneof(fc.constantFrom(300, 500, 2_000), fc.integer({ min: 0, max: 10_000 })),
        fc.oneof(
          fc.constantFrom(50, 51, 149, 150, 9_999, MAXIMUM_CHARGE),
          fc.integer({ min: 50, max: MAXIMUM_CHARGE }),
        ),
        fc.option(fc.integer({ min: 0, max: 500 }), { nil: undefined }),
        (currency, bps, amount, minimumFee) => {
          const fee = minimumFee === undefined ? { bps } : { bps, minimumFee };
          const payment = newPayment({
            id: 'pay_x',
            kind: 'custom',
            orderId: null,
            payee: active as Partner & { stripeAccountId: string },
            customerSub: 'c',
            amount,
            currency,
            fee,
            description: 'd',
            metadata: {},
            at: '2026-01-01T00:00:00.000Z',
          });
          expect(payment.fee).toBe(platformFee(amount, fee));
          expect(payment.fee + payment.net).toBe(amount);
          expect(Number.isSafeInteger(payment.fee) && payment.fee >= 0 && payment.net >= 0).toBe(true);
          // Half up: 10 000 × fee is within 5 000 of amount × bps (unless the floor or the cap applies).
          if (minimumFee === undefined || payment.fee > minimumFee) {
            expect(Math.abs(payment.fee * 10_000 - amount * bps)).toBeLessThanOrEqual(5_000);
          }
        },
      ),
      { numRuns: 1_000 },
    );
  });
});

describe('payee and request rules', () => {
  it('requires an existing, active payee with a Stripe account, paid in its own currency', () => {
    expect(() => requirePayee(undefined, 'usd')).toThrow(expect.objectContaining({ code: 'payee_not_found' }));
    for (const status of ['not_set_up', 'pending_verification', 'restricted', 'disconnected'] as const) {
      expect(() => requirePayee({ ...active, status }, 'usd')).toThrow(
        expect.objectContaining({ code: 'partner_not_onboarded' }),
      );
    }
    expect(() => requirePayee({ ...active, stripeAccountId: null }, 'usd')).toThrow(
      expect.objectContaining({ code: 'partner_not_onboarded' }),
    );
    expect(() => requirePayee(active, 'eur')).toThrow(expect.objectContaining({ code: 'currency_mismatch' }));
    expect(requirePayee(active, 'usd').id).toBe(active.id);
  });

  it('allows redirects only to listed origins (scheme, host and port), never with credentials', () => {
    const origins = redirectOrigins([], ['', 'https://shop.example.com/app', 'http://localhost:3000']);
    expect(origins).toEqual(['https://shop.example.com', 'http://localhost:3000']);
    expect(redirectOrigins(['https://a.example/x'], ['https://b.example'])).toEqual(['https://a.example']);
    const ok = 'https://shop.example.com/thanks?session_id={CHECKOUT_SESSION_ID}';
    expect(requireAllowedRedirect(ok, origins, 'successUrl')).toBe(ok); // passed to Stripe unchanged
    for (const url of [
      'http://shop.example.com/thanks', // other scheme
      'https://shop.example.com:8443/', // other port
      'https://shop.example.com.evil.example/',
      'https://shop.example.com@evil.example/',
      'https://user:pw@shop.example.com/',
      'javascript:alert(1)',
      'data:text/html,hi',
      '//evil.example/',
      'not a url',
    ]) {
      expect(() => requireAllowedRedirect(url, origins, 'successUrl'), url).toThrow();
    }
  });

  it('checks line amounts and the order total against Stripe bounds, and keeps our metadata keys ours', () => {
    expect(orderLines([{ name: 'a', unitAmount: 250, quantity: 3 }], 'usd')).toEqual({
      items: [{ listingId: null, name: 'a', unitAmount: 250, quantity: 3, amount: 750 }],
      total: 750,
    });
    expect(() => orderLines([{ name: 'a', unitAmount: 10, quantity: 4 }], 'usd')).toThrow(/at least 50/);
    expect(() => orderLines([{ name: 'a', unitAmount: 60_000_000, quantity: 2 }], 'usd')).toThrow();
    expect(() =>
      orderLines(
        [
          { name: 'a', unitAmount: 60_000_000, quantity: 1 },
          { name: 'b', unitAmount: 60_000_000, quantity: 1 },
        ],
        'usd',
      ),
    ).toThrow(/at most/);
    expect(() => requireCallerMetadata({ orderId: 'x' })).toThrow(
      expect.objectContaining({ code: 'reserved_metadata_key' }),
    );
    expect(requireCallerMetadata({ job: '1' })).toEqual({ job: '1' });
  });
});

describe('platform events and Stripe views', () => {
  const event = (type: string, object: Record<string, unknown>, account?: string) =>
    ({ id: 'evt_1', type, created: 100, data: { object }, ...(account ? { account } : {}) }) as unknown as Stripe.Event;

  it('maps each handled type to the PaymentIntent or charge it concerns, and ignores the rest', () => {
    expect(toPlatformEvent(event('payment_intent.succeeded', { id: 'pi_1' }))).toMatchObject({
      kind: 'payment',
      paymentIntentId: 'pi_1',
    });
    expect(toPlatformEvent(event('checkout.session.completed', { id: 'cs_1', payment_intent: 'pi_2' }))).toMatchObject({
      kind: 'payment',
      paymentIntentId: 'pi_2',
    });
    expect(toPlatformEvent(event('checkout.session.completed', { id: 'cs_1', payment_intent: null })).kind).toBe(
      'ignored',
    );
    expect(toPlatformEvent(event('charge.refunded', { id: 'ch_1', payment_intent: 'pi_3' }))).toMatchObject({
      paymentIntentId: 'pi_3',
    });
    expect(toPlatformEvent(event('transfer.reversed', { id: 'tr_1', source_transaction: 'ch_9' }))).toMatchObject({
      kind: 'charge',
      chargeId: 'ch_9',
    });
    expect(toPlatformEvent(event('transfer.reversed', { id: 'tr_1', source_transaction: null })).kind).toBe('ignored');
    expect(
      toPlatformEvent(
        event('charge.dispute.created', {
          id: 'dp_1',
          charge: 'ch_1',
          payment_intent: 'pi_1',
          status: 'needs_response',
          amount: 5,
          reason: 'fraudulent',
        }),
      ),
    ).toMatchObject({ kind: 'dispute', dispute: { id: 'dp_1', status: 'needs_response', amount: 5 } });
    expect(toPlatformEvent(event('payment_intent.succeeded', { id: 'pi_1' }, 'acct_1')).kind).toBe('ignored');
    expect(toPlatformEvent(event('customer.created', { id: 'cus_1' })).kind).toBe('ignored');
  });

  it('reads a declined, a pending and a refunded PaymentIntent', () => {
    const intent = (fields: Record<string, unknown>) =>
      ({
        id: 'pi_1',
        amount: 1_000,
        currency: 'usd',
        metadata: { paymentId: 'pay_1' },
        transfer_data: { destination: 'acct_1' },
        description: null,
        last_payment_error: null,
        latest_charge: null,
        status: 'requires_payment_method',
        ...fields,
      }) as unknown as Stripe.PaymentIntent;
    expect(paymentView(intent({})).outcome).toBe('open');
    expect(
      paymentView(intent({ last_payment_error: { code: 'card_declined', decline_code: 'insufficient_funds' } })),
    ).toMatchObject({ outcome: 'failed', failureCode: 'insufficient_funds' });
    const refunded = paymentView(
      intent({
        status: 'succeeded',
        latest_charge: {
          id: 'ch_1',
          status: 'succeeded',
          created: 50,
          amount_captured: 1_000,
          amount_refunded: 400,
          application_fee_amount: 100,
          application_fee: { id: 'fee_1', amount: 100, amount_refunded: 40 },
          transfer: { id: 'tr_1', amount_reversed: 400 },
        },
      }),
    );
    expect(refunded).toMatchObject({
      outcome: 'succeeded',
      destination: 'acct_1',
      chargeId: 'ch_1',
      chargeCreated: 50,
      amountRefunded: 400,
      applicationFee: 100,
      applicationFeeRefunded: 40,
      transferReversed: 400,
    });
  });
});
