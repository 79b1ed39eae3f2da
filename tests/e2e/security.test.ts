import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signOnboardingState } from '#core/signed-state';
import type { LocalApiGateway } from '#local/api-gateway';
import { signPayload } from '#local/stripe-emulator/index';
import { ROUTES } from '#routes';
import { connectStatus, emulator, type PartnerBody, stripeSdk, tableItem, withHeldDeliveries } from '#tests/connect';
import { decodePayload, signRs256 } from '#tests/forged-tokens';
import { api, stackInfo } from '#tests/local';
import { activePayee, paidIntent, paymentRecord, platformEvents } from '#tests/payments';
import { buildWorld, checkoutBody, intentBody, probeOf, urlOf, type World } from '#tests/route-fixtures';
import { changesSince, markState, NO_CHANGE, stripeCallsSince, stripeLogMark } from '#tests/table-snapshot';

/**
 * Security beyond the authorization matrix: webhook secrets and replay windows, identity only from verified claims,
 * group spoofing, teams, secrets never in responses or logs, redirects and CORS, rate limits, size limits and
 * security headers. Each test checks what was (not) written in DynamoDB and at the Stripe emulator.
 */

let world: World;

beforeAll(async () => {
  world = await buildWorld('security');
}, 60_000);

const now = () => Math.floor(Date.now() / 1000);

async function expectNothingWritten(run: () => Promise<void>) {
  const before = await markState();
  await run();
  expect(await changesSince(before)).toEqual(NO_CHANGE);
}

function postSigned(path: string, payload: string, header: string) {
  return api<{ received?: boolean; duplicate?: boolean; error?: { code: string } }>('POST', path, {
    rawBody: payload,
    headers: { 'content-type': 'application/json', 'stripe-signature': header },
  });
}

describe('webhook signatures', () => {
  it("refuses an event signed with the other endpoint's secret, on both endpoints, writing nothing", async () => {
    const { paymentIntentId } = await paidIntent(world.mate.idToken, world.victim, 4_200, 'Cross secret');
    const [event] = await platformEvents([paymentIntentId], now() - 600);
    expect(event).toBeDefined();
    const payload = JSON.stringify({ ...event, id: `evt_cross_${Date.now()}` });
    const info = stackInfo();
    await expectNothingWritten(async () => {
      for (const [path, wrongSecret] of [
        ['/webhooks/stripe', info.connectWebhookSecret],
        ['/webhooks/stripe/connect', info.platformWebhookSecret],
      ] as const) {
        const response = await postSigned(path, payload, signPayload(payload, wrongSecret, now()));
        expect(response.status, path).toBe(400);
        expect(response.body, path).toMatchObject({ error: { code: 'invalid_signature' } });
      }
    });
  });

  it('refuses a genuine event replayed with an old timestamp; a fresh delivery of a processed event changes nothing', async () => {
    const { paymentId, paymentIntentId } = await paidIntent(world.mate.idToken, world.victim, 3_100, 'Replay');
    const paid = await paymentRecord(paymentId);
    expect(paid?.status).toBe('paid');
    const [succeeded] = await platformEvents([paymentIntentId], now() - 600).then((events) =>
      events.filter((event) => event.type === 'payment_intent.succeeded'),
    );
    expect(succeeded).toBeDefined();
    const payload = JSON.stringify(succeeded);
    const secret = stackInfo().platformWebhookSecret;
    await expectNothingWritten(async () => {
      for (const age of [301, 3_600, 86_400 * 30]) {
        const response = await postSigned('/webhooks/stripe', payload, signPayload(payload, secret, now() - age));
        expect(response.status, `${age}s old`).toBe(400);
        expect(response.body).toMatchObject({ error: { code: 'invalid_signature' } });
      }
      // Signed now (as Stripe's own retry would be): already processed, acknowledged, nothing re-applied.
      const again = await postSigned('/webhooks/stripe', payload, signPayload(payload, secret, now()));
      expect(again.status).toBe(200);
      expect(again.body).toEqual({ received: true, duplicate: true });
    });
    expect(await tableItem(`EVENT#${succeeded?.id}`, 'EVENT')).toBeDefined();
  });
});

