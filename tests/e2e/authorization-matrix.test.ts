import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, type RouteDefinition } from '#routes';
import { forgedVariants, resignedUnchanged } from '#tests/forged-tokens';
import { api } from '#tests/local';
import {
  ADMIN_ROUTES,
  AUTHORIZED_ROUTES,
  buildWorld,
  fixtureOf,
  isErrorShape,
  label,
  PARTNER_ROUTES,
  probeOf,
  type RouteRequest,
  scopeOf,
  urlOf,
  victimPartners,
  type World,
} from '#tests/route-fixtures';
import { NO_CHANGE, type StateChange, StateTracker, TableWatch } from '#tests/table-snapshot';

/**
 * The authorization matrix, generated from ROUTES: a route added to functions/routes.ts is in every row below
 * without anyone editing this file (and fails the last block until its fixture — or the fallback — is plausible).
 * Every refusal is checked for its status, the error shape, and that nothing was written: no table item added,
 * changed or removed, and no write call to Stripe.
 */

let world: World;
let forged: Record<string, string>;
/** The table as full consistent scans would see it, kept from its stream (checked against a real scan at the end). */
let table: TableWatch;

beforeAll(async () => {
  world = await buildWorld('matrix');
  forged = forgedVariants(world.victim.idToken);
  table = await TableWatch.start();
}, 60_000);

afterAll(async () => {
  await table.verify();
}, 60_000);

async function send(route: RouteDefinition, request: RouteRequest, token?: string) {
  return api(route.method, urlOf(route, request), {
    ...(token ? { token } : {}),
    ...(request.body !== undefined ? { body: request.body } : {}),
  });
}

async function expectNothingWritten(run: () => Promise<void>) {
  const state = new StateTracker(table);
  await state.start();
  await run();
  const change: StateChange = await state.next();
  expect(change, 'table items and Stripe writes after the refused requests').toEqual(NO_CHANGE);
}

describe('every route is in the matrix', () => {
  it('classifies each route of functions/routes.ts', () => {
    for (const route of ROUTES) {
      expect(['public', 'webhook', 'partner', 'admin'], label(route)).toContain(route.auth);
    }
    expect(AUTHORIZED_ROUTES.length).toBe(PARTNER_ROUTES.length + ADMIN_ROUTES.length);
    expect(AUTHORIZED_ROUTES.length).toBeGreaterThan(20);
  });
});

describe('no token or a forged token → 401, nothing written', () => {
  it('control: the victim’s claims re-signed unchanged the way the forgeries are signed reach every partner read', async () => {
    const control = resignedUnchanged(world.victim.idToken);
    // Reads only, so the control changes nothing the rows below rely on. The world's order is the mate's (a customer
    // reads only their own): the victim rightly gets 404 there, so it is not a read the victim may make.
    const reads = PARTNER_ROUTES.filter((route) => route.method === 'GET' && route.name !== 'get-order');
    expect(reads.length).toBeGreaterThan(5);
    for (const route of reads) {
      const response = await send(route, fixtureOf(route).request(world, world.victim.partnerId), control);
      expect(response.status, `${label(route)}: ${response.text}`).toBe(200);
    }
  });

  it.each(AUTHORIZED_ROUTES.map((route) => [label(route), route] as const))('%s', async (_name, route) => {
    const request = fixtureOf(route).request(world, world.victim.partnerId);
    await expectNothingWritten(async () => {
      const tokens: Array<[string, string | undefined]> = [
        ['no token', undefined],
        ['empty bearer', 'Bearer '],
        ...Object.entries(forged),
      ];
      for (const [variant, token] of tokens) {
        const response = await send(route, request, token);
        expect(response.status, `${variant}: ${response.text}`).toBe(401);
        expect(response.body, variant).toMatchObject({ error: { code: 'unauthenticated' } });
        expect(isErrorShape(response.body), variant).toBe(true);
      }
    });
  });
});

