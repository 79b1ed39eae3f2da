import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import {
  connectStatus,
  deliverWebhooks,
  emulator,
  eventsOf,
  eventually,
  newPartnerUser,
  onboard,
  type PartnerBody,
  postConnectWebhook,
  stripeSdk,
  tableItem,
  withDeliveryMode,
} from '#tests/connect';
import { api, stackInfo } from '#tests/local';
import { changesSince, markState, NO_CHANGE } from '#tests/table-snapshot';

/** POST /webhooks/stripe/connect: signatures, de-duplication, late and reordered deliveries, payouts. */

async function activePartner(prefix: string) {
  const partner = await newPartnerUser(prefix);
  await onboard(partner.idToken, 'complete');
  const me = await api<PartnerBody>('GET', '/partners/me', { token: partner.idToken });
  await deliverWebhooks();
  return { ...partner, accountId: me.body.stripeAccountId ?? '' };
}

let counter = 0;
/** A Stripe event re-issued under a new id (a delivery our endpoint has never seen), optionally changed. */
function reissue(event: Stripe.Event, changes: Partial<Stripe.Event> = {}): string {
  counter += 1;
  return JSON.stringify({ ...event, id: `${event.id}_replay${counter}_${Date.now()}`, ...changes });
}

const accountUpdated = (accountId: string, object: Record<string, unknown>, created: number) =>
  JSON.stringify({
    id: `evt_test_${Date.now()}_${Math.random().toString(36).slice(2, 10)}`,
    object: 'event',
    api_version: '2026-10-28.endive',
    created,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type: 'account.updated',
    account: accountId,
    data: { object: { id: accountId, object: 'account', ...object } },
  });

describe('signature verification', () => {
  it('refuses a bad signature, the platform secret and a missing header with 400, writing nothing', async () => {
    const { accountId } = await activePartner('sig');
    const payload = JSON.stringify({
      id: `evt_forged_${Date.now()}`,
      object: 'event',
      type: 'account.application.deauthorized',
      created: Math.floor(Date.now() / 1000),
      account: accountId,
      data: { object: { id: 'ca_x', object: 'application' } },
    });
    const before = await markState();
    const wrongKey = await postConnectWebhook(payload, 'whsec_not_ours');
    expect(wrongKey.status).toBe(400);
    expect(wrongKey.body).toMatchObject({ error: { code: 'invalid_signature' } });

    const platformSecret = await postConnectWebhook(payload, stackInfo().platformWebhookSecret);
    expect(platformSecret.status).toBe(400);

    const unsigned = await api('POST', '/webhooks/stripe/connect', {
      rawBody: payload,
      headers: { 'content-type': 'application/json' },
    });
    expect(unsigned.status).toBe(400);
    expect(unsigned.body).toMatchObject({ error: { code: 'missing_signature' } });

    // A signature over another body does not cover this one.
    const signedOther = await api('POST', '/webhooks/stripe/connect', {
      rawBody: payload,
      headers: {
        'content-type': 'application/json',
        'stripe-signature': `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}`,
      },
    });
    expect(signedOther.status).toBe(400);
    expect(await changesSince(before)).toEqual(NO_CHANGE);

    // Control: the same payload signed with our secret is processed (and recorded), so the refusals above were
    // about the signature alone.
    const control = await postConnectWebhook(payload);
    expect(control.status).toBe(200);
    expect(await tableItem(`EVENT#${JSON.parse(payload).id}`, 'EVENT')).toMatchObject({ endpoint: 'connect' });
  });
});

