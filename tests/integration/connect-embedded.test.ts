import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '#local/dynamodb';
import {
  connectStatus,
  deliverWebhooks,
  emulator,
  eventually,
  joinTeam,
  newPartnerUser,
  onboard,
  type PartnerBody,
  stripeSdk,
  tableItem,
} from '#tests/connect';
import { api, stackInfo } from '#tests/local';
import { activePayee, admin } from '#tests/payments';
import {
  changesSince,
  markState,
  NO_CHANGE,
  snapshotTable,
  stripeCallsSince,
  stripeLogMark,
} from '#tests/table-snapshot';

interface SessionBody {
  clientSecret: string;
  expiresAt: string;
  publishableKey: string;
  error?: { code: string };
}

interface ActionRequired {
  kind: string;
  fields: string[];
  deadline: string | null;
}

interface FullStatus {
  status: string;
  requirements: { currentlyDue: string[]; pastDue: string[]; eventuallyDue: string[] };
  futureRequirements: { currentlyDue: string[]; currentDeadline: string | null };
  actionRequired: ActionRequired | null;
}

const session = (token: string, components: string[], partnerId?: string) =>
  api<SessionBody>('POST', `/connect/account-session${partnerId ? `?partnerId=${partnerId}` : ''}`, {
    token,
    body: { components },
  });

