import { UpdateUserAttributesCommand } from '@aws-sdk/client-cognito-identity-provider';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { dynamo, tableName } from '#adapters/dynamodb/client';
import { cognitoClient } from '#local/cognito';
import { type InvitationBody, joinTeam, newPartnerUser, type PartnerBody, tableItem } from '#tests/connect';
import { api, stackInfo, uniqueEmail, user } from '#tests/local';
import { changesSince, markState, NO_CHANGE } from '#tests/table-snapshot';

/**
 * Members join a team only by invitation, and only as the verified owner of the invited address: the pool keeps a
 * user's original email until a new one is verified, and acceptance needs `email_verified` and the same address.
 */

async function team(ownerToken: string) {
  const created = await api<PartnerBody>('POST', '/partners', { token: ownerToken, body: { name: 'Bakery' } });
  expect(created.status).toBe(201);
  return created.body.id;
}

async function invite(ownerToken: string, teamId: string, email: string, role: 'admin' | 'member' = 'member') {
  const invited = await api<InvitationBody>('POST', `/partners/${teamId}/invitations`, {
    token: ownerToken,
    body: { email, role },
  });
  expect(invited.status, invited.text).toBe(201);
  return invited.body;
}

const accept = (acceptPath: string, token: string) =>
  api<{ error?: { code: string }; userSub?: string; role?: string }>('POST', acceptPath, { token });