describe('delivery semantics', () => {
  it('processes a duplicate delivery once and acknowledges the copy', async () => {
    const { accountId } = await activePartner('dup');
    const [event] = await eventsOf(accountId, 'account.updated');
    expect(event).toBeDefined();
    const payload = reissue(event as Stripe.Event);
    const first = await postConnectWebhook(payload);
    const second = await postConnectWebhook(payload);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ received: true });
    expect(second.status).toBe(200);
    expect(second.body).toEqual({ received: true, duplicate: true });
    const record = await tableItem(`EVENT#${JSON.parse(payload).id}`, 'EVENT');
    expect(record).toMatchObject({ type: 'account.updated', endpoint: 'connect' });
    const ttl = Number(record?.ttl);
    expect(ttl).toBeGreaterThan(Date.now() / 1000 + 29 * 86_400);
  });

  it('the emulator delivered every event of the journey exactly as signed, and each was accepted', async () => {
    const { accountId } = await activePartner('delivered');
    const deliveries = (await emulator().webhookDeliveries()).filter((d) => d.endpoint === 'connect');
    const ids = new Set((await eventsOf(accountId)).map((e) => e.id));
    const ours = deliveries.filter((d) => ids.has(d.eventId));
    expect(ours.length).toBeGreaterThan(0);
    for (const delivery of ours) expect(delivery.state).toBe('succeeded');
  });

  it('a late event with an older state does not roll an active partner back', async () => {
    const partner = await newPartnerUser('late');
    await onboard(partner.idToken, 'pending');
    const me = await api<PartnerBody>('GET', '/partners/me', { token: partner.idToken });
    const accountId = me.body.stripeAccountId ?? '';
    await emulator().setAccountState(accountId, 'verified');
    await deliverWebhooks();
    expect((await connectStatus(partner.idToken)).body.status).toBe('active');

    // The account.updated of the pending state arrives (again) late.
    const [pendingEvent] = await eventsOf(accountId, 'account.updated');
    if (!pendingEvent) throw new Error('no account.updated event');
    expect((pendingEvent.data.object as Stripe.Account).payouts_enabled).toBe(false);
    expect((await postConnectWebhook(reissue(pendingEvent))).status).toBe(200);
    // And a synthetic one that claims the account lost everything, stamped an hour ago.
    const stale = accountUpdated(
      accountId,
      {
        details_submitted: false,
        charges_enabled: false,
        payouts_enabled: false,
        capabilities: { transfers: 'inactive' },
      },
      Math.floor(Date.now() / 1000) - 3600,
    );
    expect((await postConnectWebhook(stale)).status).toBe(200);
    const status = await connectStatus(partner.idToken);
    expect(status.body).toMatchObject({ partnerId: partner.partnerId, status: 'active', payoutsEnabled: true });
  });

  it('reordered events (newest first) converge on Stripe’s current state, field by field', async () => {
    const partner = await newPartnerUser('reorder');
    await onboard(partner.idToken, 'pending');
    const me = await api<PartnerBody>('GET', '/partners/me', { token: partner.idToken });
    const accountId = me.body.stripeAccountId ?? '';
    await withDeliveryMode({ hold: true }, async () => {
      // Stripe verifies the account, then restricts it; none of it has reached us yet.
      await emulator().setAccountState(accountId, 'verified');
      await emulator().setAccountState(accountId, 'restricted', { requirements: ['individual.verification.document'] });
      expect((await connectStatus(partner.idToken)).body.status).toBe('pending_verification');
      const held = (await emulator().webhookDeliveries()).filter(
        (d) => d.state === 'pending' && d.endpoint === 'connect',
      );
      expect(held.length).toBeGreaterThanOrEqual(2);
      // Delivered newest first: the oldest (verified) lands last.
      await emulator().setDeliveryMode({ hold: false, reorder: true });
      await deliverWebhooks();
    });
    const account = await stripeSdk().accounts.retrieve(accountId);
    const status = await connectStatus(partner.idToken);
    expect(status.body).toMatchObject({
      status: 'restricted',
      chargesEnabled: account.charges_enabled,
      payoutsEnabled: account.payouts_enabled,
      detailsSubmitted: account.details_submitted,
      requirements: {
        currentlyDue: account.requirements?.currently_due ?? [],
        pastDue: account.requirements?.past_due ?? [],
        disabledReason: account.requirements?.disabled_reason ?? null,
      },
    });
    expect(status.body.requirements.pastDue).toEqual(['individual.verification.document']);
    expect(status.body.payoutsEnabled).toBe(false);
  });

  it('a deauthorization is final: a later-delivered account.updated does not reconnect the partner', async () => {
    const { accountId, idToken } = await activePartner('deauth-order');
    const [updated] = (await eventsOf(accountId, 'account.updated')).slice(-1);
    await emulator().setAccountState(accountId, 'deauthorized');
    await deliverWebhooks();
    await eventually(
      () => connectStatus(idToken),
      (r) => r.body.status === 'disconnected',
    );
    expect((await postConnectWebhook(reissue(updated as Stripe.Event))).status).toBe(200);
    expect((await connectStatus(idToken)).body.status).toBe('disconnected');
    const admin = await newPartnerUser('deauth-admin', { admin: true });
    const listed = await api<{ partners: Array<{ stripeAccountId: string }> }>(
      'GET',
      '/admin/partners?status=disconnected&limit=100',
      { token: admin.idToken },
    );
    expect(listed.body.partners.map((p) => p.stripeAccountId)).toContain(accountId);
  });

  it('acknowledges unknown event types and events of accounts no partner holds (200, no change)', async () => {
    const { accountId, idToken } = await activePartner('unknown');
    const unknownType = JSON.stringify({
      id: `evt_unknown_${Date.now()}`,
      object: 'event',
      type: 'issuing_card.created',
      created: Math.floor(Date.now() / 1000),
      account: accountId,
      data: { object: { id: 'ic_1', object: 'issuing.card' } },
    });
    const response = await postConnectWebhook(unknownType);
    expect(response.status).toBe(200);
    expect(await tableItem(`EVENT#${JSON.parse(unknownType).id}`, 'EVENT')).toMatchObject({ outcome: 'ignored' });
    const stranger = await postConnectWebhook(
      JSON.stringify({
        id: `evt_stranger_${Date.now()}`,
        object: 'event',
        type: 'account.application.deauthorized',
        created: Math.floor(Date.now() / 1000),
        account: 'acct_not_a_partner_0001',
        data: { object: { id: 'ca_1', object: 'application' } },
      }),
    );
    expect(stranger.status).toBe(200);
    expect((await connectStatus(idToken)).body.status).toBe('active');
  });
});

