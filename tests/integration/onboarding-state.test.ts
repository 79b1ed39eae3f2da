import { describe, expect, it } from 'vitest';
import { joinTeam, newPartnerUser, type PartnerBody, stripeSdk } from '#tests/connect';
import { api, stackInfo } from '#tests/local';
import { changesSince, markState, NO_CHANGE, stripeCallsSince, stripeLogMark } from '#tests/table-snapshot';

/**
 * The signed state of `/connect/refresh` and `/connect/return` speaks for a member of the partner, only while they
 * still are one: removing a member ends every onboarding state issued before, states live minutes, refreshes are
 * rate-limited per partner, and a team's Express account gets the team's contact email.
 */

async function teamWithAdmin(prefix: string) {
  const owner = await newPartnerUser(`${prefix}-owner`);
  const admin = await newPartnerUser(`${prefix}-admin`);
  const created = await api<PartnerBody>('POST', '/partners', { token: owner.idToken, body: { name: 'Print shop' } });
  expect(created.status).toBe(201);
  await joinTeam(owner.idToken, created.body.id, admin, 'admin');
  return { owner, admin, teamId: created.body.id };
}

/** An onboarding link for the team by `token`, and the refresh/return URLs Stripe holds for it. */
async function captureLink(token: string, teamId: string) {
  const link = await api<{ url: string }>('POST', `/connect/onboarding-link?partnerId=${teamId}`, {
    token,
    body: {},
  });
  expect(link.status, link.text).toBe(200);
  // Opening a link a second time sends the browser to its refresh_url (the emulator does as Stripe does).
  expect((await fetch(link.body.url, { redirect: 'manual' })).status).toBe(200);
  const reopened = await fetch(link.body.url, { redirect: 'manual' });
  const refreshUrl = reopened.headers.get('location') ?? '';
  expect(refreshUrl).toContain('/connect/refresh?state=');
  const state = new URL(refreshUrl).searchParams.get('state') ?? '';
  return { refreshUrl, returnUrl: `${stackInfo().apiUrl}/connect/return?state=${encodeURIComponent(state)}`, state };
}

const claimsOf = (state: string) =>
  JSON.parse(Buffer.from(state.split('.')[0] ?? '', 'base64url').toString('utf8')) as {
    p: string;
    s: string;
    v: number;
    e: number;
  };

describe('onboarding state bound to membership', () => {
  it("a removed admin's captured refresh state is refused at once: no link, no Stripe call, nothing written", async () => {
    const { owner, admin, teamId } = await teamWithAdmin('removed');
    const captured = await captureLink(admin.idToken, teamId);
    expect(claimsOf(captured.state)).toMatchObject({ p: teamId, s: admin.sub, v: 0 });

    // Positive control: while the admin is a member, the state mints a fresh link.
    const before = await fetch(captured.refreshUrl, { redirect: 'manual' });
    expect(before.status).toBe(302);

    const removed = await api('DELETE', `/partners/${teamId}/members/${admin.sub}`, { token: owner.idToken });
    expect(removed.status).toBe(204);

    const mark = await markState();
    const readsMark = await stripeLogMark();
    for (const url of [captured.refreshUrl, captured.returnUrl]) {
      const response = await fetch(url, { redirect: 'manual' });
      expect(response.status, url).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      expect(await response.text()).toContain('no longer valid');
    }
    expect(await changesSince(mark)).toEqual(NO_CHANGE);
    expect(await stripeCallsSince(readsMark, false)).toEqual([]);

    // The owner's own state (issued after the removal) still works.
    const ownerLink = await captureLink(owner.idToken, teamId);
    expect(claimsOf(ownerLink.state)).toMatchObject({ s: owner.sub, v: 1 });
    expect((await fetch(ownerLink.returnUrl, { redirect: 'manual' })).status).toBe(200);
  });

  it("any member leaving ends the states issued before, even another member's", async () => {
    const { owner, admin, teamId } = await teamWithAdmin('leaving');
    const other = await newPartnerUser('leaving-member');
    await joinTeam(owner.idToken, teamId, other, 'member');
    const captured = await captureLink(admin.idToken, teamId);
    const left = await api('DELETE', `/partners/${teamId}/members/${other.sub}`, { token: other.idToken });
    expect(left.status).toBe(204);
    const response = await fetch(captured.returnUrl, { redirect: 'manual' });
    expect(response.status).toBe(400);
  });

  it('states live minutes, not days', async () => {
    const { admin, teamId } = await teamWithAdmin('ttl');
    const { state } = await captureLink(admin.idToken, teamId);
    const lifetime = claimsOf(state).e - Math.floor(Date.now() / 1000);
    expect(lifetime).toBeGreaterThan(60);
    expect(lifetime).toBeLessThanOrEqual(15 * 60);
  });

  it('refreshes are rate-limited per partner: a burst mints one Account Link', async () => {
    const { admin, teamId } = await teamWithAdmin('burst');
    const { refreshUrl } = await captureLink(admin.idToken, teamId);
    const mark = await stripeLogMark();
    const responses = await Promise.all(Array.from({ length: 6 }, () => fetch(refreshUrl, { redirect: 'manual' })));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([302, 429, 429, 429, 429, 429]);
    const links = (await stripeCallsSince(mark)).filter((call) => call.path === '/v1/account_links');
    expect(links).toHaveLength(1);
  });

  it("the team's account gets the owner's contact email (or the one the owner set), never the clicking admin's", async () => {
    const { owner, admin, teamId } = await teamWithAdmin('contact');
    const refused = await api('PUT', `/partners/${teamId}/contact-email`, {
      token: admin.idToken,
      body: { email: admin.email },
    });
    expect(refused.status).toBe(403);
    const set = await api<PartnerBody>('PUT', `/partners/${teamId}/contact-email`, {
      token: owner.idToken,
      body: { email: 'Payouts@Print-Shop.example' },
    });
    expect(set.status, set.text).toBe(200);
    const created = await api<{ accountId: string }>('POST', `/connect/account?partnerId=${teamId}`, {
      token: admin.idToken,
      body: {},
    });
    expect(created.status).toBe(201);
    const account = await stripeSdk().accounts.retrieve(created.body.accountId);
    expect(account.email).toBe('payouts@print-shop.example');
    expect(account.email).not.toBe(admin.email);
    expect(owner.email).not.toBe(account.email);
  });
});
