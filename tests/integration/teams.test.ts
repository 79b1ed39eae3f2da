import { describe, expect, it } from 'vitest';
import {
  connectStatus,
  type InvitationBody,
  joinTeam,
  newPartnerUser,
  onboard,
  type PartnerBody,
  stripeSdk,
} from '#tests/connect';
import { api } from '#tests/local';
import { changesSince, markState, NO_CHANGE } from '#tests/table-snapshot';

/** Team partners: members by invitation, roles, leaving, and what each role may do. */

async function team(ownerToken: string, name = 'Corner Store') {
  const created = await api<PartnerBody>('POST', '/partners', { token: ownerToken, body: { name } });
  expect(created.status).toBe(201);
  return created.body;
}

interface MemberBody {
  userSub: string;
  email: string;
  role: string;
}

describe('the member write (DynamoDB condition)', () => {
  it('refuses a member for a partner that is not a team when written, whatever the caller believed', async () => {
    const { dynamoPartnerRepository } = await import('#adapters/dynamodb/partner-repository');
    const owner = await newPartnerUser('stale-team');
    const other = await newPartnerUser('stale-member');
    const personal = await dynamoPartnerRepository.get(owner.partnerId);
    if (!personal) throw new Error('no personal partner');
    const before = await markState();
    await expect(
      dynamoPartnerRepository.addMember(
        { ...personal, kind: 'team' },
        { sub: other.sub, email: other.email, role: 'member' },
        new Date().toISOString(),
      ),
    ).rejects.toMatchObject({ code: 'partner_not_found' });
    expect(await changesSince(before)).toEqual(NO_CHANGE);
  });
});

