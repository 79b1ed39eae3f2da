import { describe, expect, it } from 'vitest';
import { connectStatus, newPartnerUser, walkHostedOnboarding } from '#tests/connect';
import { api, stackInfo } from '#tests/local';
import { changesSince, markState, NO_CHANGE } from '#tests/table-snapshot';

/**
 * Onboarding ends in the platform's own app when the app names an allowed return target (the local stack allows
 * `connectpayouts-demo://` and `https://app.connect-payouts.localhost`): the return route re-reads the account and
 * sends the partner to the target with `?status=…`; an app that handles expired links itself gets
 * `?status=link_expired` from the refresh route. Anything not on the allow-list is refused before anything happens.
 */

const APP_SCHEME_RETURN = 'connectpayouts-demo://stripe-return';
const APP_SCHEME_REFRESH = 'connectpayouts-demo://stripe-refresh';
const WEB_RETURN = 'https://app.connect-payouts.localhost/onboarding/done?from=app';

const STATUS_OF: Record<string, string> = {
  active: 'active',
  pending_verification: 'pending',
  not_set_up: 'pending',
  restricted: 'restricted',
  disconnected: 'restricted',
};

async function linkFor(token: string, body: Record<string, unknown>) {
  return api<{ url: string; expiresAt: string }>('POST', '/connect/onboarding-link', { token, body });
}

/** Opens a link twice: the second opening sends the browser to the link's refresh URL (as Stripe does). */
async function refreshUrlOf(linkUrl: string): Promise<string> {
  expect((await fetch(linkUrl, { redirect: 'manual' })).status).toBe(200);
  const reopened = await fetch(linkUrl, { redirect: 'manual' });
  const refreshUrl = reopened.headers.get('location') ?? '';
  expect(refreshUrl.startsWith(`${stackInfo().apiUrl}/connect/refresh?state=`)).toBe(true);
  return refreshUrl;
}