describe('payouts of connected accounts', () => {
  it('records payout.paid and then payout.failed, visible to the partner', async () => {
    const { accountId, idToken } = await activePartner('payouts');
    await emulator().fundBalance({ amount: 5_000, currency: 'usd', account: accountId });
    const payout = await stripeSdk().payouts.create({ amount: 2_500, currency: 'usd' }, { stripeAccount: accountId });
    await emulator().payoutPaid(payout.id);
    await deliverWebhooks();
    const paid = await eventually(
      () => api<{ payouts: Array<{ id: string; status: string }> }>('GET', '/connect/payouts', { token: idToken }),
      (r) => r.body.payouts.some((p) => p.id === payout.id && p.status === 'paid'),
    );
    expect(paid.body.payouts).toEqual([
      expect.objectContaining({ id: payout.id, amount: 2_500, currency: 'usd', status: 'paid', failureCode: null }),
    ]);

    await emulator().payoutFailed(payout.id, 'account_closed');
    await deliverWebhooks();
    const failed = await eventually(
      () => api<{ payouts: Array<{ id: string; status: string }> }>('GET', '/connect/payouts', { token: idToken }),
      (r) => r.body.payouts[0]?.status === 'failed',
    );
    expect(failed.body.payouts[0]).toMatchObject({ status: 'failed', failureCode: 'account_closed' });

    // A late copy of payout.paid does not undo the failure.
    const [paidEvent] = await eventsOf(accountId, 'payout.paid');
    expect((await postConnectWebhook(reissue(paidEvent as Stripe.Event))).status).toBe(200);
    const after = await api<{ payouts: Array<{ status: string }> }>('GET', '/connect/payouts', { token: idToken });
    expect(after.body.payouts[0]?.status).toBe('failed');
  });
});