describe('teams', () => {
  it('the creator owns the team; GET /partners lists personal and team partners with roles', async () => {
    const owner = await newPartnerUser('team-owner');
    const store = await team(owner.idToken);
    expect(store).toMatchObject({ kind: 'team', name: 'Corner Store', role: 'owner', status: 'not_set_up' });
    const list = await api<{ partners: PartnerBody[] }>('GET', '/partners', { token: owner.idToken });
    expect(list.body.partners.map((p) => [p.id, p.kind, p.role]).sort()).toEqual(
      [
        [owner.partnerId, 'personal', 'owner'],
        [store.id, 'team', 'owner'],
      ].sort(),
    );
  });

  it('owner invites a user by email; the member sees earnings but cannot manage anything', async () => {
    const owner = await newPartnerUser('owner');
    const member = await newPartnerUser('member');
    const store = await team(owner.idToken);
    const added = await joinTeam(owner.idToken, store.id, { ...member, email: member.email.toUpperCase() });
    expect(added).toMatchObject({ userSub: member.sub, email: member.email, role: 'member' });

    const asMember = `?partnerId=${store.id}`;
    const profile = await api<PartnerBody>('GET', `/partners/me${asMember}`, { token: member.idToken });
    expect(profile.status).toBe(200);
    expect(profile.body).toMatchObject({ id: store.id, role: 'member' });
    expect((await api('GET', `/connect/payouts${asMember}`, { token: member.idToken })).status).toBe(200);
    expect((await connectStatus(member.idToken, store.id)).status).toBe(200);

    for (const [method, path, body] of [
      ['POST', `/connect/onboarding-link${asMember}`, {}],
      ['POST', `/connect/account${asMember}`, {}],
      ['POST', `/connect/dashboard-link${asMember}`, undefined],
      ['PUT', `/partners/me/payout-preference${asMember}`, { method: 'manual' }],
      ['GET', `/partners/${store.id}/members`, undefined],
      ['POST', `/partners/${store.id}/invitations`, { email: owner.email }],
      ['GET', `/partners/${store.id}/invitations`, undefined],
    ] as const) {
      const refused = await api(method, path, { token: member.idToken, ...(body ? { body } : {}) });
      expect(refused.status, `${method} ${path}`).toBe(403);
      expect(refused.body).toMatchObject({ error: { code: 'insufficient_role' } });
    }
    const unchanged = await api<PartnerBody>('GET', `/partners/me${asMember}`, { token: owner.idToken });
    expect(unchanged.body).toMatchObject({ stripeAccountId: null, payoutPreference: 'stripe', version: 1 });
  });

  it("an admin runs onboarding for the team; the Express account belongs to the team and gets the owner's email", async () => {
    const owner = await newPartnerUser('admin-owner');
    const admin = await newPartnerUser('team-admin');
    const store = await team(owner.idToken, 'Food Truck');
    await joinTeam(owner.idToken, store.id, admin, 'admin');
    await onboard(admin.idToken, 'complete', store.id);
    const status = await connectStatus(owner.idToken, store.id);
    expect(status.body.status).toBe('active');
    const profile = await api<PartnerBody>('GET', `/partners/me?partnerId=${store.id}`, { token: owner.idToken });
    const account = await stripeSdk().accounts.retrieve(profile.body.stripeAccountId ?? '');
    expect(account.metadata).toEqual({ partner_id: store.id });
    // The team's contact email (the owner's), never the address of the admin who clicked.
    expect(account.email).toBe(owner.email);
    expect(account.email).not.toBe(admin.email);
    // The admin's own personal partner is untouched.
    expect((await connectStatus(admin.idToken)).body.status).toBe('not_set_up');
    const preference = await api('PUT', `/partners/me/payout-preference?partnerId=${store.id}`, {
      token: admin.idToken,
      body: { method: 'manual' },
    });
    expect(preference.status).toBe(200);
    const members = await api<{ members: MemberBody[] }>('GET', `/partners/${store.id}/members`, {
      token: admin.idToken,
    });
    expect(members.body.members.map((m) => m.role).sort()).toEqual(['admin', 'owner']);
  });

  it('refuses duplicates, personal partners and an owner role with precise codes', async () => {
    const owner = await newPartnerUser('refusals');
    const other = await newPartnerUser('refusals-other');
    const store = await team(owner.idToken);
    await joinTeam(owner.idToken, store.id, other);
    const again = await api<InvitationBody>('POST', `/partners/${store.id}/invitations`, {
      token: owner.idToken,
      body: { email: other.email, role: 'admin' },
    });
    expect(again.status).toBe(201);
    const twice = await api('POST', again.body.acceptPath, { token: other.idToken });
    expect(twice.status).toBe(409);
    expect(twice.body).toMatchObject({ error: { code: 'already_a_member' } });

    const personal = await api('POST', `/partners/${owner.partnerId}/invitations`, {
      token: owner.idToken,
      body: { email: other.email },
    });
    expect(personal.status).toBe(422);
    expect(personal.body).toMatchObject({ error: { code: 'not_a_team' } });

    const ownerRole = await api('POST', `/partners/${store.id}/invitations`, {
      token: owner.idToken,
      body: { email: other.email, role: 'owner' },
    });
    expect(ownerRole.status).toBe(400);

    const members = await api<{ members: MemberBody[] }>('GET', `/partners/${store.id}/members`, {
      token: owner.idToken,
    });
    expect(members.body.members).toHaveLength(2);
  });

  it('a removed member loses access at once; members may leave; the owner cannot be removed', async () => {
    const owner = await newPartnerUser('remove-owner');
    const gone = await newPartnerUser('removed');
    const leaver = await newPartnerUser('leaver');
    const store = await team(owner.idToken);
    for (const person of [gone, leaver]) await joinTeam(owner.idToken, store.id, person);
    const removed = await api('DELETE', `/partners/${store.id}/members/${gone.sub}`, { token: owner.idToken });
    expect(removed.status).toBe(204);
    const after = await api('GET', `/partners/me?partnerId=${store.id}`, { token: gone.idToken });
    expect(after.status).toBe(404);
    expect(after.body).toMatchObject({ error: { code: 'partner_not_found' } });
    const list = await api<{ partners: PartnerBody[] }>('GET', '/partners', { token: gone.idToken });
    expect(list.body.partners.map((p) => p.id)).not.toContain(store.id);

    const removeAgain = await api('DELETE', `/partners/${store.id}/members/${gone.sub}`, { token: owner.idToken });
    expect(removeAgain.status).toBe(404);
    expect(removeAgain.body).toMatchObject({ error: { code: 'member_not_found' } });

    const removeOwner = await api('DELETE', `/partners/${store.id}/members/${owner.sub}`, { token: leaver.idToken });
    expect(removeOwner.status).toBe(403);
    const ownerLeaves = await api('DELETE', `/partners/${store.id}/members/${owner.sub}`, { token: owner.idToken });
    expect(ownerLeaves.status).toBe(422);
    expect(ownerLeaves.body).toMatchObject({ error: { code: 'cannot_remove_owner' } });

    const left = await api('DELETE', `/partners/${store.id}/members/${leaver.sub}`, { token: leaver.idToken });
    expect(left.status).toBe(204);
    const members = await api<{ members: MemberBody[] }>('GET', `/partners/${store.id}/members`, {
      token: owner.idToken,
    });
    expect(members.body.members.map((m) => m.userSub)).toEqual([owner.sub]);
  });
});
