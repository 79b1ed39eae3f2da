import { describe, expect, it } from 'vitest';
import { signOnboardingState } from '#core/signed-state';
import { newPartnerUser, type PartnerBody, tableItem, withHeldDeliveries } from '#tests/connect';
import { api, stackInfo } from '#tests/local';
import { changesSince, markState, NO_CHANGE, stripeCallsSince, stripeLogMark } from '#tests/table-snapshot';

/** Cross-partner attempts, bad input, public redirect routes and admin-only routes: refused precisely, nothing written. */

describe('cross-partner access', () => {
  it("refuses every route naming another user's partner with 404 partner_not_found, and changes nothing", async () => {
    const alice = await newPartnerUser('victim');
    const mallory = await newPartnerUser('mallory');
    const other = `?partnerId=${alice.partnerId}`;
    const before = await markState();
    for (const [method, path, body] of [
      ['GET', `/partners/me${other}`, undefined],
      ['GET', `/connect/status${other}`, undefined],
      ['GET', `/connect/payouts${other}`, undefined],
      ['POST', `/connect/account${other}`, {}],
      ['POST', `/connect/onboarding-link${other}`, {}],
      ['POST', `/connect/dashboard-link${other}`, undefined],
      ['PUT', `/partners/me/payout-preference${other}`, { method: 'manual' }],
      ['GET', `/partners/${alice.partnerId}/members`, undefined],
      ['POST', `/partners/${alice.partnerId}/invitations`, { email: mallory.email }],
      ['GET', `/partners/${alice.partnerId}/invitations`, undefined],
      ['PUT', `/partners/${alice.partnerId}/contact-email`, { email: mallory.email }],
      ['DELETE', `/partners/${alice.partnerId}/members/${alice.sub}`, undefined],
    ] as const) {
      const refused = await api(method, path, { token: mallory.idToken, ...(body ? { body } : {}) });
      expect(refused.status, `${method} ${path}`).toBe(404);
      expect(refused.body).toMatchObject({ error: { code: 'partner_not_found' } });
    }
    expect(await changesSince(before)).toEqual(NO_CHANGE);
    const profile = await api<PartnerBody>('GET', '/partners/me', { token: alice.idToken });
    expect(profile.body).toMatchObject({ stripeAccountId: null, payoutPreference: 'stripe', version: 1 });
    expect(await tableItem(`PARTNER#${alice.partnerId}`, `MEMBER#${mallory.sub}`)).toBeUndefined();
  });

  it('ignores identity in the body: partner routes act on the token only', async () => {
    const alice = await newPartnerUser('body-identity');
    const refused = await api('POST', '/connect/account', {
      token: alice.idToken,
      body: { partnerId: 'ptn_000000000000000000000000' },
    });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: { code: 'validation_error' } });
  });

  it('refuses partner routes without a token (401)', async () => {
    for (const [method, path] of [
      ['GET', '/partners/me'],
      ['GET', '/partners'],
      ['POST', '/connect/onboarding-link'],
      ['GET', '/connect/status'],
      ['GET', '/admin/partners'],
    ] as const) {
      expect((await api(method, path)).status, `${method} ${path}`).toBe(401);
    }
  });
});

