import { AdminUpdateUserAttributesCommand, ListUsersCommand } from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { domainEventItem } from '#adapters/dynamodb/outbox';
import { busEntry } from '#adapters/eventbridge/bus';
import { type DomainEvent, type DomainEventData, type DomainEventType, domainEvent } from '#core/domain-events';
import { cognitoClient } from '#local/cognito';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '#local/dynamodb';
import type { CapturedMail } from '#local/mail';
import { LOCAL_EVENT_BUS } from '#local/stack';
import { newPartnerUser } from '#tests/connect';
import { api, stackInfo } from '#tests/local';
import { activePayee } from '#tests/payments';
import { freshPeriod, opsToken, recordHeld, settledRun, startRun, transfersOf } from '#tests/payouts';

/**
 * Partner emails: an event in the outbox reaches the email worker through the stream and the bus, and the partner's
 * owner gets a text + HTML email at their verified address, captured by the local SMTP server.
 */
const documents = () =>
  DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: stackInfo().dynamoEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }),
  );

/** Writes an event to the outbox as a change's transaction would. */
async function publish<T extends DomainEventType>(
  type: T,
  occurrence: string,
  data: DomainEventData[T],
  partnerId: string,
) {
  const event = domainEvent(type, occurrence, data, new Date(), partnerId);
  await documents().send(
    new PutCommand({ TableName: stackInfo().tableName, Item: domainEventItem(event as DomainEvent) }),
  );
  return event;
}

async function mailTo(email: string): Promise<CapturedMail[]> {
  const response = await fetch(`${stackInfo().mailUrl}/messages?to=${encodeURIComponent(email)}`);
  return (await response.json()) as CapturedMail[];
}

async function waitForMail(email: string, count: number, timeoutMs = 20_000): Promise<CapturedMail[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const mail = await mailTo(email);
    if (mail.length >= count) return mail;
    if (Date.now() > deadline) throw new Error(`Expected ${count} emails to ${email}, got ${mail.length}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const payout = (payoutId: string, amount: number) => ({
  payoutId,
  period: '2026-10',
  amount,
  currency: 'usd',
});

describe('partner emails', () => {
  it('a real payout run writes payout.paid with its transfer and the partner is emailed the amount', async () => {
    const partner = await activePayee('mail-run');
    const { period, inside } = await freshPeriod();
    await recordHeld(partner.partnerId, 4_321, inside);
    expect((await startRun(period)).status).toBe(202);
    expect((await settledRun(period)).status).toBe('completed');
    const [transfer] = await transfersOf(`run_${period}`);
    // Onboarding to active sent the welcome email first; then the payout's.
    const mail = (await waitForMail(partner.email, 2)).filter((m) => !m.subject.startsWith("You're all set"));
    expect(mail.map((m) => m.subject)).toEqual(['Local Platform sent you $43.21']);
    expect(mail[0]?.text).toContain(period);
    const ops = await opsToken();
    const events = await api<{ events: { type: string; data: Record<string, unknown> }[] }>(
      'GET',
      `/admin/events?partnerId=${partner.partnerId}&type=payout.paid`,
      { token: ops },
    );
    expect(events.body.events).toEqual([
      expect.objectContaining({
        type: 'payout.paid',
        data: expect.objectContaining({ period, amount: 4_321, currency: 'usd', transferId: transfer?.id }),
      }),
    ]);
  });

  it('sends payout paid and payout failed emails with the amounts, in text and HTML', async () => {
    const partner = await newPartnerUser('mail');
    await publish(
      'payout.paid',
      'po_mail_1:paid',
      { ...payout('po_mail_1', 123_456), transferId: 'tr_1' },
      partner.partnerId,
    );
    const [paid] = await waitForMail(partner.email, 1);
    expect(paid?.subject).toBe('Local Platform sent you $1,234.56');
    expect(paid?.from).toBe('payouts@platform.localhost');
    expect(paid?.text).toContain('2026-10');
    expect(paid?.html).toContain('$1,234.56');

    await publish(
      'payout.failed',
      'po_mail_2:failed',
      { ...payout('po_mail_2', 5_000), reason: 'account_closed', stage: 'transfer', message: null },
      partner.partnerId,
    );
    const mail = await waitForMail(partner.email, 2);
    const failed = mail.find((m) => m.subject.includes('did not go through'));
    expect(failed?.subject).toBe('Your Local Platform payout of $50.00 did not go through');
    expect(failed?.text).toContain('The bank account is closed. Add a new bank account');
  });

  it('respects an opt-out (but not of required emails) and never sends one email twice', async () => {
    const partner = await newPartnerUser('optout');
    const refused = await api<{ error: { code: string } }>('PUT', '/partners/me/notifications', {
      token: partner.idToken,
      body: { optOut: ['payout_failed'] },
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('email_required');

    const set = await api<{ emails: { kind: string; enabled: boolean }[] }>('PUT', '/partners/me/notifications', {
      token: partner.idToken,
      body: { optOut: ['payout_paid'] },
    });
    expect(set.status).toBe(200);
    expect(set.body.emails.find((e) => e.kind === 'payout_paid')?.enabled).toBe(false);

    const paid = await publish(
      'payout.paid',
      'po_opt_1:paid',
      { ...payout('po_opt_1', 900), transferId: 'tr_2' },
      partner.partnerId,
    );
    // The required one still comes; it was published after the opted-out one, so both have been handled once it has.
    const failed = await publish(
      'payout.failed',
      'po_opt_2:failed',
      { ...payout('po_opt_2', 700), reason: 'no_account', stage: 'transfer', message: null },
      partner.partnerId,
    );
    const mail = await waitForMail(partner.email, 1);
    expect(mail.map((m) => m.subject)).toEqual(['Your Local Platform payout of $7.00 did not go through']);

    // The bus delivers at least once: the same events again send nothing more.
    const bus = new EventBridgeClient({
      endpoint: stackInfo().eventBusEndpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    const again = await bus.send(new PutEventsCommand({ Entries: [busEntry(failed as DomainEvent, LOCAL_EVENT_BUS)] }));
    expect(again.FailedEntryCount).toBe(0);
    void paid;
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await mailTo(partner.email)).length).toBe(1);
  });

  it('never emails an unverified address', async () => {
    const unverified = await newPartnerUser('unverified');
    const verified = await newPartnerUser('verified');
    const cognito = cognitoClient(stackInfo().cognitoEndpoint);
    const { Users: users = [] } = await cognito.send(
      new ListUsersCommand({ UserPoolId: stackInfo().userPool.userPoolId, Filter: `email = "${unverified.email}"` }),
    );
    await cognito.send(
      new AdminUpdateUserAttributesCommand({
        UserPoolId: stackInfo().userPool.userPoolId,
        Username: users[0]?.Username ?? '',
        UserAttributes: [
          { Name: 'email', Value: unverified.email },
          { Name: 'email_verified', Value: 'false' },
        ],
      }),
    );
    await publish(
      'payout.failed',
      'po_unv:failed',
      { ...payout('po_unv', 100), reason: 'x', stage: 'transfer' as const, message: null },
      unverified.partnerId,
    );
    await publish(
      'payout.failed',
      'po_ver:failed',
      { ...payout('po_ver', 100), reason: 'x', stage: 'transfer' as const, message: null },
      verified.partnerId,
    );
    await waitForMail(verified.email, 1);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await mailTo(unverified.email)).toEqual([]);
  });
});
