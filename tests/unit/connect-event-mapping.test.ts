import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { toConnectEvent } from '#adapters/stripe/connect-event';
import { constructWebhookEvent } from '#adapters/stripe/construct-webhook-event';
import { type ConnectedPayout, type ConnectedPayoutStatus, supersedes } from '#core/connected-payout';
import { stripeEvent } from '#tests/stripe-event';

const event = stripeEvent;

describe('toConnectEvent', () => {
  it('maps account-shaped events to "account changed"', () => {
    expect(toConnectEvent(event('account.updated', { id: 'acct_1', object: 'account' }, 'acct_1'))).toMatchObject({
      kind: 'account_changed',
      accountId: 'acct_1',
      created: 1_700_000_000,
    });
    expect(toConnectEvent(event('capability.updated', { id: 'transfers', account: 'acct_2' }))).toMatchObject({
      kind: 'account_changed',
      accountId: 'acct_2',
    });
    expect(toConnectEvent(event('account.external_account.created', { id: 'ba_1' }, 'acct_3'))).toMatchObject({
      kind: 'account_changed',
      accountId: 'acct_3',
    });
  });

  it('maps deauthorization (the account is on the event, the object is the application)', () => {
    expect(
      toConnectEvent(event('account.application.deauthorized', { id: 'ca_1', object: 'application' }, 'acct_4')),
    ).toMatchObject({
      kind: 'deauthorized',
      accountId: 'acct_4',
    });
  });

  it('maps payouts of connected accounts only', () => {
    const payout = {
      id: 'po_1',
      object: 'payout',
      amount: 500,
      currency: 'usd',
      status: 'failed',
      arrival_date: 1,
      failure_code: 'account_closed',
      failure_message: 'closed',
    };
    expect(toConnectEvent(event('payout.failed', payout, 'acct_5'))).toMatchObject({
      kind: 'payout',
      accountId: 'acct_5',
      payout: { id: 'po_1', amount: 500, status: 'failed', failureCode: 'account_closed' },
    });
    expect(toConnectEvent(event('payout.paid', { ...payout, status: 'paid' }))).toMatchObject({ kind: 'ignored' });
    // The open stages are recorded too (reconciliation compares the open ones with Stripe's), and a cancellation.
    for (const [type, status, expected] of [
      ['payout.created', 'pending', 'pending'],
      ['payout.updated', 'in_transit', 'in_transit'],
      ['payout.canceled', 'canceled', 'canceled'],
      ['payout.canceled', 'pending', 'canceled'],
    ] as const) {
      expect(toConnectEvent(event(type, { ...payout, status }, 'acct_5')), type).toMatchObject({
        kind: 'payout',
        payout: { id: 'po_1', status: expected },
      });
    }
  });

  it('keeps the furthest stage of a payout when two events share a second; a newer event always wins', () => {
    const record = (status: ConnectedPayoutStatus, eventCreated = 100, eventId = `evt_${status}`): ConnectedPayout => ({
      id: 'po_1',
      partnerId: 'ptn_1',
      accountId: 'acct_1',
      amount: 500,
      currency: 'usd',
      status,
      arrivalDate: 200,
      failureCode: null,
      failureMessage: null,
      eventCreated,
      eventId,
      updatedAt: '2026-11-30T00:00:00.000Z',
    });
    expect(supersedes(record('paid'), record('pending'))).toBe(true);
    expect(supersedes(record('pending'), record('paid'))).toBe(false);
    expect(supersedes(record('in_transit'), record('pending'))).toBe(true);
    expect(supersedes(record('failed'), record('paid'))).toBe(true);
    expect(supersedes(record('paid'), record('failed'))).toBe(false);
    expect(supersedes(record('paid', 100, 'evt_other'), record('paid'))).toBe(false);
    expect(supersedes(record('pending', 101), record('paid'))).toBe(true);
    expect(supersedes(record('pending'), undefined)).toBe(true);
  });

  it('ignores everything else', () => {
    expect(toConnectEvent(event('charge.succeeded', { id: 'ch_1' }, 'acct_6'))).toMatchObject({
      kind: 'ignored',
      accountId: 'acct_6',
    });
  });
});

describe('constructWebhookEvent', () => {
  const secret = 'whsec_unit';
  const payload = JSON.stringify({ id: 'evt_sig', object: 'event', type: 'account.updated', data: { object: {} } });
  const code = async (p: Promise<unknown>) =>
    p.then(
      () => 'ok',
      (e: { code?: string }) => e.code,
    );

  it('accepts a valid signature and refuses a missing, wrong-secret or tampered one', async () => {
    const header = Stripe.webhooks.generateTestHeaderString({ payload, secret });
    expect((await constructWebhookEvent(payload, header, secret)).id).toBe('evt_sig');
    expect(await code(constructWebhookEvent(payload, undefined, secret))).toBe('missing_signature');
    expect(await code(constructWebhookEvent(payload, header, 'whsec_other'))).toBe('invalid_signature');
    expect(await code(constructWebhookEvent(payload.replace('evt_sig', 'evt_forged'), header, secret))).toBe(
      'invalid_signature',
    );
  });

  it('refuses a signature older than the tolerance (replay)', async () => {
    const header = Stripe.webhooks.generateTestHeaderString({
      payload,
      secret,
      timestamp: Math.floor(Date.now() / 1000) - 3600,
    });
    expect(await code(constructWebhookEvent(payload, header, secret))).toBe('invalid_signature');
  });
});