describe('webhook secret roll', () => {
  it("accepts a delivery signed with the old and the new secret during Stripe's overlap, so the stored secret can change at any moment", async () => {
    const { paymentIntentId } = await paidIntent(world.mate.idToken, world.victim, 2_200, 'Roll');
    const [event] = await platformEvents([paymentIntentId], now() - 600);
    const payload = JSON.stringify({ ...event, id: `evt_roll_${Date.now()}` });
    const t = now();
    const current = signPayload(payload, stackInfo().platformWebhookSecret, t);
    const rolled = signPayload(payload, `whsec_rolled_${'f'.repeat(32)}`, t);
    // Stripe puts one v1 per active secret in the header; the order is not guaranteed.
    const header = `t=${t},${rolled.split(',')[1]},${current.split(',')[1]}`;
    const response = await postSigned('/webhooks/stripe', payload, header);
    expect(response.status, response.text).toBe(200);
    expect(response.body).toEqual({ received: true });
    expect(await tableItem(`EVENT#${JSON.parse(payload).id}`, 'EVENT')).toBeDefined();
  });
});

describe('identity comes only from verified claims', () => {
  it('ignores identity in headers and metadata: the payment is the caller’s, /me is the token’s', async () => {
    const spoofHeaders = {
      'x-user-sub': world.victim.sub,
      'x-amzn-oidc-identity': world.victim.sub,
      'x-forwarded-user': world.victim.email,
      'x-cognito-groups': 'admin',
    };
    const me = await api<{ sub: string; email: string; groups: string[] }>('GET', '/me', {
      token: world.attacker.idToken,
      headers: spoofHeaders,
    });
    expect(me.body).toEqual({ sub: world.attacker.sub, email: world.attacker.email, groups: [] });

    const created = await api<{ paymentId: string }>('POST', '/payments/intents', {
      token: world.attacker.idToken,
      headers: spoofHeaders,
      body: {
        ...intentBody(world.victim.partnerId),
        metadata: { customerSub: world.victim.sub, sub: world.victim.sub },
      },
    });
    expect(created.status, created.text).toBe(201);
    const record = await paymentRecord(created.body.paymentId);
    expect(record?.customerSub).toBe(world.attacker.sub);
    // Stripe holds this payment's PaymentIntent with our ids: the payment it belongs to (whose customer is the
    // caller) and the payee the caller chose; the caller's own metadata is kept as opaque text beside them.
    const intentId = String(record?.stripePaymentIntentId);
    const intent = await stripeSdk().paymentIntents.retrieve(intentId);
    expect(intent.metadata).toEqual({
      customerSub: world.victim.sub,
      sub: world.victim.sub,
      paymentId: created.body.paymentId,
      partnerId: world.victim.partnerId,
      kind: record?.kind,
    });
    expect(intent.transfer_data?.destination).toBe(world.victim.accountId);
  });

  it('refuses identity or partner fields in bodies (strict schemas) and writes nothing', async () => {
    await expectNothingWritten(async () => {
      for (const [method, path, body] of [
        ['POST', '/partners', { name: 'Hijack', ownerSub: world.victim.sub }],
        ['POST', '/connect/account', { partnerId: world.victim.partnerId }],
        ['PUT', '/partners/me/payout-preference', { method: 'manual', sub: world.victim.sub }],
        ['POST', '/connect/onboarding-link', { email: world.victim.email }],
        ['POST', '/payments/intents', { ...intentBody(world.victim.partnerId), customerSub: world.victim.sub }],
      ] as const) {
        const response = await api(method, path, { token: world.attacker.idToken, body });
        expect(response.status, `${method} ${path}`).toBe(400);
        expect(response.body).toMatchObject({ error: { code: 'validation_error' } });
      }
    });
  });
});

