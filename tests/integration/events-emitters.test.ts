import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoPayoutStore } from '#adapters/dynamodb/payout-store';
import { domainEvent } from '#core/domain-events';
import { planPage, sendPayout, startRun as startRunCore } from '#core/payouts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '#local/dynamodb';
import { connectStatus, eventsOf, postConnectWebhook } from '#tests/connect';
import {
  eventReceiver,
  eventsOfPartner,
  expectPublishedAndDelivered,
  type StoredEvent,
  waitForMail,
} from '#tests/event-receiver';
import { api, stackInfo } from '#tests/local';
import {
  activePayee,
  admin,
  deliverWebhooks,
  disputedPayment,
  emulator,
  eventually,
  platformEvents,
  postPlatformWebhook,
  reissue,
  stripeSdk,
} from '#tests/payments';
import { freshPeriod, inProcessDeps, recordHeld, settledRun, startRun } from '#tests/payouts';
import { snapshotTable } from '#tests/table-snapshot';

/**
 * The emitters: each change writes its event in its own transaction (the outbox), so the event exists exactly when
 * the change committed — once, whatever is replayed — and it reaches the platform's endpoint through the stream and
 * the bus, signed. A change refused or left unwritten writes no event.
 */
const TYPES = [
  'partner.status_changed',
  'partner.action_required',
  'payout.failed',
  'payment.disputed',
  'payment.dispute_closed',
  'earning.recorded',
  'payout_run.completed',
];

const documents = () =>
  DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: stackInfo().dynamoEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }),
  );

