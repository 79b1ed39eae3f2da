import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import type { Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newPage } from '#tests/browser';
import { stackInfo } from '#tests/local';

/**
 * The AWS sign-in path (Cognito managed login: OAuth 2.0 authorization code flow with PKCE through oidc-client-ts)
 * driven for real in the browser, against a real OpenID Connect authorization server on loopback: oidc-provider,
 * configured as Cognito's app client is (public client, code flow, PKCE required, refresh tokens, a `/logout` that
 * sends the browser back to the app's logout URL). The app gets the managed-login `config.json` that the deployment
 * writes, and the page's CSP gets the login domain in `connect-src`, as CloudFront's policy has Cognito's.
 */
const CLIENT_ID = 'web-app';
const EMAIL = 'managed.user@example.com';
/** Short, so the app's silent refresh (a minute before expiry) runs within the test. */
const ID_TOKEN_SECONDS = 62;

let issuer = '';
const server = http.createServer();
const logouts: URLSearchParams[] = [];

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  // The app is served from localhost: the provider is on the same host name.
  issuer = `http://localhost:${(server.address() as AddressInfo).port}`;
  const app = `${stackInfo().apiUrl}/app/`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [`${app}auth/callback`],
        post_logout_redirect_uris: [app],
      },
    ],
    pkce: { required: () => true },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    findAccount: (_ctx, id) => ({ accountId: id, claims: () => ({ sub: id, email: id, email_verified: true }) }),
    // Cognito issues a refresh token to a code-flow client without `offline_access`.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    ttl: { IdToken: ID_TOKEN_SECONDS, AccessToken: ID_TOKEN_SECONDS, RefreshToken: 3600 },
    clientBasedCORS: () => true,
    // Cognito's ID token carries the email (the app reads it there), not only the userinfo endpoint.
    conformIdTokenClaims: false,
    cookies: { keys: ['managed-login-test'] },
    features: { devInteractions: { enabled: true } },
  });
  // Cognito's managed login ends the session at `/logout?client_id=&logout_uri=` and redirects to a registered URL.
  provider.use(async (ctx, next) => {
    if (ctx.path !== '/logout') return next();
    const query = new URLSearchParams(ctx.querystring);
    logouts.push(query);
    if (query.get('client_id') !== CLIENT_ID || query.get('logout_uri') !== app) {
      ctx.status = 400;
      return;
    }
    ctx.redirect(app);
  });
  server.on('request', provider.callback());
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/**
 * A page whose app is configured for managed login against the provider above. The local server's CSP names
 * cognito-local, not this provider, so CSP is not applied in this page (the AWS policy, which names the Cognito
 * domain, is checked on the CDK template).
 */
async function managedLoginPage(): Promise<Page> {
  const page = await newPage({ bypassCSP: true });
  const context = page.context();
  const apiUrl = stackInfo().apiUrl;
  // Nothing leaves the machine (the provider's login page links a web font).
  await context.route(
    (url) => url.hostname !== '127.0.0.1' && url.hostname !== 'localhost',
    (route) => route.abort(),
  );
  await context.route(`${apiUrl}/app/config.json`, (route) =>
    route.fulfill({
      json: { apiUrl, auth: { mode: 'oidc', authority: issuer, clientId: CLIENT_ID, domain: issuer } },
    }),
  );
  return page;
}

const form = (request: Request) => new URLSearchParams(request.postData() ?? '');