describe('admin group spoofing', () => {
  it('a partner claiming admin in body, query or headers is refused with 403; a token with forged groups with 401', async () => {
    const claims = decodePayload(world.attacker.idToken);
    const [header, , signature] = world.attacker.idToken.split('.');
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const forgedGroups = {
      'groups added, original signature': `${header}.${b64({ ...claims, 'cognito:groups': ['admin'] })}.${signature}`,
      'groups added, re-signed with cognito-local key but wrong issuer': signRs256({
        ...claims,
        'cognito:groups': ['admin'],
        iss: 'https://attacker.example',
      }),
    };
    const recordEarnings = ROUTES.find((route) => route.name === 'record-earnings');
    if (!recordEarnings) throw new Error('record-earnings is not in ROUTES');
    const earning = probeOf(recordEarnings, world, world.victim.partnerId).body as Record<string, unknown>;
    await expectNothingWritten(async () => {
      const spoofs = [
        api('POST', '/admin/earnings?groups=admin&cognito:groups=admin', {
          token: world.attacker.idToken,
          headers: { 'x-cognito-groups': 'admin', 'cognito-groups': 'admin' },
          body: { ...earning, groups: ['admin'], 'cognito:groups': 'admin' },
        }),
        api('POST', '/admin/earnings', { token: world.attacker.idToken, body: earning }),
        api('GET', '/admin/partners?cognito:groups=admin', { token: world.attacker.idToken }),
        api('PUT', `/admin/partners/${world.attacker.partnerId}/fee-policy`, {
          token: world.attacker.idToken,
          body: { bps: 0, groups: ['admin'] },
        }),
      ];
      for (const response of await Promise.all(spoofs)) {
        expect(response.status, response.text).toBe(403);
        expect(response.body).toMatchObject({ error: { code: 'forbidden' } });
      }
      for (const [name, token] of Object.entries(forgedGroups)) {
        const response = await api('GET', '/admin/partners', { token });
        expect(response.status, name).toBe(401);
      }
    });
    // An operator's genuine token is accepted (the refusals above are about the caller, not the route).
    expect((await api('GET', '/admin/partners?limit=1', { token: world.admin.idToken })).status).toBe(200);
  });
});

describe('teams', () => {
  it("a team's member may look but not manage; an outsider cannot even see it; nothing written", async () => {
    const team = `?partnerId=${world.teamId}`;
    const view = await api<PartnerBody>('GET', `/partners/me${team}`, { token: world.mate.idToken });
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ id: world.teamId, role: 'member' });
    await expectNothingWritten(async () => {
      for (const [method, path, body] of [
        ['PUT', `/partners/me/payout-preference${team}`, { method: 'manual' }],
        ['POST', `/connect/onboarding-link${team}`, {}],
        ['POST', `/connect/account${team}`, {}],
        ['POST', `/connect/dashboard-link${team}`, undefined],
        ['GET', `/partners/${world.teamId}/members`, undefined],
        ['POST', `/partners/${world.teamId}/invitations`, { email: world.attacker.email, role: 'admin' }],
        ['GET', `/partners/${world.teamId}/invitations`, undefined],
        ['PUT', `/partners/${world.teamId}/contact-email`, { email: world.attacker.email }],
        ['DELETE', `/partners/${world.teamId}/members/${world.victim.sub}`, undefined],
      ] as const) {
        const response = await api(method, path, { token: world.mate.idToken, ...(body ? { body } : {}) });
        expect(response.status, `${method} ${path}: ${response.text}`).toBe(403);
        expect(response.body).toMatchObject({
          error: { code: expect.stringMatching(/insufficient_role|cannot_remove_owner/) },
        });
      }
      const outsider = await api('GET', `/partners/me${team}`, { token: world.attacker.idToken });
      expect(outsider.status).toBe(404);
      expect(outsider.body).toMatchObject({ error: { code: 'partner_not_found' } });
    });
    expect(await tableItem(`PARTNER#${world.teamId}`, `MEMBER#${world.attacker.sub}`)).toBeUndefined();
    const profile = await tableItem(`PARTNER#${world.teamId}`, 'PROFILE');
    expect(profile?.payoutPreference).toBe('stripe');
  });
});