/** What a browser does with the Connect.js stand-in: claim the client secret, then submit the onboarding form. */
async function embeddedOnboarding(body: SessionBody, action: 'complete' | 'pending') {
  const base = `${stackInfo().stripeUrl}/connect-js/v1`;
  const post = (path: string, payload: unknown) =>
    fetch(`${base}/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });
  const claim = await post('session', { publishableKey: body.publishableKey, clientSecret: body.clientSecret });
  expect(claim.status).toBe(200);
  const { sessionToken } = (await claim.json()) as { sessionToken: string };
  const submitted = await post('account_onboarding', { sessionToken, action });
  expect(submitted.status).toBe(200);
  return post;
}

describe('POST /connect/account-session (embedded onboarding)', () => {
  it('owners and admins get a fresh session; members are refused (403) and strangers see no partner (404), with nothing written', async () => {
    const [owner, teamAdmin, member, stranger] = await Promise.all([
      newPartnerUser('acs-owner'),
      newPartnerUser('acs-admin'),
      newPartnerUser('acs-member'),
      newPartnerUser('acs-stranger'),
    ]);
    const team = await api<PartnerBody>('POST', '/partners', { token: owner.idToken, body: { name: 'Embedded team' } });
    expect(team.status).toBe(201);
    for (const [person, role] of [
      [teamAdmin, 'admin'],
      [member, 'member'],
    ] as const) {
      await joinTeam(owner.idToken, team.body.id, person, role);
    }

    const before = await markState();
    const refusedMember = await session(member.idToken, ['account_onboarding'], team.body.id);
    expect(refusedMember.status).toBe(403);
    expect(refusedMember.body.error?.code).toBe('insufficient_role');
    const refusedStranger = await session(stranger.idToken, ['account_onboarding'], team.body.id);
    expect(refusedStranger.status).toBe(404);
    expect(refusedStranger.body.error?.code).toBe('partner_not_found');
    const unknownComponent = await session(owner.idToken, ['balances'], team.body.id);
    expect(unknownComponent.status).toBe(400);
    expect(unknownComponent.body.error?.code).toBe('validation_error');
    expect(await changesSince(before)).toEqual(NO_CHANGE);

    // Positive controls: the owner's and the admin's calls work on the same team, each with a new secret.
    const mark = await stripeLogMark();
    const byOwner = await session(owner.idToken, ['account_onboarding', 'notification_banner'], team.body.id);
    expect(byOwner.status, byOwner.text).toBe(200);
    expect(byOwner.headers.get('cache-control')).toBe('no-store');
    expect(byOwner.body).toEqual({
      clientSecret: expect.stringMatching(/^accs_[A-Za-z0-9]+_secret_[A-Za-z0-9]+$/),
      expiresAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      publishableKey: stackInfo().stripePublishableKey,
      returnUrl: null,
    });
    const byAdmin = await session(teamAdmin.idToken, ['account_onboarding'], team.body.id);
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.body.clientSecret).not.toBe(byOwner.body.clientSecret);
    const calls = await stripeCallsSince(mark);
    // The team's account was created once (by the first call), then one session per call.
    expect(calls.map((c) => [c.path, c.status])).toEqual([
      ['/v1/accounts', 200],
      ['/v1/account_sessions', 200],
      ['/v1/account_sessions', 200],
    ]);
    expect(
      calls
        .filter((c) => c.path === '/v1/account_sessions')
        .every((c) => c.idempotencyKey?.startsWith('create-account-session:')),
    ).toBe(true);

    // Never stored: no item of the table holds either secret.
    const table = [...(await snapshotTable()).values()].join('\n');
    expect(table).not.toContain(byOwner.body.clientSecret);
    expect(table).not.toContain(byAdmin.body.clientSecret);
    expect(table).toContain(team.body.id); // positive control: the snapshot does hold the team
  });

  it('completes onboarding in the page through the Connect.js stand-in: the partner becomes active', async () => {
    const partner = await newPartnerUser('acs-embedded');
    const created = await session(partner.idToken, ['account_onboarding']);
    expect(created.status).toBe(200);
    expect((await connectStatus(partner.idToken)).body.status).toBe('pending_verification');
    await embeddedOnboarding(created.body, 'complete');
    await deliverWebhooks();
    const active = await eventually(
      () => connectStatus(partner.idToken),
      (response) => response.body.status === 'active',
    );
    expect(active.body).toMatchObject({ status: 'active', detailsSubmitted: true, payoutsEnabled: true });
    // The script the host page loads is served by the emulator and speaks to the endpoints used above.
    const script = await fetch(`${stackInfo().stripeUrl}/connect-js/v1.0/connect.js`);
    expect(await script.text()).toContain('/connect-js/v1/account_onboarding');
  });
});

const documents = () =>
  DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: stackInfo().dynamoEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }),
  );

describe('existing accounts created with type express', () => {
  it('keep working: our record of it syncs from its events, onboards on the hosted page, active, with a dashboard link', async () => {
    const partner = await newPartnerUser('legacy-express');
    // An account from before controller properties: created with the legacy type, naming the partner.
    const legacy = await stripeSdk().accounts.create(
      {
        type: 'express',
        country: 'US',
        email: partner.email,
        capabilities: { card_payments: { requested: true }, transfers: { requested: true } },
        metadata: { partner_id: partner.partnerId },
      },
      { idempotencyKey: `create-express-account:${partner.partnerId}` },
    );
    expect(legacy.type).toBe('express');
    // Our record of it, as an earlier version stored it when it created the account (an account is attached only
    // when we created it: its events alone never attach it).
    await documents().send(
      new UpdateCommand({
        TableName: stackInfo().tableName,
        Key: { PK: `PARTNER#${partner.partnerId}`, SK: 'PROFILE' },
        UpdateExpression: 'SET stripeAccountId = :acct, GSI1PK = :pk, GSI1SK = :sk',
        ExpressionAttributeValues: { ':acct': legacy.id, ':pk': `ACCOUNT#${legacy.id}`, ':sk': 'PARTNER' },
      }),
    );
    await emulator().setAccountState(legacy.id, 'pending_verification');
    await deliverWebhooks();
    const attached = await eventually(
      () => tableItem(`PARTNER#${partner.partnerId}`, 'PROFILE'),
      (item) => item?.stripeAccountId === legacy.id,
    );
    expect(attached?.stripeAccountId).toBe(legacy.id);
    await onboard(partner.idToken, 'complete');
    await deliverWebhooks();
    expect((await connectStatus(partner.idToken)).body.status).toBe('active');
    const dashboard = await api<{ url: string }>('POST', '/connect/dashboard-link', { token: partner.idToken });
    expect(dashboard.status).toBe(200);
    const sessionForLegacy = await session(partner.idToken, ['account_management']);
    expect(sessionForLegacy.status).toBe(200);
    // No second account was made for the partner.
    const ours: string[] = [];
    for await (const account of stripeSdk().accounts.list({ limit: 100 })) {
      if (account.metadata?.partner_id === partner.partnerId) ours.push(account.id);
    }
    expect(ours).toEqual([legacy.id]);
  });
});