describe('managed login (authorization code + PKCE) against a real OpenID Connect server', () => {
  it('signs in with the code flow and PKCE; the ID token is what the API calls carry; silent refresh; sign-out', async () => {
    const page = await managedLoginPage();
    // Every ID token the provider issued, by grant, and the Authorization header of every API call.
    const issued: Array<{ grant: string; idToken: string }> = [];
    const apiAuthorization: string[] = [];
    let verifier = '';
    page.on('requestfinished', async (r) => {
      if (r.url() !== `${issuer}/token`) return;
      const grant = form(r).get('grant_type') ?? '';
      if (grant === 'authorization_code') verifier = form(r).get('code_verifier') ?? '';
      const body = (await (await r.response())?.json()) as { id_token?: string };
      if (body.id_token) issued.push({ grant, idToken: body.id_token });
    });
    page.on('request', (r) => {
      const url = new URL(r.url());
      if (url.origin === stackInfo().apiUrl && !url.pathname.startsWith('/app')) {
        apiAuthorization.push(r.headers().authorization ?? '');
      }
    });
    const session = async () =>
      JSON.parse((await page.evaluate(() => sessionStorage.getItem('connect-payouts.session'))) ?? 'null') as {
        idToken: string;
        email: string;
      } | null;

    await page.goto('/app/earnings');
    await page.waitForURL(/\/app\/signin\?next=/);
    const authorize = page.waitForRequest((r) => r.url().startsWith(`${issuer}/auth?`));
    await page.getByRole('button', { name: 'Sign in' }).click();
    const query = new URL((await authorize).url()).searchParams;
    expect(query.get('response_type')).toBe('code');
    expect(query.get('client_id')).toBe(CLIENT_ID);
    expect(query.get('code_challenge_method')).toBe('S256');
    expect(query.get('code_challenge')).toMatch(/^[\w-]{43}$/);

    // The provider's own login and consent pages.
    await page.locator('input[name="login"]').fill(EMAIL);
    await page.locator('input[name="password"]').fill('any password');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();

    // Back in the app, on the page asked for, signed in as the provider's account through the code exchange, whose
    // verifier is the one the challenge was made from (the provider requires PKCE: without it there is no code).
    await page.waitForURL(/\/app\/earnings$/);
    await expect.poll(() => issued.map((i) => i.grant)).toContain('authorization_code');
    expect(createHash('sha256').update(verifier).digest('base64url')).toBe(query.get('code_challenge'));
    expect((await session())?.email).toBe(EMAIL);
    await expect.poll(() => apiAuthorization.length).toBeGreaterThan(0);

    // Silent refresh: within a minute of expiry the app redeems the refresh token (no page leaves the app), and
    // from then on the API calls carry a renewed ID token.
    await expect.poll(() => issued.some((i) => i.grant === 'refresh_token'), { timeout: 15_000 }).toBe(true);
    const first = issued.find((i) => i.grant === 'authorization_code')?.idToken;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Payouts' }).click();
    await page.waitForURL(/\/app\/payouts$/);
    const renewed = () => issued.filter((i) => i.grant === 'refresh_token').map((i) => `Bearer ${i.idToken}`);
    await expect.poll(() => renewed().includes(apiAuthorization.at(-1) ?? '')).toBe(true);
    // Every API call carried an ID token this provider issued (read as each token answer completes), and the
    // latest is not the first one.
    const foreign = () => apiAuthorization.filter((h) => !issued.some((i) => h === `Bearer ${i.idToken}`));
    await expect.poll(foreign).toEqual([]);
    expect(apiAuthorization.at(-1)).not.toBe(`Bearer ${first}`);
    const latest = (await session())?.idToken;
    expect(latest).not.toBe(first);

    // Sign-out: the login domain's /logout, then back to the app, signed out, with no token left in the tab.
    // (The app may show its sign-in route before it leaves for /logout: wait for the provider's answer, then for the
    // sign-in page it leads back to.)
    const loggedOut = page.waitForResponse((r) => r.url().startsWith(`${issuer}/logout?`));
    const backInApp = page.waitForResponse(
      (r) => r.url() === `${stackInfo().apiUrl}/app/` && r.request().isNavigationRequest(),
    );
    await page.getByRole('button', { name: 'Sign out' }).click();
    expect((await loggedOut).status()).toBe(302);
    await backInApp;
    await page.waitForURL(/\/app\/signin/);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(logouts.at(-1)?.get('client_id')).toBe(CLIENT_ID);
    expect(await session()).toBeNull();
    const stored = await page.evaluate(() => JSON.stringify({ ...sessionStorage }));
    expect(stored).not.toContain(latest ?? 'none');
    expect(stored).not.toContain('refresh_token');
  });
});