describe('bad input', () => {
  it('answers malformed JSON, unknown fields, wrong types, bad ids, oversized and non-JSON bodies precisely', async () => {
    const bob = await newPartnerUser('bad-input');
    const before = await markState();
    const cases: Array<[string, Parameters<typeof api>[2], number, string]> = [
      [
        'malformed JSON',
        { rawBody: '{"country": "US"', headers: { 'content-type': 'application/json' } },
        400,
        'invalid_json',
      ],
      ['unknown field', { body: { country: 'US', iban: 'DE00' } }, 400, 'validation_error'],
      ['wrong type', { body: { country: 42 } }, 400, 'validation_error'],
      ['not a country code', { body: { country: 'USA' } }, 400, 'validation_error'],
      ['bad business type', { body: { businessType: 'llc' } }, 400, 'validation_error'],
      ['oversized body', { body: { country: 'US', pad: 'x'.repeat(70 * 1024) } }, 413, 'payload_too_large'],
      [
        'not JSON',
        { rawBody: 'country=US', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
        415,
        'unsupported_media_type',
      ],
    ];
    for (const [name, options, status, code] of cases) {
      const response = await api('POST', '/connect/account', { token: bob.idToken, ...options });
      expect(response.status, name).toBe(status);
      expect(response.body, name).toMatchObject({ error: { code } });
    }
    const badId = await api('GET', '/partners/me?partnerId=not-a-partner', { token: bob.idToken });
    expect(badId.status).toBe(400);
    const badQuery = await api('GET', '/connect/status?refresh=yes', { token: bob.idToken });
    expect(badQuery.status).toBe(400);
    const team = await api('POST', '/partners', { token: bob.idToken, body: { name: '' } });
    expect(team.status).toBe(400);
    expect(await changesSince(before)).toEqual(NO_CHANGE);
    const me = await api<PartnerBody>('GET', '/partners/me', { token: bob.idToken });
    expect(me.body).toMatchObject({ stripeAccountId: null, version: 1 });
    const list = await api<{ partners: PartnerBody[] }>('GET', '/partners', { token: bob.idToken });
    expect(list.body.partners).toHaveLength(1);
  });
});

describe('public onboarding redirects', () => {
  it('a tampered, foreign or missing state gets a 400 page and no Stripe call', async () => {
    const carol = await newPartnerUser('tamper');
    const link = await api<{ url: string }>('POST', '/connect/onboarding-link', { token: carol.idToken, body: {} });
    expect(link.status).toBe(200);
    // The state of the link we made, read from the emulator's record of refresh_url (open the page once).
    const page = await fetch(link.body.url, { redirect: 'manual' });
    expect(page.status).toBe(200);
    const reopened = await fetch(link.body.url, { redirect: 'manual' });
    const refreshUrl = new URL(reopened.headers.get('location') ?? '');
    const state = refreshUrl.searchParams.get('state') ?? '';
    const [body, mac] = state.split('.');
    const decoded = JSON.parse(Buffer.from(body ?? '', 'base64url').toString('utf8')) as {
      p: string;
      s: string;
      v: number;
      e: number;
    };

    const forged = [
      `${state}x`,
      `${Buffer.from(JSON.stringify({ ...decoded, p: 'ptn_000000000000000000000000' })).toString('base64url')}.${mac}`,
      `${Buffer.from(JSON.stringify({ ...decoded, e: decoded.e + 86_400 })).toString('base64url')}.${mac}`,
      '',
    ];
    // Webhooks held: any Stripe call after the mark, of any kind (reads, account links…), is one of these requests'.
    await withHeldDeliveries(async () => {
      const before = await markState();
      for (const route of ['/connect/refresh', '/connect/return']) {
        for (const value of forged) {
          const response = await fetch(`${stackInfo().apiUrl}${route}?state=${encodeURIComponent(value)}`, {
            redirect: 'manual',
          });
          expect(response.status, `${route} ${value.slice(0, 12)}`).toBe(400);
          expect(response.headers.get('content-type')).toMatch(/text\/html/);
          expect(await response.text()).toContain('not valid');
        }
      }
      // A genuinely signed state that has expired (the local stack's key is in the environment it shares with tests).
      const key = process.env.LOCAL_STATE_SIGNING_KEY;
      expect(key, 'LOCAL_STATE_SIGNING_KEY from the local stack').toBeTruthy();
      const expired = signOnboardingState(key ?? '', {
        partnerId: decoded.p,
        userSub: decoded.s,
        stateVersion: decoded.v,
        expiresAt: Math.floor(Date.now() / 1000) - 1,
      });
      for (const route of ['/connect/refresh', '/connect/return']) {
        const response = await fetch(`${stackInfo().apiUrl}${route}?state=${expired}`, { redirect: 'manual' });
        expect(response.status).toBe(400);
        expect(await response.text()).toContain('expired');
      }
      expect(await stripeCallsSince(before.stripe, false)).toEqual([]);
      expect(await changesSince(before)).toEqual(NO_CHANGE);

      // Control: the genuine state does reach Stripe (a fresh account link), and the log shows it.
      const mark = await stripeLogMark();
      const genuine = await fetch(`${stackInfo().apiUrl}/connect/refresh?state=${encodeURIComponent(state)}`, {
        redirect: 'manual',
      });
      expect(genuine.status).toBe(302);
      expect((await stripeCallsSince(mark, false)).map((c) => [c.method, c.path, c.status])).toEqual([
        ['POST', '/v1/account_links', 200],
      ]);
    });
  });
});

describe('admin routes', () => {
  it('refuses non-admins with 403', async () => {
    const partner = await newPartnerUser('not-admin');
    const refused = await api('GET', '/admin/partners', { token: partner.idToken });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: { code: 'forbidden' } });
  });

  it('lists partners newest first, by status, page by page with an opaque cursor', async () => {
    const admin = await newPartnerUser('admin', { admin: true });
    const created: string[] = [];
    for (let i = 0; i < 3; i += 1) created.push((await newPartnerUser(`listed-${i}`)).partnerId);

    type Page = { partners: Array<{ id: string; status: string; createdAt: string }>; nextCursor: string | null };
    const seen: Array<{ id: string; createdAt: string }> = [];
    let cursor: string | null = null;
    for (let page = 0; page < 50; page += 1) {
      const query: string = `/admin/partners?status=not_set_up&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const response = await api<Page>('GET', query, { token: admin.idToken });
      expect(response.status).toBe(200);
      expect(response.body.partners.length).toBeLessThanOrEqual(2);
      for (const partner of response.body.partners) expect(partner.status).toBe('not_set_up');
      seen.push(...response.body.partners);
      cursor = response.body.nextCursor;
      if (!cursor || created.every((id) => seen.some((p) => p.id === id))) break;
    }
    for (const id of created) expect(seen.map((p) => p.id)).toContain(id);
    const times = seen.map((p) => p.createdAt);
    expect([...times].sort().reverse()).toEqual(times);
    expect(new Set(seen.map((p) => p.id)).size).toBe(seen.length);

    const all = await api<Page>('GET', '/admin/partners?limit=5', { token: admin.idToken });
    expect(all.status).toBe(200);
    expect(all.body.partners.length).toBe(5);
    expect(all.body.nextCursor).toEqual(expect.any(String));
    const next = await api<Page>('GET', `/admin/partners?limit=5&cursor=${all.body.nextCursor}`, {
      token: admin.idToken,
    });
    expect(next.body.partners.every((p) => p.createdAt <= (all.body.partners.at(-1)?.createdAt ?? ''))).toBe(true);

    for (const bad of [
      'status=gone',
      'cursor=!!',
      `cursor=${Buffer.from('nope').toString('base64url')}`,
      'limit=0',
      'limit=1000',
    ]) {
      const refused = await api('GET', `/admin/partners?${bad}`, { token: admin.idToken });
      expect(refused.status, bad).toBe(400);
    }
  });
});