describe('requirements ahead of time', () => {
  it('GET /connect/status says what is needed by when, before the deadline; after it, the partner is restricted and the fields are overdue', async () => {
    const [partner, calm, operator] = await Promise.all([activePayee('ahead'), activePayee('ahead-calm'), admin()]);
    expect((await connectStatus(partner.idToken)).body).toMatchObject({ actionRequired: null });

    // The deadline is three days from now on our clock (the emulator's clock may run ahead of it).
    const { now: emulatorNow } = await emulator().clock();
    const deadline = Math.floor(Date.now() / 1000) + 3 * 86_400;
    const inSeconds = deadline - emulatorNow;
    expect(inSeconds).toBeGreaterThan(0);
    await emulator().setAccountState(partner.accountId, 'future_requirements', {
      requirements: ['individual.verification.additional_document'],
      deadlineInSeconds: inSeconds,
    });
    await deliverWebhooks();
    const before = await eventually(
      () => api<FullStatus>('GET', '/connect/status', { token: partner.idToken }),
      (response) => response.body.actionRequired !== null,
    );
    expect(before.body).toMatchObject({
      status: 'active',
      futureRequirements: {
        currentlyDue: ['individual.verification.additional_document'],
        currentDeadline: new Date(deadline * 1000).toISOString(),
      },
      actionRequired: {
        kind: 'upcoming',
        fields: ['individual.verification.additional_document'],
        deadline: new Date(deadline * 1000).toISOString(),
      },
    });

    // Operators see the partner among those due soon (soonest first); a partner without a deadline is not listed.
    const dueSoon = async () => {
      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { status: number; body: { partners: Array<{ id: string }>; nextCursor: string | null } } =
          await api('GET', `/admin/partners?attention=due_soon&limit=100${cursor ? `&cursor=${cursor}` : ''}`, {
            token: operator.idToken,
          });
        expect(page.status).toBe(200);
        ids.push(...page.body.partners.map((p) => p.id));
        cursor = page.body.nextCursor;
      } while (cursor);
      return ids;
    };
    const listed = await dueSoon();
    expect(listed).toContain(partner.partnerId);
    expect(listed).not.toContain(calm.partnerId);
    const combined = await api('GET', '/admin/partners?attention=due_soon&status=active', { token: operator.idToken });
    expect(combined.status).toBe(400);

    // The deadline passes on Stripe's clock: the requirements move in, Stripe restricts, account.updated follows.
    await emulator().advanceClock(inSeconds + 1);
    await deliverWebhooks();
    const after = await eventually(
      () => api<FullStatus>('GET', '/connect/status', { token: partner.idToken }),
      (response) => response.body.status === 'restricted',
    );
    expect(after.body).toMatchObject({
      status: 'restricted',
      requirements: { pastDue: ['individual.verification.additional_document'] },
      futureRequirements: { currentlyDue: [], currentDeadline: null },
      actionRequired: { kind: 'overdue', fields: ['individual.verification.additional_document'] },
    });
    expect(await dueSoon()).not.toContain(partner.partnerId);
    const restricted = await api<{ partners: Array<{ id: string; actionRequired: ActionRequired | null }> }>(
      'GET',
      '/admin/partners?status=restricted&limit=100',
      { token: operator.idToken },
    );
    expect(restricted.body.partners.find((p) => p.id === partner.partnerId)?.actionRequired?.kind).toBe('overdue');

    // Re-onboarding collects what is due (and announced requirements): active again, nothing asked.
    await onboard(partner.idToken, 'complete');
    await deliverWebhooks();
    const fixed = await api<FullStatus>('GET', '/connect/status', { token: partner.idToken });
    expect(fixed.body).toMatchObject({ status: 'active', actionRequired: null });
  });

  it('onboarding links ask Stripe to collect future requirements (a link without collection_options would leave them)', async () => {
    const partner = await activePayee('collect-ahead');
    await emulator().setAccountState(partner.accountId, 'future_requirements', { deadlineInSeconds: 86_400 });
    const announced = await stripeSdk().accounts.retrieve(partner.accountId);
    expect(announced.future_requirements?.currently_due?.length).toBeGreaterThan(0);
    await onboard(partner.idToken, 'complete');
    await deliverWebhooks();
    const account = await stripeSdk().accounts.retrieve(partner.accountId);
    expect(account.future_requirements?.currently_due).toEqual([]);
    const status = await connectStatus(partner.idToken, undefined, true);
    expect(status.body).toMatchObject({ status: 'active', actionRequired: null });
  });
});
