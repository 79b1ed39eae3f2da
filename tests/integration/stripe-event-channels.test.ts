import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECT_EVENT_TYPES } from '#adapters/stripe/connect-event';
import { PLATFORM_EVENT_TYPES } from '#adapters/stripe/platform-event';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '#local/dynamodb';
import { eventBridgeEnvelope } from '#local/stripe-emulator/index';
import {
  connectStatus,
  deliverWebhooks,
  emulator,
  eventsOf,
  eventually,
  postConnectWebhook,
  stripeSdk,
  tableItem,
} from '#tests/connect';
import { api, stackInfo } from '#tests/local';
import { activePayee, customer, paidIntent, paymentRecord, platformEvents } from '#tests/payments';

/**
 * One suite, both channels of Stripe events: the emulator sends the same kind of events either to the webhook
 * routes (signed) or, like Stripe's EventBridge destination, to the Stripe events queue in the EventBridge envelope
 * (consumed by the `stripe-events` job). The same scenario runs on each; the outcomes must be the same, and each
 * channel must have been the one that carried the events (the de-duplication record names it).
 */

type Channel = 'webhooks' | 'eventbridge';

interface Outcome {
  afterRestriction: string;
  connectedPayouts: Array<{ amount: number; status: string }>;
  payment: { status: unknown; amount: unknown; fee: unknown };
  afterDeauthorization: string;
  /** The processed-event records of the scenario's events: type and handler, in emission order. */
  processed: Array<{ type: string; endpoint: unknown }>;
}

const outcomes = new Map<Channel, Outcome>();
const CONNECT_TYPES = new Set<string>(CONNECT_EVENT_TYPES);
const PLATFORM_TYPES = new Set<string>(PLATFORM_EVENT_TYPES);