describe('onboarding return targets', () => {
  it('ends at an allowed app scheme with the re-read status', async () => {
    const driver = await newPartnerUser('rt-scheme');
    const link = await linkFor(driver.idToken, { returnTo: APP_SCHEME_RETURN });
    expect(link.status, link.text).toBe(200);

    const returned = await walkHostedOnboarding(link.body.url, 'complete');
    expect(returned.status).toBe(302);
    const location = returned.headers.get('location') ?? '';
    const status = await connectStatus(driver.idToken);
    expect(location).toBe(`${APP_SCHEME_RETURN}?status=${STATUS_OF[status.body.status]}`);
    // The return re-read the account: the status the app is told is the one now stored.
    expect(status.body.detailsSubmitted).toBe(true);
  });

  it('ends at an allowed https origin, keeping the target’s own query', async () => {
    const partner = await newPartnerUser('rt-origin');
    const link = await linkFor(partner.idToken, { returnTo: WEB_RETURN });
    expect(link.status, link.text).toBe(200);

    const returned = await walkHostedOnboarding(link.body.url, 'abandon');
    expect(returned.status).toBe(302);
    const location = new URL(returned.headers.get('location') ?? '');
    expect(location.origin).toBe('https://app.connect-payouts.localhost');
    expect(location.pathname).toBe('/onboarding/done');
    expect(location.searchParams.get('from')).toBe('app');
    expect(location.searchParams.get('status')).toBe('pending');
  });

  it('refuses lookalike origins, user info tricks and other schemes: 400, nothing written, no Stripe call', async () => {
    const partner = await newPartnerUser('rt-refused');
    const refused = [
      { returnTo: 'https://app.connect-payouts.localhost.evil.example/done' },
      { returnTo: 'https://evil.example/?next=https://app.connect-payouts.localhost' },
      { returnTo: 'https://app.connect-payouts.localhost@evil.example/done' },
      { returnTo: 'https://user:pw@app.connect-payouts.localhost/done' },
      { returnTo: 'https://app.connect-payouts.localhost:8443/done' },
      { returnTo: 'http://app.connect-payouts.localhost/done' },
      { returnTo: 'connectpayouts-demo://evil.example@stripe-return' },
      { returnTo: 'connectpayouts-demo-evil://stripe-return' },
      { returnTo: 'javascript://app.connect-payouts.localhost/%0aalert(1)' },
      { refreshTo: 'umuvepro://stripe-refresh' },
    ];
    const mark = await markState();
    for (const body of refused) {
      const response = await linkFor(partner.idToken, body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body).toMatchObject({ error: { code: 'return_target_not_allowed' } });
    }
    expect(await changesSince(mark)).toEqual(NO_CHANGE);

    // Positive control: the same partner with an allowed target gets its link (and its account).
    const allowed = await linkFor(partner.idToken, { returnTo: APP_SCHEME_RETURN });
    expect(allowed.status, allowed.text).toBe(200);
  });

  it('without a target, behaves as before: the return shows a page (no app URL locally)', async () => {
    const partner = await newPartnerUser('rt-none');
    const link = await linkFor(partner.idToken, {});
    expect(link.status, link.text).toBe(200);
    const returned = await walkHostedOnboarding(link.body.url, 'complete');
    expect(returned.status).toBe(200);
    expect(returned.headers.get('content-type')).toContain('text/html');

    // And an expired link still gets a fresh Stripe link from the refresh route.
    const again = await linkFor(partner.idToken, {});
    const refreshed = await fetch(await refreshUrlOf(again.body.url), { redirect: 'manual' });
    expect(refreshed.status).toBe(302);
    expect(refreshed.headers.get('location') ?? '').not.toMatch(/^connectpayouts-demo:/);
  });

  it('refresh with an app target: back to the app with status=link_expired, no new Stripe link', async () => {
    const partner = await newPartnerUser('rt-refresh');
    const link = await linkFor(partner.idToken, { returnTo: APP_SCHEME_RETURN, refreshTo: APP_SCHEME_REFRESH });
    expect(link.status, link.text).toBe(200);
    const refreshUrl = await refreshUrlOf(link.body.url);

    const mark = await markState();
    const refreshed = await fetch(refreshUrl, { redirect: 'manual' });
    expect(refreshed.status).toBe(302);
    expect(refreshed.headers.get('location')).toBe(`${APP_SCHEME_REFRESH}?status=link_expired`);
    // No Account Link was minted and nothing written: the app asks for a new link itself.
    expect(await changesSince(mark)).toEqual(NO_CHANGE);

    // The app does so, and that link still ends in the app.
    const fresh = await linkFor(partner.idToken, { returnTo: APP_SCHEME_RETURN, refreshTo: APP_SCHEME_REFRESH });
    const returned = await walkHostedOnboarding(fresh.body.url, 'complete');
    expect(returned.headers.get('location') ?? '').toMatch(/^connectpayouts-demo:\/\/stripe-return\?status=/);
  });

  it('an embedded onboarding session can end at the app too (returnUrl)', async () => {
    const partner = await newPartnerUser('rt-embedded');
    const session = await api<{ returnUrl: string | null }>('POST', '/connect/account-session', {
      token: partner.idToken,
      body: { components: ['account_onboarding'], returnTo: APP_SCHEME_RETURN },
    });
    expect(session.status, session.text).toBe(200);
    expect(session.body.returnUrl?.startsWith(`${stackInfo().apiUrl}/connect/return?state=`)).toBe(true);
    const returned = await fetch(session.body.returnUrl ?? '', { redirect: 'manual' });
    expect(returned.status).toBe(302);
    expect(returned.headers.get('location')).toBe(`${APP_SCHEME_RETURN}?status=pending`);

    const without = await api<{ returnUrl: string | null }>('POST', '/connect/account-session', {
      token: partner.idToken,
      body: { components: ['account_onboarding'] },
    });
    expect(without.body.returnUrl).toBeNull();
    const refused = await api('POST', '/connect/account-session', {
      token: partner.idToken,
      body: { components: ['account_onboarding'], returnTo: 'https://app.connect-payouts.localhost.evil.example/' },
    });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: { code: 'return_target_not_allowed' } });
  });
});