describe('redirects and CORS', () => {
  it('refuses Checkout redirect URLs to other origins (no open redirect), before anything is written', async () => {
    const base = stackInfo().apiUrl;
    const host = new URL(base).host;
    await expectNothingWritten(async () => {
      for (const url of [
        'https://evil.example/phish',
        `https://${host}.evil.example/`,
        `http://${host}@evil.example/`,
        `http://user:pass@${host}/done`,
        '//evil.example/',
        'javascript:alert(document.cookie)',
        'data:text/html,<script>alert(1)</script>',
        `${base.replace('http:', 'ftp:')}/done`,
      ]) {
        for (const field of ['successUrl', 'cancelUrl'] as const) {
          const response = await api('POST', '/payments/checkout-sessions', {
            token: world.mate.idToken,
            body: { ...checkoutBody(world.listingId), [field]: url },
          });
          expect(response.status, `${field} ${url}: ${response.text}`).toBe(400);
          expect(response.body).toMatchObject({
            error: { code: expect.stringMatching(/^(redirect_not_allowed|invalid_redirect_url)$/) },
          });
        }
      }
    });
  });

  it('the onboarding return goes nowhere a query parameter names, and no response allows another origin', async () => {
    const state = signOnboardingState(process.env.LOCAL_STATE_SIGNING_KEY ?? '', {
      partnerId: world.victim.partnerId,
      userSub: world.victim.sub,
      stateVersion: 0,
      expiresAt: now() + 600,
    });
    const evil = 'https://evil.example/steal';
    const response = await fetch(
      `${stackInfo().apiUrl}/connect/return?state=${state}&redirect=${encodeURIComponent(evil)}&return_to=${encodeURIComponent(evil)}&next=${encodeURIComponent(evil)}`,
      { redirect: 'manual', headers: { origin: 'https://evil.example' } },
    );
    // Locally APP_URL is empty: a page, not a redirect; with APP_URL set the target is built from it alone
    // (returnTarget, unit-tested). Either way nothing points at the query's URL.
    expect(response.status).toBe(200);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.text()).not.toContain('evil.example');
    expect(response.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'unsafe-inline'");

    // GETs as the rightful caller, writes refused (no body): no answer lets a foreign origin read it.
    for (const route of ROUTES) {
      const request = probeOf(route, world, world.victim.partnerId);
      const answer = await api(route.method, urlOf(route, request), {
        token: route.auth === 'admin' ? world.admin.idToken : world.victim.idToken,
        headers: { origin: 'https://evil.example' },
      });
      expect(answer.status, route.name).toBeLessThan(500);
      expect(answer.headers.get('access-control-allow-origin'), route.name).toBeNull();
      expect(answer.headers.get('access-control-allow-credentials'), route.name).toBeNull();
    }
  });
});

describe('limits', () => {
  it('rate-limits status refreshes per partner: one Stripe read for a burst, then 429 with Retry-After', async () => {
    // A partner of its own, so no earlier refresh in this file counts.
    const fresh = await activePayee('refresh');
    const accountPath = `/v1/accounts/${fresh.accountId}`;
    // Webhooks held: every Stripe call after the mark is the burst's.
    await withHeldDeliveries(async () => {
      const mark = await stripeLogMark();
      const burst = await Promise.all(Array.from({ length: 8 }, () => connectStatus(fresh.idToken, undefined, true)));
      const statuses = burst.map((response) => response.status).sort();
      expect(statuses).toEqual([200, 429, 429, 429, 429, 429, 429, 429]);
      const limited = burst.find((response) => response.status === 429);
      expect(limited?.body).toMatchObject({ error: { code: 'refresh_rate_limited' } });
      expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThan(0);
      const calls = await stripeCallsSince(mark, false);
      expect(calls.map((call) => [call.method, call.path, call.status])).toEqual([['GET', accountPath, 200]]);
    });
    // Without refresh the stored status is served, never limited and never read from Stripe.
    const stored = await connectStatus(fresh.idToken);
    expect(stored.status).toBe(200);
    expect(stored.body.status).toBe('active');
  });

  it('answers a request over API Gateway’s 10 MB with 413 in the error shape before any handler runs', async () => {
    await expectNothingWritten(async () => {
      const response = await api('POST', '/partners', {
        token: world.attacker.idToken,
        rawBody: JSON.stringify({ name: 'x'.repeat(10 * 1024 * 1024 + 10) }),
        headers: { 'content-type': 'application/json' },
      });
      expect(response.status).toBe(413);
      expect(response.body).toMatchObject({ error: { code: 'payload_too_large' } });
    });
  });

  it('every JSON answer carries no-store and nosniff, refusals included', async () => {
    for (const [method, path, token] of [
      ['GET', '/health', undefined],
      ['GET', '/partners/me', world.victim.idToken],
      ['GET', '/earnings', world.victim.idToken],
      ['GET', '/admin/partners', world.attacker.idToken],
      ['POST', '/partners', world.attacker.idToken],
    ] as const) {
      const response = await api(method, path, {
        ...(token ? { token } : {}),
        ...(method === 'POST' ? { body: {} } : {}),
      });
      expect(response.headers.get('cache-control'), `${method} ${path}`).toBe('no-store');
      expect(response.headers.get('x-content-type-options'), `${method} ${path}`).toBe('nosniff');
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    }
  });
});