let sqs: SQSClient | undefined;
function queueClient(): SQSClient {
  sqs ??= new SQSClient({ endpoint: stackInfo().sqsEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  return sqs;
}

/** Waits until every given event has its processed-event record, whichever channel carried it. */
async function processedRecords(events: readonly Stripe.Event[]) {
  const records = await Promise.all(
    events.map((event) =>
      eventually(
        () => tableItem(`EVENT#${event.id}`, 'EVENT'),
        (item) => item !== undefined,
        20_000,
      ),
    ),
  );
  for (const [i, record] of records.entries()) expect(record, `${events[i]?.type} ${events[i]?.id}`).toBeDefined();
  return records as Array<Record<string, unknown>>;
}

async function queueDrained(queueUrl: string): Promise<boolean> {
  const { Attributes = {} } = await queueClient().send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return Attributes.ApproximateNumberOfMessages === '0' && Attributes.ApproximateNumberOfMessagesNotVisible === '0';
}

/** Sends an event again through the channel, as Stripe (or EventBridge) may deliver it twice. */
async function redeliver(channel: Channel, event: Stripe.Event) {
  if (channel === 'webhooks') {
    const response = await postConnectWebhook(JSON.stringify(event));
    expect(response.status).toBe(200);
    expect(response.body.duplicate).toBe(true);
    return;
  }
  const info = stackInfo();
  const envelope = eventBridgeEnvelope(
    event as unknown as Parameters<typeof eventBridgeEnvelope>[0],
    {
      sqsEndpoint: info.sqsEndpoint,
      queueUrl: info.stripeEventsQueueUrl,
      region: LOCAL_REGION,
      eventSourceName: info.stripeEventSourceName,
    },
    new Date(),
  );
  await queueClient().send(
    new SendMessageCommand({ QueueUrl: info.stripeEventsQueueUrl, MessageBody: JSON.stringify(envelope) }),
  );
  const drained = await eventually(
    () => queueDrained(info.stripeEventsQueueUrl),
    (done) => done,
    20_000,
  );
  expect(drained).toBe(true);
}

describe.each<[Channel]>([['webhooks'], ['eventbridge']])('Stripe events through %s', (channel) => {
  beforeAll(async () => {
    await emulator().flushWebhooks();
    await emulator().setEventDestination(channel);
  });
  afterAll(async () => {
    await emulator().flushWebhooks();
    await emulator().setEventDestination('webhooks');
  });

  it('the same events give the same results: status changes, connected payouts, payments, deauthorization, duplicates', async () => {
    const since = (await emulator().clock()).now - 1;
    const partner = await activePayee(`channel-${channel}`);
    const buyer = await customer(`channel-${channel}-buyer`);

    // Connect: a payout of the connected account reaches the bank (payout.paid).
    await emulator().fundBalance({ amount: 5_000, currency: 'usd', account: partner.accountId });
    const payout = await stripeSdk().payouts.create(
      { amount: 2_500, currency: 'usd' },
      { stripeAccount: partner.accountId },
    );
    await emulator().payoutPaid(payout.id);
    await deliverWebhooks();
    const payouts = await eventually(
      () =>
        api<{ payouts: Array<{ id: string; amount: number; status: string }> }>('GET', '/connect/payouts', {
          token: partner.idToken,
        }),
      // payout.created records it pending first; payout.paid (its own delivery) makes it paid.
      (r) => r.body.payouts.some((p) => p.id === payout.id && p.status === 'paid'),
      20_000,
    );

    // Connect: Stripe restricts the account (account.updated, capability.updated).
    await emulator().setAccountState(partner.accountId, 'restricted');
    await deliverWebhooks();
    const restricted = await eventually(
      () => connectStatus(partner.idToken),
      (r) => r.body.status === 'restricted',
      20_000,
    );

    // Platform: the partner becomes active again, a customer pays them (payment_intent.succeeded, ...).
    await emulator().setAccountState(partner.accountId, 'verified');
    await deliverWebhooks();
    await eventually(
      () => connectStatus(partner.idToken),
      (r) => r.body.status === 'active',
      20_000,
    );
    const paid = await paidIntent(buyer.idToken, partner, 10_000, `Channel ${channel}`);
    const payment = await eventually(
      () => paymentRecord(paid.paymentId),
      (record) => record?.status === 'paid',
      20_000,
    );

    // Connect: the partner disconnects the platform (account.application.deauthorized). Stripe no longer lists the
    // account's events afterwards: take them now, and the deauthorization from the emulator's delivery log.
    const connectEvents = (await eventsOf(partner.accountId)).filter((e) => CONNECT_TYPES.has(e.type));
    const deliveriesBefore = (await emulator().webhookDeliveries()).length;
    await emulator().setAccountState(partner.accountId, 'deauthorized');
    await deliverWebhooks();
    const disconnected = await eventually(
      () => connectStatus(partner.idToken),
      (r) => r.body.status === 'disconnected',
      20_000,
    );
    const deauthorization = (await emulator().webhookDeliveries())
      .slice(deliveriesBefore)
      .find((d) => d.eventType === 'account.application.deauthorized');
    expect(deauthorization?.endpoint).toBe(channel === 'webhooks' ? 'connect' : 'eventbridge');

    // Every subscribed event of the scenario was processed once, by the channel under test.
    const ownEvents = (await platformEvents([paid.paymentIntentId], since)).filter((e) => PLATFORM_TYPES.has(e.type));
    const events = [
      ...connectEvents,
      { id: deauthorization?.eventId ?? '', type: 'account.application.deauthorized' } as Stripe.Event,
      ...ownEvents,
    ];
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining([
        'account.updated',
        'capability.updated',
        'payout.paid',
        'account.application.deauthorized',
        'payment_intent.succeeded',
      ]),
    );
    const records = await processedRecords(events);
    expect(new Set(records.map((r) => r.channel))).toEqual(
      new Set([channel === 'webhooks' ? 'webhook' : 'eventbridge']),
    );

    // A second delivery of an event changes nothing: the record and the state stay as they were.
    const first = connectEvents.find((e) => e.type === 'account.updated');
    if (!first) throw new Error('no account.updated event');
    const recordBefore = await tableItem(`EVENT#${first.id}`, 'EVENT');
    const profileBefore = await tableItem(`PARTNER#${partner.partnerId}`, 'PROFILE');
    await redeliver(channel, first);
    expect(await tableItem(`EVENT#${first.id}`, 'EVENT')).toEqual(recordBefore);
    expect(await tableItem(`PARTNER#${partner.partnerId}`, 'PROFILE')).toEqual(profileBefore);
    // ... also across channels: one de-duplication record for both.
    const crossChannel = await postConnectWebhook(JSON.stringify(first));
    expect(crossChannel.body.duplicate).toBe(true);

    outcomes.set(channel, {
      afterRestriction: restricted.body.status,
      connectedPayouts: payouts.body.payouts.map(({ amount, status }) => ({ amount, status })),
      payment: { status: payment?.status, amount: payment?.amount, fee: payment?.fee },
      afterDeauthorization: disconnected.body.status,
      processed: events.map((event, i) => ({ type: event.type, endpoint: records[i]?.endpoint })),
    });
  }, 90_000); // one scenario: onboarding, a payout, a restriction, a payment and a deauthorization
});

describe('both channels', () => {
  it('produced the same outcomes from the same events', () => {
    const webhooks = outcomes.get('webhooks');
    const eventbridge = outcomes.get('eventbridge');
    expect(webhooks).toBeDefined();
    expect(eventbridge).toEqual(webhooks);
    expect(webhooks).toMatchObject({
      afterRestriction: 'restricted',
      connectedPayouts: [{ amount: 2_500, status: 'paid' }],
      payment: { status: 'paid', amount: 10_000 },
      afterDeauthorization: 'disconnected',
    });
    // Connect events went to the Connect handler, the platform's own to the platform handler, on both channels.
    for (const { type, endpoint } of webhooks?.processed ?? []) {
      expect(endpoint).toBe(type.startsWith('payment_intent.') || type.startsWith('charge.') ? 'platform' : 'connect');
    }
  });
});

afterAll(() => sqs?.destroy());