describe('domain event emitters', () => {
  const hooks = eventReceiver();
  let ops = '';
  let endpoint = { id: '', secret: '' };

  const ofType = async (partnerId: string, type: string) => eventsOfPartner(ops, partnerId, type);
  const oneOf = async (partnerId: string, type: string, match: (e: StoredEvent) => boolean = () => true) =>
    (
      await eventually(
        () => ofType(partnerId, type),
        (events) => events.some(match),
        20_000,
      )
    ).filter(match);

  beforeAll(async () => {
    await hooks.start();
    ops = (await admin()).idToken;
    const created = await api<{ id: string; secret: string }>('POST', '/admin/webhook-endpoints', {
      token: ops,
      body: { url: hooks.url('/emitters'), eventTypes: TYPES },
    });
    expect(created.status, created.text).toBe(201);
    endpoint = created.body;
  });
  afterAll(async () => {
    await api('DELETE', `/admin/webhook-endpoints/${endpoint.id}`, { token: ops });
    await hooks.close();
  });

  it('partner.status_changed with onboarding and partner.action_required with Stripe’s deadline; an unchanged sync writes none', async () => {
    const payee = await activePayee('ev-partner');
    const [active] = await oneOf(payee.partnerId, 'partner.status_changed', (e) => e.data.to === 'active');
    expect(active).toMatchObject({ partnerId: payee.partnerId, data: { partnerId: payee.partnerId, to: 'active' } });
    await expectPublishedAndDelivered(hooks, '/emitters', active?.id ?? '', endpoint.secret);
    const welcome = await waitForMail(payee.email, (m) => m.subject.startsWith("You're all set"));
    expect(welcome.text).toContain('Local Platform');

    // Re-reading the same account from Stripe changes nothing: no new event of either type.
    const before = (await ofType(payee.partnerId, 'partner.status_changed')).length;
    expect((await connectStatus(payee.idToken, undefined, true)).status).toBe(200);
    expect(await ofType(payee.partnerId, 'partner.status_changed')).toHaveLength(before);
    expect(await ofType(payee.partnerId, 'partner.action_required')).toEqual([]);

    // Stripe asks for a document within five days: one event with the fields and the deadline, and the email.
    const { now } = await emulator().clock();
    await emulator().setAccountState(payee.accountId, 'restricted_soon', {
      requirements: ['individual.verification.document'],
      deadlineInSeconds: 5 * 86_400,
    });
    await deliverWebhooks();
    const [asked] = await oneOf(payee.partnerId, 'partner.action_required');
    expect(asked?.data).toMatchObject({
      kind: 'due',
      fields: expect.arrayContaining(['individual.verification.document']),
    });
    // Stripe's deadline, as the emulator's clock set it (it may tick between our read of it and the change).
    const deadline = Date.parse(String(asked?.data.deadline)) / 1000;
    expect(deadline).toBeGreaterThanOrEqual(now + 5 * 86_400);
    expect(deadline).toBeLessThan(now + 5 * 86_400 + 30);
    await expectPublishedAndDelivered(hooks, '/emitters', asked?.id ?? '', endpoint.secret);
    const mail = await waitForMail(payee.email, (m) => m.subject.startsWith('Action needed'));
    expect(mail.text).toContain(`by ${asked?.data.deadline?.toString().slice(0, 10)}`);
    // Stripe sends the account's event again: the same requirements read again write no second event.
    const [updated] = (await eventsOf(payee.accountId, 'account.updated')).slice(-1);
    expect((await postConnectWebhook(reissue(updated as Stripe.Event))).status).toBe(200);
    expect(await ofType(payee.partnerId, 'partner.action_required')).toHaveLength(1);
  });

  it('payout.failed when the bank payout fails, once, with the partner told what to do; a blocked event blocks the change', async () => {
    const payee = await activePayee('ev-bank');
    await emulator().fundBalance({ amount: 9_000, currency: 'usd', account: payee.accountId });
    const payout = await stripeSdk().payouts.create(
      { amount: 3_100, currency: 'usd' },
      { stripeAccount: payee.accountId },
    );
    await emulator().payoutFailed(payout.id, 'account_closed');
    await deliverWebhooks();
    const [failed] = await oneOf(payee.partnerId, 'payout.failed');
    expect(failed?.data).toMatchObject({
      payoutId: payout.id,
      period: null,
      stage: 'bank_payout',
      amount: 3_100,
      currency: 'usd',
      reason: 'account_closed',
    });
    await expectPublishedAndDelivered(hooks, '/emitters', failed?.id ?? '', endpoint.secret);
    const mail = await waitForMail(payee.email, (m) => m.subject.includes('did not go through'));
    expect(mail.subject).toContain('$31.00');
    expect(mail.text).toContain('The bank account is closed. Add a new bank account');
    // Stripe delivers the event again: no second event.
    const [stripeEvent] = await eventsOf(payee.accountId, 'payout.failed');
    expect((await postConnectWebhook(reissue(stripeEvent as Stripe.Event))).status).toBe(200);
    expect(await ofType(payee.partnerId, 'payout.failed')).toHaveLength(1);

    // The next failure's event key is taken: the record does not change either; freed, the same event converges.
    const second = await stripeSdk().payouts.create(
      { amount: 1_200, currency: 'usd' },
      { stripeAccount: payee.accountId },
    );
    await emulator().payoutPaid(second.id);
    await deliverWebhooks();
    const blockedId = domainEvent('payout.failed', `${second.id}:failed`, {} as never, new Date(), null).id;
    const key = { PK: `DOMAIN_EVENT#${blockedId}`, SK: 'EVENT' };
    await documents().send(new PutCommand({ TableName: stackInfo().tableName, Item: { ...key, entity: 'blocker' } }));
    await emulator().payoutFailed(second.id, 'no_account');
    await deliverWebhooks();
    const statusOf = async () =>
      (
        await api<{ payouts: { id: string; status: string }[] }>('GET', '/connect/payouts', { token: payee.idToken })
      ).body.payouts.find((p) => p.id === second.id)?.status;
    expect(await statusOf()).toBe('paid');
    await documents().send(new DeleteCommand({ TableName: stackInfo().tableName, Key: key }));
    const failedEvent = (await eventsOf(payee.accountId, 'payout.failed')).find(
      (e) => (e.data.object as Stripe.Payout).id === second.id,
    );
    expect((await postConnectWebhook(reissue(failedEvent as Stripe.Event))).status).toBe(200);
    expect(await statusOf()).toBe('failed');
    await oneOf(payee.partnerId, 'payout.failed', (e) => e.data.payoutId === second.id);
  });

  it('payout.failed when Stripe refuses a monthly payout’s transfer, with the failed payout', async () => {
    const payee = await activePayee('ev-refused');
    const { period, inside } = await freshPeriod();
    await recordHeld(payee.partnerId, 2_200, inside);
    const { deps, queued, plans } = await inProcessDeps();
    const refusing = {
      ...deps,
      transfers: {
        ...deps.transfers,
        create: async () => ({ kind: 'rejected' as const, message: 'Invalid destination' }),
      },
    };
    await startRunCore(refusing, { period, startedBy: 'test' });
    await planPage(refusing, plans[0]?.runId ?? '', null);
    const ref = queued.find((r) => r.payoutId.startsWith(`po_${period}_`));
    expect(ref).toBeDefined();
    expect(await sendPayout(refusing, ref as { partnerId: string; payoutId: string })).toBe('failed');
    expect((await dynamoPayoutStore.getPayout(payee.partnerId, ref?.payoutId ?? ''))?.status).toBe('failed');
    const [failed] = await oneOf(payee.partnerId, 'payout.failed');
    expect(failed?.data).toMatchObject({ payoutId: ref?.payoutId, period, stage: 'transfer', amount: 2_200 });
    await expectPublishedAndDelivered(hooks, '/emitters', failed?.id ?? '', endpoint.secret);
    // Sent again (a redelivery), the payout is done: nothing new.
    expect(await sendPayout(refusing, ref as { partnerId: string; payoutId: string })).toBe('already_done');
    expect(await ofType(payee.partnerId, 'payout.failed')).toHaveLength(1);
  });

  it('payment.disputed and payment.dispute_closed, once each, whatever Stripe replays', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const { payee, paymentId, dispute } = await disputedPayment('ev-dispute', 6_000, 'Disputed with events');
    const [opened] = await oneOf(payee.partnerId, 'payment.disputed');
    expect(opened?.data).toMatchObject({
      paymentId,
      disputeId: dispute?.id,
      amount: 6_000,
      currency: 'usd',
      status: 'needs_response',
    });
    expect(await ofType(payee.partnerId, 'payment.dispute_closed')).toEqual([]);
    await stripeSdk().disputes.update(String(dispute?.id), { evidence: { uncategorized_text: 'losing_evidence' } });
    await deliverWebhooks();
    const [closed] = await oneOf(payee.partnerId, 'payment.dispute_closed');
    expect(closed?.data).toMatchObject({ disputeId: dispute?.id, outcome: 'lost', status: 'lost' });
    await expectPublishedAndDelivered(hooks, '/emitters', opened?.id ?? '', endpoint.secret);
    await expectPublishedAndDelivered(hooks, '/emitters', closed?.id ?? '', endpoint.secret);

    for (const event of await platformEvents([String(dispute?.id)], since)) {
      expect((await postPlatformWebhook(reissue(event))).status).toBe(200);
    }
    expect(await ofType(payee.partnerId, 'payment.disputed')).toHaveLength(1);
    expect(await ofType(payee.partnerId, 'payment.dispute_closed')).toHaveLength(1);
  });

  it('earning.recorded with the earning; a replay or a refused request writes none', async () => {
    const payee = await activePayee('ev-earning');
    const body = {
      partnerId: payee.partnerId,
      amount: 1_750,
      currency: 'usd',
      externalId: `ev-earning-${Date.now()}`,
      description: 'Referral bonus',
    };
    const recorded = await api('POST', '/admin/earnings', { token: ops, body });
    expect(recorded.status, recorded.text).toBe(201);
    const [event] = await oneOf(payee.partnerId, 'earning.recorded');
    expect(event?.data).toMatchObject({
      externalId: body.externalId,
      source: 'recorded',
      amount: 1_750,
      currency: 'usd',
    });
    await expectPublishedAndDelivered(hooks, '/emitters', event?.id ?? '', endpoint.secret);

    const replay = await api('POST', '/admin/earnings', { token: ops, body });
    expect(replay.status).toBeLessThan(300);
    const snapshot = await snapshotTable();
    const conflicting = await api<{ error: { code: string } }>('POST', '/admin/earnings', {
      token: ops,
      body: { ...body, amount: 1_751 },
    });
    expect(conflicting.status).toBe(409);
    const unknown = await api('POST', '/admin/earnings', {
      token: ops,
      body: { ...body, partnerId: 'ptn_000000000000000000000000', externalId: `${body.externalId}-x` },
    });
    expect(unknown.status).toBe(404);
    expect(await snapshotTable()).toEqual(snapshot);
    expect(await ofType(payee.partnerId, 'earning.recorded')).toHaveLength(1);
  });

  it('payout_run.completed once the run’s payouts are settled', async () => {
    const payee = await activePayee('ev-run');
    const { period, inside } = await freshPeriod();
    await recordHeld(payee.partnerId, 3_300, inside);
    expect((await startRun(period)).status).toBe(202);
    const run = await settledRun(period);
    expect(run.status).toBe('completed');
    const runId = `run_${period}`;
    const completed = await eventually(
      async () =>
        (
          await api<{ events: StoredEvent[] }>('GET', '/admin/events?type=payout_run.completed&limit=100', {
            token: ops,
          })
        ).body.events.filter((e) => e.data.runId === runId),
      (events) => events.length > 0,
      20_000,
    );
    expect(completed).toHaveLength(1);
    expect(completed[0]).toMatchObject({
      partnerId: null,
      data: {
        runId,
        period,
        paid: run.totals.paid,
        failed: run.totals.failed,
        carriedForward: run.totals.carriedForward,
        paidAmounts: Object.entries(run.totals.amounts.paid)
          .map(([currency, amount]) => ({ currency, amount }))
          .sort((a, b) => a.currency.localeCompare(b.currency)),
      },
    });
    await expectPublishedAndDelivered(hooks, '/emitters', completed[0]?.id ?? '', endpoint.secret);
  });
});