describe('invitations', () => {
  it("someone who sets their email to the invitee's is not let in: the pool keeps their verified address", async () => {
    const owner = await newPartnerUser('inv-owner');
    const teamId = await team(owner.idToken);
    const hire = uniqueEmail('new-hire');
    const mallory = await user(uniqueEmail('mallory'));
    const invitation = await invite(owner.idToken, teamId, hire);
    expect(invitation.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(invitation.invitation).toMatchObject({ email: hire, role: 'member', status: 'pending' });

    // Mallory changes her email to the new hire's address (self-service, with her own access token).
    const cognito = cognitoClient(stackInfo().cognitoEndpoint);
    await cognito.send(
      new UpdateUserAttributesCommand({
        AccessToken: mallory.accessToken,
        UserAttributes: [{ Name: 'email', Value: hire }],
      }),
    );
    const again = await user(mallory.email); // fresh tokens after the change
    const claims = JSON.parse(Buffer.from(again.idToken.split('.')[1] ?? '', 'base64url').toString('utf8'));
    expect(claims.email).toBe(mallory.email); // the pool kept the verified original

    const mark = await markState();
    const refused = await accept(invitation.acceptPath, again.idToken);
    expect(refused.status, refused.text).toBe(403);
    expect(refused.body.error?.code).toBe('invitation_email_mismatch');
    expect(await changesSince(mark)).toEqual(NO_CHANGE);
    expect(await tableItem(`PARTNER#${teamId}`, `MEMBER#${mallory.sub}`)).toBeUndefined();

    // Positive control: the real hire, verified, accepts the same invitation.
    const real = await user(hire);
    const joined = await accept(invitation.acceptPath, real.idToken);
    expect(joined.status, joined.text).toBe(201);
    expect(joined.body).toMatchObject({ userSub: real.sub, role: 'member' });
    const view = await api<PartnerBody>('GET', `/partners/me?partnerId=${teamId}`, { token: real.idToken });
    expect(view.body).toMatchObject({ id: teamId, role: 'member' });
  });

  it('an unverified address or a different one cannot accept; nothing is written', async () => {
    const owner = await newPartnerUser('inv-verify');
    const teamId = await team(owner.idToken);
    const address = uniqueEmail('unverified');
    const unverified = await user(address, { unverified: true });
    const claims = JSON.parse(Buffer.from(unverified.idToken.split('.')[1] ?? '', 'base64url').toString('utf8'));
    expect(claims).toMatchObject({ email: address, email_verified: false });
    const other = await newPartnerUser('inv-other');
    const invitation = await invite(owner.idToken, teamId, address, 'admin');

    const mark = await markState();
    const notVerified = await accept(invitation.acceptPath, unverified.idToken);
    expect(notVerified.status).toBe(403);
    expect(notVerified.body.error?.code).toBe('email_not_verified');
    const different = await accept(invitation.acceptPath, other.idToken);
    expect(different.status).toBe(403);
    expect(different.body.error?.code).toBe('invitation_email_mismatch');
    const guessed = await accept(`/invitations/${'A'.repeat(43)}/accept`, other.idToken);
    expect(guessed.status).toBe(404);
    expect(guessed.body.error?.code).toBe('invitation_not_found');
    expect(await changesSince(mark)).toEqual(NO_CHANGE);

    const members = await api<{ members: unknown[] }>('GET', `/partners/${teamId}/members`, { token: owner.idToken });
    expect(members.body.members).toHaveLength(1);
  });

  it('a token works once; revoked and expired invitations are refused; only the hash is stored', async () => {
    const owner = await newPartnerUser('inv-once');
    const teamId = await team(owner.idToken);
    const first = await user(uniqueEmail('first'));
    const used = await invite(owner.idToken, teamId, first.email);
    expect((await accept(used.acceptPath, first.idToken)).status).toBe(201);
    const reused = await accept(used.acceptPath, first.idToken);
    expect(reused.status).toBe(409);
    expect(reused.body.error?.code).toBe('invitation_not_pending');

    const stored = await tableItem(`PARTNER#${teamId}`, `INVITATION#${used.invitation.id}`);
    expect(stored).toMatchObject({ status: 'accepted', acceptedBy: first.sub });
    expect(JSON.stringify(stored)).not.toContain(used.token);
    expect(stored?.tokenHash).toMatch(/^[a-f0-9]{64}$/);

    // Revoked: refused from the moment the DELETE answers.
    const second = await user(uniqueEmail('second'));
    const revoked = await invite(owner.idToken, teamId, second.email);
    const deleted = await api('DELETE', `/partners/${teamId}/invitations/${revoked.invitation.id}`, {
      token: owner.idToken,
    });
    expect(deleted.status, deleted.text).toBe(204);
    const afterRevoke = await accept(revoked.acceptPath, second.idToken);
    expect(afterRevoke.status).toBe(409);
    expect(afterRevoke.body.error?.code).toBe('invitation_not_pending');
    const revokeAgain = await api('DELETE', `/partners/${teamId}/invitations/${revoked.invitation.id}`, {
      token: owner.idToken,
    });
    expect(revokeAgain.status).toBe(409);

    // Expired: seven days later (the stored expiry moved into the past).
    const third = await user(uniqueEmail('third'));
    const late = await invite(owner.idToken, teamId, third.email);
    const expiresIn = Date.parse(late.invitation.expiresAt) - Date.now();
    expect(expiresIn).toBeGreaterThan(7 * 24 * 3_600_000 - 60_000);
    expect(expiresIn).toBeLessThanOrEqual(7 * 24 * 3_600_000);
    await dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: { PK: `PARTNER#${teamId}`, SK: `INVITATION#${late.invitation.id}` },
        UpdateExpression: 'SET expiresAt = :past',
        ExpressionAttributeValues: { ':past': new Date(Date.now() - 1_000).toISOString() },
      }),
    );
    const expired = await accept(late.acceptPath, third.idToken);
    expect(expired.status).toBe(409);
    expect(expired.body.error?.code).toBe('invitation_expired');

    const list = await api<{ invitations: Array<{ id: string; status: string }> }>(
      'GET',
      `/partners/${teamId}/invitations`,
      { token: owner.idToken },
    );
    expect(list.status).toBe(200);
    expect(Object.fromEntries(list.body.invitations.map((i) => [i.id, i.status]))).toEqual({
      [used.invitation.id]: 'accepted',
      [revoked.invitation.id]: 'revoked',
      [late.invitation.id]: 'expired',
    });
    expect(list.text).not.toContain('tokenHash');
    for (const token of [used.token, revoked.token, late.token]) expect(list.text).not.toContain(token);
    const members = await api<{ members: Array<{ userSub: string }> }>('GET', `/partners/${teamId}/members`, {
      token: owner.idToken,
    });
    expect(members.body.members.map((m) => m.userSub).sort()).toEqual([owner.sub, first.sub].sort());
  });

  it('admins invite too; members cannot; the email lookup route is gone', async () => {
    const owner = await newPartnerUser('inv-roles');
    const admin = await newPartnerUser('inv-admin');
    const member = await newPartnerUser('inv-member');
    const teamId = await team(owner.idToken);
    await joinTeam(owner.idToken, teamId, admin, 'admin');
    await joinTeam(admin.idToken, teamId, member, 'member');
    const refused = await api('POST', `/partners/${teamId}/invitations`, {
      token: member.idToken,
      body: { email: uniqueEmail('x') },
    });
    expect(refused.status).toBe(403);
    const lookup = await api('POST', `/partners/${teamId}/members`, {
      token: owner.idToken,
      body: { email: member.email },
    });
    expect([404, 405]).toContain(lookup.status);
  });
});