describe('secrets never in responses or logs', () => {
  let gateway: LocalApiGateway;
  const captured: string[] = [];
  const originals = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };

  beforeAll(async () => {
    // A second API server in this test process, on the same stand-ins, whose handler logs we can read: everything
    // at DEBUG. (The shared stack's handlers run in vitest's main process, silent.)
    process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
    process.env.POWERTOOLS_LOGGER_LOG_EVENT = 'false';
    // Kept for the assertions, out of the test output.
    const capture = (chunk: string | Uint8Array): boolean => {
      captured.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    };
    process.stdout.write = capture as typeof process.stdout.write;
    process.stderr.write = capture as typeof process.stderr.write;
    const { createTokenVerifier, startApiGateway } = await import('#local/api-gateway');
    gateway = await startApiGateway({
      port: 0,
      routes: ROUTES,
      verifyToken: await createTokenVerifier(stackInfo().userPool),
    });
  });

  afterAll(async () => {
    process.stdout.write = originals.out;
    process.stderr.write = originals.err;
    await gateway?.close();
  });

  it('through every route, a webhook and a Stripe outage: no key, webhook secret, signing key or token leaks', async () => {
    const info = stackInfo();
    const secrets = {
      stripeApiKey: info.stripeApiKey,
      platformWebhookSecret: info.platformWebhookSecret,
      connectWebhookSecret: info.connectWebhookSecret,
      stateSigningKey: process.env.LOCAL_STATE_SIGNING_KEY ?? 'missing',
      victimToken: world.victim.idToken,
      adminToken: world.admin.idToken,
    };
    const bodies: string[] = [];
    const call = async (
      method: string,
      path: string,
      init: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
    ) => {
      const response = await fetch(`${gateway.url}${path}`, {
        method,
        redirect: 'manual',
        headers: {
          ...(init.token ? { authorization: init.token } : {}),
          ...(init.body !== undefined || init.raw !== undefined ? { 'content-type': 'application/json' } : {}),
          ...init.headers,
        },
        ...(init.raw !== undefined
          ? { body: init.raw }
          : init.body !== undefined
            ? { body: JSON.stringify(init.body) }
            : {}),
      });
      const text = await response.text();
      bodies.push(`${response.status} ${[...response.headers].join(';')} ${text}`);
      return { status: response.status, text };
    };

    for (const route of ROUTES.filter((r) => r.auth !== 'webhook')) {
      const token = route.auth === 'admin' ? world.admin.idToken : world.victim.idToken;
      const request = probeOf(route, world, world.victim.partnerId);
      // Read-only and refused variants only: a wrong body and a foreign token, plus the probe for GETs.
      if (route.method === 'GET') await call('GET', urlOf(route, request), { token });
      else await call(route.method, urlOf(route, request), { token, body: { unexpected: true } });
      await call(route.method, urlOf(route, request), { token: `${token}x` });
    }
    const payload = JSON.stringify({
      id: `evt_secret_${Date.now()}`,
      object: 'event',
      type: 'ping',
      data: { object: {} },
    });
    await call('POST', '/webhooks/stripe', {
      raw: payload,
      headers: { 'stripe-signature': signPayload(payload, 'whsec_wrong', now()) },
    });
    await call('POST', '/webhooks/stripe/connect', { raw: payload, headers: { 'stripe-signature': 't=1,v1=00' } });

    // Stripe fails: the 502 names the failure, not the request that carried the key.
    await emulator().addFault({ endpoint: 'POST /v1/account_links', serverErrorRate: 1, times: 10 });
    try {
      const failed = await call('POST', `/connect/onboarding-link?partnerId=${world.teamId}`, {
        token: world.victim.idToken,
        body: {},
      });
      expect(failed.status, failed.text).toBe(502);
    } finally {
      await emulator().clearFaults();
    }

    const logs = captured.join('');
    expect(logs.length, 'handler logs were captured').toBeGreaterThan(1_000);
    expect(logs).toContain('"level":"DEBUG"');
    const everything = `${logs}\n${bodies.join('\n')}`;
    for (const [name, value] of Object.entries(secrets)) {
      expect(value.length, name).toBeGreaterThan(10);
      expect(everything.includes(value), `${name} appears in a response or a log line`).toBe(false);
      // Not even a long prefix (e.g. a key truncated by a formatter).
      expect(everything.includes(value.slice(0, 24)), `${name} prefix appears`).toBe(false);
    }
    expect(bodies.join('\n')).not.toMatch(/\bat .+\.ts:\d+/); // no stack traces in responses
  });
});
