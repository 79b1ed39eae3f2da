import { describe, expect, it } from 'vitest';
import { PLATFORM_EVENT_TYPES, toPlatformEvent } from '#adapters/stripe/platform-event';
import type { PlatformEvent, PlatformEventKind } from '#core/platform-events';
import { stripeEvent } from '#tests/stripe-event';

const event = stripeEvent;

const base = { id: 'evt_1', created: 1_700_000_000 };

/** A payout run transfer: no source charge, our payout's ids in its metadata, `amount_reversed` cumulative. */
const payoutTransfer = {
  id: 'tr_payout',
  object: 'transfer',
  amount: 5_000,
  amount_reversed: 1_200,
  source_transaction: null,
  metadata: { payoutId: 'po_ptn_1_2026-11_usd', partnerId: 'ptn_1', period: '2026-11' },
};

/** Every subscribed type, with an object of its shape, and the domain event the mapper must make of it. */
const CASES: ReadonlyArray<[type: (typeof PLATFORM_EVENT_TYPES)[number], object: object, expected: PlatformEvent]> = [
  [
    'payment_intent.succeeded',
    { id: 'pi_1', object: 'payment_intent' },
    { ...base, type: 'payment_intent.succeeded', kind: 'payment', paymentIntentId: 'pi_1' },
  ],
  [
    'payment_intent.payment_failed',
    { id: 'pi_2', object: 'payment_intent' },
    { ...base, type: 'payment_intent.payment_failed', kind: 'payment', paymentIntentId: 'pi_2' },
  ],
  [
    'payment_intent.canceled',
    { id: 'pi_3', object: 'payment_intent' },
    { ...base, type: 'payment_intent.canceled', kind: 'payment', paymentIntentId: 'pi_3' },
  ],
  [
    'checkout.session.completed',
    { id: 'cs_1', object: 'checkout.session', payment_intent: 'pi_4' },
    { ...base, type: 'checkout.session.completed', kind: 'payment', paymentIntentId: 'pi_4' },
  ],
  [
    'checkout.session.async_payment_succeeded',
    { id: 'cs_2', object: 'checkout.session', payment_intent: { id: 'pi_5', object: 'payment_intent' } },
    { ...base, type: 'checkout.session.async_payment_succeeded', kind: 'payment', paymentIntentId: 'pi_5' },
  ],
  [
    'checkout.session.async_payment_failed',
    { id: 'cs_3', object: 'checkout.session', payment_intent: 'pi_6' },
    { ...base, type: 'checkout.session.async_payment_failed', kind: 'payment', paymentIntentId: 'pi_6' },
  ],
  [
    'checkout.session.expired',
    { id: 'cs_4', object: 'checkout.session', payment_intent: null },
    { ...base, type: 'checkout.session.expired', kind: 'checkout_expired', sessionId: 'cs_4' },
  ],
  [
    'charge.refunded',
    { id: 'ch_1', object: 'charge', payment_intent: 'pi_7' },
    { ...base, type: 'charge.refunded', kind: 'payment', paymentIntentId: 'pi_7' },
  ],
  [
    'charge.dispute.created',
    { id: 'dp_1', object: 'dispute', charge: 'ch_2', payment_intent: 'pi_8', status: 'needs_response', amount: 700 },
    {
      ...base,
      type: 'charge.dispute.created',
      kind: 'dispute',
      paymentIntentId: 'pi_8',
      chargeId: 'ch_2',
      dispute: { id: 'dp_1', status: 'needs_response', reason: null, amount: 700 },
    },
  ],
  [
    'charge.dispute.updated',
    {
      id: 'dp_2',
      object: 'dispute',
      charge: { id: 'ch_3', object: 'charge' },
      payment_intent: null,
      status: 'under_review',
      reason: 'fraudulent',
      amount: 800,
    },
    {
      ...base,
      type: 'charge.dispute.updated',
      kind: 'dispute',
      paymentIntentId: null,
      chargeId: 'ch_3',
      dispute: { id: 'dp_2', status: 'under_review', reason: 'fraudulent', amount: 800 },
    },
  ],
  [
    'charge.dispute.closed',
    {
      id: 'dp_3',
      object: 'dispute',
      charge: 'ch_4',
      payment_intent: 'pi_9',
      status: 'lost',
      reason: 'general',
      amount: 9,
    },
    {
      ...base,
      type: 'charge.dispute.closed',
      kind: 'dispute',
      paymentIntentId: 'pi_9',
      chargeId: 'ch_4',
      dispute: { id: 'dp_3', status: 'lost', reason: 'general', amount: 9 },
    },
  ],
  [
    'transfer.reversed',
    { ...payoutTransfer, id: 'tr_1', source_transaction: 'ch_5', metadata: {} },
    { ...base, type: 'transfer.reversed', kind: 'charge', chargeId: 'ch_5' },
  ],
  [
    'transfer.reversed',
    payoutTransfer,
    {
      ...base,
      type: 'transfer.reversed',
      kind: 'transfer_payout_reversed',
      partnerId: 'ptn_1',
      payoutId: 'po_ptn_1_2026-11_usd',
      transferId: 'tr_payout',
      amountReversed: 1_200,
    },
  ],
  [
    'balance.available',
    { object: 'balance', available: [{ amount: 100, currency: 'usd' }] },
    { ...base, type: 'balance.available', kind: 'funds_available' },
  ],
];