describe("partner routes with another partner's token or ids → 403/404, nothing written", () => {
  it.each(PARTNER_ROUTES.map((route) => [label(route), route] as const))('%s', async (_name, route) => {
    const scope = scopeOf(route);
    const fixture = fixtureOf(route);
    const victimIds = [world.victim.partnerId, world.teamId, world.victim.sub, world.victim.email];
    await expectNothingWritten(async () => {
      if (scope === 'caller') {
        // Acts on the caller only: naming the victim's partner is refused as an unknown parameter, or ignored —
        // and nothing of the victim's comes back.
        const request = fixture.request(world, world.victim.partnerId);
        const named = { ...request, query: { ...request.query, partnerId: world.victim.partnerId } };
        const response = await send(route, named, world.attacker.idToken);
        expect(response.status, response.text).toBeLessThan(500);
        if (response.status >= 400) expect(isErrorShape(response.body)).toBe(true);
        else expect(route.method, `${label(route)} accepted ?partnerId=`).toBe('GET');
        for (const id of victimIds) expect(response.text, `${label(route)} leaks ${id}`).not.toContain(id);
        return;
      }
      for (const partnerId of victimPartners(route, world)) {
        const request = fixture.request(world, partnerId);
        const response = await send(route, request, world.attacker.idToken);
        expect([403, 404], `${partnerId}: ${response.status} ${response.text}`).toContain(response.status);
        expect(isErrorShape(response.body)).toBe(true);
        for (const id of victimIds.slice(2)) expect(response.text).not.toContain(id);
        if (scope === 'path') {
          // The attacker's own partner in the path with the victim's other ids (e.g. a member's sub).
          const own = fixture.request(world, world.attacker.partnerId);
          if (JSON.stringify(own) !== JSON.stringify(request)) {
            const mixed = await send(route, own, world.attacker.idToken);
            expect(mixed.status, `own partner in the path: ${mixed.text}`).toBeLessThan(500);
          }
        }
      }
    });
  });
});

describe('admin routes with a partner token → 403, nothing written', () => {
  it.each(ADMIN_ROUTES.map((route) => [label(route), route] as const))('%s', async (_name, route) => {
    const request = fixtureOf(route).request(world, world.victim.partnerId);
    await expectNothingWritten(async () => {
      for (const [who, token] of [
        ['partner', world.attacker.idToken],
        ['owner of the partner named', world.victim.idToken],
        ['team member', world.mate.idToken],
      ] as const) {
        const response = await send(route, request, token);
        expect(response.status, `${who}: ${response.text}`).toBe(403);
        expect(response.body, who).toMatchObject({ error: { code: 'forbidden' } });
      }
    });
  });
});

describe('the proof of "nothing written" works (control)', () => {
  it('sees a table write and a Stripe write made by a rightful request', async () => {
    const state = new StateTracker(table);
    await state.start();
    const link = await api('POST', `/connect/onboarding-link?partnerId=${world.teamId}`, {
      token: world.victim.idToken,
      body: {},
    });
    expect(link.status, link.text).toBe(200);
    const change = await state.next();
    expect(change.table.changed).toContain(`PARTNER#${world.teamId}|PROFILE`);
    expect(change.stripeWrites.map((call) => `${call.method} ${call.path}`)).toEqual(
      expect.arrayContaining(['POST /v1/accounts', 'POST /v1/account_links']),
    );
  });
});

describe('every fixture is plausible: the rightful caller is not refused on input', () => {
  // Runs last: these requests succeed and write.
  it.each(AUTHORIZED_ROUTES.map((route) => [label(route), route] as const))('%s', async (_name, route) => {
    const fixture = fixtureOf(route);
    const scope = route.auth === 'partner' ? scopeOf(route) : undefined;
    const token =
      route.auth === 'admin' ? world.admin.idToken : scope === 'caller' ? world.mate.idToken : world.victim.idToken;
    const partnerId = route.auth === 'partner' ? (victimPartners(route, world)[0] ?? '') : world.victim.partnerId;
    const response = await send(route, probeOf(route, world, partnerId), token);
    const hint = fixture.fallback
      ? ` — ${label(route)} has no fixture and the fallback does not fit: add one to tests/helpers/route-fixtures.ts`
      : '';
    const accepted = response.status < 300 || [409, 422, 429, ...(fixture.plausible ?? [])].includes(response.status);
    expect(accepted, `${response.status} ${response.text}${hint}`).toBe(true);
  });
});
