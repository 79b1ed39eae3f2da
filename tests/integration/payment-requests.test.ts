import { describe, expect, it } from 'vitest';
import type { PartnerBody } from '#tests/connect';
import { joinTeam, newPartnerUser } from '#tests/connect';
import { api } from '#tests/local';
import {
  activePayee,
  confirm,
  customer,
  deliverWebhooks,
  emulator,
  payCheckout,
  paymentIntentIdOf,
  paymentRequest,
  paymentWithStatus,
  requestIntent,
  stripeSdk,
} from '#tests/payments';
import { checkoutUrls } from '#tests/sales';

/** Payment requests: an amount the seller sets for one customer, paid at most once. */

interface RequestView {
  id: string;
  status: string;
  amount: number;
  error?: { code: string; details?: { status?: string } };
}

const view = (id: string) => api<RequestView>('GET', `/payment-requests/${id}`);

describe('payment requests', () => {
  it('two concurrent pay calls share one PaymentIntent; once paid, paying again is 409 paid', async () => {
    const seller = await activePayee('prq-seller');
    const request = await paymentRequest(seller, 30_000, 'Kitchen deposit', 'deposit');
    expect(request.status).toBe('open');
    const [a, b] = await Promise.all([customer('prq-a'), customer('prq-b')]);
    const [first, second] = await Promise.all([
      requestIntent(a.idToken, request.id),
      requestIntent(b.idToken, request.id),
    ]);
    expect([first.status, second.status], `${first.text} ${second.text}`).toEqual([201, 201]);
    expect(first.body.clientSecret).toBe(second.body.clientSecret);
    expect(first.body.paymentId).toBe(second.body.paymentId);
    const intents = await stripeSdk().paymentIntents.list({ limit: 100 });
    expect(intents.data.filter((pi) => pi.metadata.paymentRequestId === request.id)).toHaveLength(1);
    const created = (await emulator().requestLog({ path: '/v1/payment_intents', method: 'POST' })).filter(
      (entry) => entry.idempotencyKey === `create-payment-intent:${first.body.paymentId}` && !entry.replayed,
    );
    expect(created).toHaveLength(1);

    await confirm(first.body.clientSecret);
    await paymentWithStatus(first.body.paymentId, 'paid');
    expect((await view(request.id)).body.status).toBe('paid');
    const again = await requestIntent(b.idToken, request.id);
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'payment_request_not_payable', details: { status: 'paid' } });
    const intent = await stripeSdk().paymentIntents.retrieve(paymentIntentIdOf(first.body.clientSecret));
    expect(intent).toMatchObject({ amount: 30_000, transfer_data: { destination: seller.accountId } });
  });

  it('refuses to pay a canceled or expired request (409 with the status), and the seller cannot pay itself', async () => {
    const seller = await activePayee('prq-cancel');
    const buyer = await customer('prq-cancel-buyer');
    const canceled = await paymentRequest(seller, 5_000, 'Quote 7', 'custom');
    const cancel = await api<RequestView>('POST', `/payment-requests/${canceled.id}/cancel`, {
      token: seller.idToken,
      body: {},
    });
    expect(cancel.status, cancel.text).toBe(200);
    expect(cancel.body.status).toBe('canceled');
    const refused = await requestIntent(buyer.idToken, canceled.id);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ details: { status: 'canceled' } });

    const soon = new Date(Date.now() + 1_500).toISOString();
    const expiring = await api<RequestView>('POST', '/payment-requests', {
      token: seller.idToken,
      body: { amount: 5_000, currency: 'usd', kind: 'milestone', description: 'Milestone 3', expiresAt: soon },
    });
    expect(expiring.status, expiring.text).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect((await view(expiring.body.id)).body.status).toBe('expired');
    const late = await api<RequestView>('POST', `/payment-requests/${expiring.body.id}/checkout`, {
      token: buyer.idToken,
      body: checkoutUrls(),
    });
    expect(late.status).toBe(409);
    expect(late.body.error).toMatchObject({ details: { status: 'expired' } });

    const open = await paymentRequest(seller, 5_000, 'Quote 8', 'custom');
    const self = await requestIntent(seller.idToken, open.id);
    expect(self.status).toBe(422);
    expect(self.body.error?.code).toBe('self_payment');
    // Positive control: a customer may pay it.
    expect((await requestIntent(buyer.idToken, open.id)).status).toBe(201);
  });

  it('a Checkout that expires unpaid reopens the request; paying one way while the other is open is 409', async () => {
    const seller = await activePayee('prq-checkout');
    const buyer = await customer('prq-checkout-buyer');
    const request = await paymentRequest(seller, 8_000, 'Milestone 1', 'milestone');
    const checkout = await api<{ url: string; paymentId: string }>('POST', `/payment-requests/${request.id}/checkout`, {
      token: buyer.idToken,
      body: checkoutUrls(),
    });
    expect(checkout.status, checkout.text).toBe(201);
    const other = await requestIntent(buyer.idToken, request.id);
    expect(other.status).toBe(409);
    expect(other.body.error?.code).toBe('payment_request_in_progress');

    await emulator().advanceClock(31 * 60 + 90);
    await paymentWithStatus(checkout.body.paymentId, 'canceled');
    expect((await view(request.id)).body.status).toBe('open');
    const retry = await requestIntent(buyer.idToken, request.id);
    expect(retry.status, retry.text).toBe(201);
    expect(retry.body.paymentId).not.toBe(checkout.body.paymentId);
    await confirm(retry.body.clientSecret);
    await deliverWebhooks();
    await paymentWithStatus(retry.body.paymentId, 'paid');
    expect((await view(request.id)).body.status).toBe('paid');
  });

  it('paying by Checkout again, with other URLs or at the same time, gives the one page and never cancels the payment', async () => {
    const seller = await activePayee('prq-again');
    const buyer = await customer('prq-again-buyer');
    const pay = (requestId: string, suffix: string) =>
      api<{ url: string; paymentId: string; error?: { code: string } }>(
        'POST',
        `/payment-requests/${requestId}/checkout`,
        {
          token: buyer.idToken,
          body: {
            successUrl: `${checkoutUrls().successUrl}&again=${suffix}`,
            cancelUrl: `${checkoutUrls().cancelUrl}?again=${suffix}`,
          },
        },
      );
    const sessionsOf = async (paymentId: string) =>
      (await stripeSdk().checkout.sessions.list({ limit: 100 })).data.filter(
        (cs) => cs.metadata?.paymentId === paymentId,
      );

    // One after the other, the second with other URLs: the first call's page again (one session, payment pending).
    const sequential = await paymentRequest(seller, 4_500, 'Deposit', 'deposit');
    const first = await pay(sequential.id, 'a');
    expect(first.status, first.text).toBe(201);
    const second = await pay(sequential.id, 'b');
    expect(second.status, second.text).toBe(201);
    expect(second.body).toMatchObject({ paymentId: first.body.paymentId, url: first.body.url });
    expect(await sessionsOf(first.body.paymentId)).toHaveLength(1);
    await paymentWithStatus(first.body.paymentId, 'pending');

    // At the same time with different URLs: one session; the other call gets it too or 409, and nothing is canceled.
    const concurrent = await paymentRequest(seller, 4_600, 'Deposit', 'deposit');
    const answers = await Promise.all([pay(concurrent.id, 'c'), pay(concurrent.id, 'd')]);
    const created = answers.filter((a) => a.status === 201);
    expect(created.length, answers.map((a) => a.text).join(' ')).toBeGreaterThanOrEqual(1);
    for (const refused of answers.filter((a) => a.status !== 201)) {
      expect(refused.status, refused.text).toBe(409);
      expect(refused.body.error?.code).toBe('idempotency_conflict');
    }
    const paymentId = created[0]?.body.paymentId ?? '';
    expect(new Set(created.map((a) => a.body.url)).size).toBe(1);
    expect(await sessionsOf(paymentId)).toHaveLength(1);
    await paymentWithStatus(paymentId, 'pending');
    expect((await view(concurrent.id)).body.status).toBe('open');
    // And the page still works: the buyer pays on it and the request is paid.
    expect((await payCheckout(created[0]?.body.url ?? '', 'pay')).status).toBe(303);
    await deliverWebhooks();
    await paymentWithStatus(paymentId, 'paid');
    expect((await view(concurrent.id)).body.status).toBe('paid');
  });

  it("the payer's view shows only what the payer needs; only the seller's owners and admins list or create", async () => {
    const seller = await activePayee('prq-view');
    const request = await paymentRequest(seller, 12_000, 'Deck repair deposit', 'deposit');
    const payer = await view(request.id);
    expect(payer.status).toBe(200);
    expect(Object.keys(payer.body).sort()).toEqual(
      ['amount', 'currency', 'description', 'expiresAt', 'id', 'kind', 'sellerName', 'status'].sort(),
    );
    expect(payer.text).not.toContain(seller.partnerId);
    expect(payer.text).not.toContain(seller.accountId);

    const mine = await api<{ paymentRequests: RequestView[] }>('GET', '/payment-requests', { token: seller.idToken });
    expect(mine.body.paymentRequests.map((r) => r.id)).toContain(request.id);
    const stranger = await newPartnerUser('prq-stranger');
    const theirs = await api('GET', `/payment-requests?partnerId=${seller.partnerId}`, { token: stranger.idToken });
    expect(theirs.status).toBe(404);
    const own = await api<{ paymentRequests: RequestView[] }>('GET', '/payment-requests', { token: stranger.idToken });
    expect(own.body.paymentRequests).toEqual([]);

    // A team's plain member cannot issue requests for it; its owner can.
    const team = await api<PartnerBody>('POST', '/partners', { token: seller.idToken, body: { name: 'Deck crew' } });
    await joinTeam(seller.idToken, team.body.id, stranger, 'member');
    const body = { partnerId: team.body.id, amount: 5_000, currency: 'usd', kind: 'custom', description: 'Quote' };
    const byMember = await api('POST', '/payment-requests', { token: stranger.idToken, body });
    expect(byMember.status).toBe(403);
    expect((await api('POST', '/payment-requests', { token: seller.idToken, body })).status).toBe(201);
  });
});