/** Every kind of domain event; a new kind fails to compile here until it is listed (and mapped below). */
const KINDS: Record<PlatformEventKind, true> = {
  payment: true,
  charge: true,
  dispute: true,
  checkout_expired: true,
  funds_available: true,
  transfer_payout_reversed: true,
  ignored: true,
};

describe('toPlatformEvent: each platform event type becomes one typed domain event', () => {
  it.each(CASES.map(([type, object, expected], index) => ({ name: `${index} ${type}`, type, object, expected })))(
    '$name → $expected.kind',
    ({ type, object, expected }) => {
      expect(toPlatformEvent(event(type, object as Record<string, unknown>))).toEqual(expected);
    },
  );

  it('covers every subscribed type and makes every kind but `ignored`', () => {
    expect(new Set(CASES.map(([type]) => type))).toEqual(new Set(PLATFORM_EVENT_TYPES));
    const made = new Set(CASES.map(([, , expected]) => expected.kind));
    expect([...made].sort()).toEqual(
      Object.keys(KINDS)
        .filter((kind) => kind !== 'ignored')
        .sort(),
    );
  });

  it('a reversed transfer with neither a source charge nor our payout ids is ignored', () => {
    const bare = { ...payoutTransfer, metadata: {} };
    expect(toPlatformEvent(event('transfer.reversed', bare)).kind).toBe('ignored');
    expect(toPlatformEvent(event('transfer.reversed', { ...bare, metadata: { payoutId: 'po_1' } })).kind).toBe(
      'ignored',
    );
    expect(toPlatformEvent(event('transfer.reversed', { ...bare, metadata: { partnerId: 'ptn_1' } })).kind).toBe(
      'ignored',
    );
    // A transfer with a source charge is a destination-charge transfer, whatever its metadata says.
    expect(toPlatformEvent(event('transfer.reversed', { ...payoutTransfer, source_transaction: 'ch_1' }))).toEqual({
      ...base,
      type: 'transfer.reversed',
      kind: 'charge',
      chargeId: 'ch_1',
    });
  });

  it('a Checkout Session that completed without a PaymentIntent is ignored', () => {
    const session = { id: 'cs_1', object: 'checkout.session', payment_intent: null };
    expect(toPlatformEvent(event('checkout.session.completed', session)).kind).toBe('ignored');
  });

  it('a refund of a charge without a PaymentIntent names the charge', () => {
    expect(toPlatformEvent(event('charge.refunded', { id: 'ch_9', payment_intent: null }))).toEqual({
      ...base,
      type: 'charge.refunded',
      kind: 'charge',
      chargeId: 'ch_9',
    });
  });

  it('events of connected accounts are ignored, whatever their type (they belong to the Connect endpoint)', () => {
    for (const [type, object] of CASES) {
      expect(toPlatformEvent(event(type, object as Record<string, unknown>, 'acct_1')), type).toEqual({
        ...base,
        type,
        kind: 'ignored',
      });
    }
  });

  it('unknown and unsubscribed types are ignored, as before', () => {
    for (const type of ['customer.created', 'charge.succeeded', 'transfer.created', 'payout.paid', 'made.up']) {
      expect(toPlatformEvent(event(type, { id: 'obj_1' })), type).toEqual({ ...base, type, kind: 'ignored' });
    }
  });
});
