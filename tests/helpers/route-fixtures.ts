import { expect } from 'vitest';
import { ROUTES, type RouteDefinition } from '#routes';
import { type InvitationBody, joinTeam, newPartnerUser, type PartnerBody } from './connect.ts';
import { api, stackInfo } from './local.ts';
import { activePayee, admin } from './payments.ts';

/**
 * Plausible requests for every route of `functions/routes.ts`, for the generated e2e suites (authorization matrix,
 * fuzzing). A route's fixture names the *victim's* resources; the suites send it with someone else's token.
 *
 * A route without a fixture gets the fallback (path parameters by name, `{}` as body); the matrix proves that every
 * fixture — or fallback — is accepted by the route's rightful caller, so a new route whose fallback does not fit
 * fails until it gets a fixture here.
 */

export interface World {
  /** Owner of an active personal partner and of a team. */
  victim: Awaited<ReturnType<typeof activePayee>>;
  teamId: string;
  /** A `member` of the victim's team. */
  mate: Awaited<ReturnType<typeof newPartnerUser>>;
  /** Another user with a personal partner of their own. */
  attacker: Awaited<ReturnType<typeof newPartnerUser>>;
  admin: Awaited<ReturnType<typeof admin>>;
  /** An order paying the victim (Checkout, not paid), placed by the mate. */
  orderId: string;
  /** A pending invitation of the victim's team, for a user who does not exist, and its token. */
  invitationId: string;
  invitationToken: string;
  /** The victim's listing (on sale, capacity 1,000) and two open payment requests (one to cancel). */
  listingId: string;
  paymentRequestId: string;
  spareRequestId: string;
}

/** The victim's world: an active partner, a team with a member, an attacker, an operator and an order. */
export async function buildWorld(prefix: string): Promise<World> {
  const [victim, mate, attacker, operator] = await Promise.all([
    activePayee(`${prefix}-victim`),
    newPartnerUser(`${prefix}-mate`),
    newPartnerUser(`${prefix}-attacker`),
    admin(),
  ]);
  const team = await api<PartnerBody>('POST', '/partners', { token: victim.idToken, body: { name: `${prefix} team` } });
  expect(team.status, JSON.stringify(team.body)).toBe(201);
  await joinTeam(victim.idToken, team.body.id, mate, 'member');
  const listing = await api<{ id: string }>('POST', '/listings', {
    token: victim.idToken,
    body: { title: 'Ticket', unitAmount: 2_500, currency: 'usd', capacity: 1_000 },
  });
  expect(listing.status, JSON.stringify(listing.body)).toBe(201);
  const [request, spare] = await Promise.all(
    ['Deposit', 'Milestone'].map((description) =>
      api<{ id: string }>('POST', '/payment-requests', {
        token: victim.idToken,
        body: { amount: 5_000, currency: 'usd', kind: 'deposit', description },
      }),
    ),
  );
  expect(request?.status, JSON.stringify(request?.body)).toBe(201);
  const checkout = await api<{ orderId: string }>('POST', '/payments/checkout-sessions', {
    token: mate.idToken,
    body: checkoutBody(listing.body.id),
  });
  expect(checkout.status, JSON.stringify(checkout.body)).toBe(201);
  const invited = await api<InvitationBody>('POST', `/partners/${team.body.id}/invitations`, {
    token: victim.idToken,
    body: { email: `${prefix}-nobody@example.com`, role: 'member' },
  });
  expect(invited.status, invited.text).toBe(201);
  return {
    victim,
    teamId: team.body.id,
    mate,
    attacker,
    admin: operator,
    orderId: checkout.body.orderId,
    invitationId: invited.body.invitation.id,
    invitationToken: invited.body.token,
    listingId: listing.body.id,
    paymentRequestId: request?.body.id ?? '',
    spareRequestId: spare?.body.id ?? '',
  };
}

/** The month after the current one (UTC), the furthest a dry run may look. */
export function nextMonth(now = new Date()): string {
  const next = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  return `${next.getUTCFullYear()}-${String(next.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** A checkout of a listing, by reference (the price is the listing's). */
export function checkoutBody(listingId: string) {
  const base = stackInfo().apiUrl;
  return {
    items: [{ listingId, quantity: 2 }],
    successUrl: `${base}/done?session={CHECKOUT_SESSION_ID}`,
    cancelUrl: `${base}/cancelled`,
  };
}

/** The old customer-priced body: refused while open amounts are off (the default). */
export function intentBody(payeeId: string) {
  return { payeeId, amount: 5_000, currency: 'usd', kind: 'deposit', description: 'Deposit' };
}

/**
 * How a caller could reach another partner's data through a partner route:
 * - `query`: `?partnerId=` names the partner (absent: the caller's personal partner);
 * - `path`: the partner id is in the path;
 * - `caller`: the route acts on the caller only (its identity, its new team, its own payment as a customer).
 */
export type PartnerScope = 'query' | 'path' | 'caller';

export interface RouteRequest {
  path?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
}

export interface Fixture {
  /** The request, naming the given victim partner (the victim's personal partner or team). */
  request(world: World, partnerId: string): RouteRequest;
  /** Partner routes only. Default: `path` when the path has `{partnerId}`, else `query`. */
  scope?: PartnerScope;
  /** Partner routes: the victim partners the route applies to (default: personal and team). */
  partners?(world: World): string[];
  /**
   * The request the rightful caller sends to prove the fixture plausible (and the fuzz starts from), when `request`
   * must not run for real in the shared stack. Default: `request`.
   */
  probe?(world: World, partnerId: string): RouteRequest;
  /** Statuses that prove plausibility besides 2xx/409/422/429 (e.g. 404 for an id of the right shape). */
  plausible?: readonly number[];
}

const personalAndTeam = (w: World) => [w.victim.partnerId, w.teamId];
const partnerQuery = (_w: World, partnerId: string): RouteRequest => ({ query: { partnerId } });

export const FIXTURES: Readonly<Record<string, Fixture>> = {
  'get-me': { scope: 'caller', request: () => ({}) },
  'list-my-partners': { scope: 'caller', request: () => ({}) },
  'create-team-partner': { scope: 'caller', request: () => ({ body: { name: 'Another team' } }) },
  'get-my-partner': { request: partnerQuery },
  'set-payout-preference': { request: (_w, partnerId) => ({ query: { partnerId }, body: { method: 'manual' } }) },
  'get-notification-preferences': { request: partnerQuery },
  'set-notification-preferences': {
    request: (_w, partnerId) => ({ query: { partnerId }, body: { optOut: ['onboarding_complete'] } }),
  },
  'list-partner-members': { request: (_w, partnerId) => ({ path: { partnerId } }) },
  'create-invitation': {
    request: (w, partnerId) => ({ path: { partnerId }, body: { email: w.attacker.email, role: 'admin' } }),
  },
  'list-invitations': { request: (_w, partnerId) => ({ path: { partnerId } }) },
  'revoke-invitation': {
    partners: (w) => [w.teamId],
    request: (w, partnerId) => ({ path: { partnerId, invitationId: w.invitationId } }),
  },
  // The attacker's own address: on the attacker's own partner (the matrix's mixed case) it is already the contact
  // email, so that control writes nothing.
  'set-contact-email': { request: (w, partnerId) => ({ path: { partnerId }, body: { email: w.attacker.email } }) },
  // The invitee acts on their own behalf: the token names the invitation (a wrong one is 404 invitation_not_found).
  'accept-invitation': {
    scope: 'caller',
    request: (w) => ({ path: { token: w.invitationToken } }),
    plausible: [403, 404],
  },
  'remove-partner-member': {
    // The team's member: a personal partner has no member but its owner, who cannot be removed.
    partners: (w) => [w.teamId],
    request: (w, partnerId) => ({ path: { partnerId, userSub: w.mate.sub } }),
  },
  'create-connect-account': { request: (_w, partnerId) => ({ query: { partnerId }, body: { country: 'US' } }) },
  'create-onboarding-link': { request: (_w, partnerId) => ({ query: { partnerId }, body: {} }) },
  'create-account-session': {
    request: (_w, partnerId) => ({ query: { partnerId }, body: { components: ['account_onboarding'] } }),
  },
  'get-connect-status': { request: (_w, partnerId) => ({ query: { partnerId, refresh: 'true' } }) },
  'create-dashboard-link': { partners: (w) => [w.victim.partnerId], request: partnerQuery },
  'list-connected-payouts': { request: (_w, partnerId) => ({ query: { partnerId, limit: '10' } }) },
  'list-earnings': {
    request: (_w, partnerId) => ({ query: { partnerId, currency: 'usd', timeZone: 'Europe/Paris' } }),
  },
  'list-payouts': { request: (_w, partnerId) => ({ query: { partnerId, limit: '5' } }) },
  'create-payment-intent': { scope: 'caller', request: (w) => ({ body: intentBody(w.victim.partnerId) }) },
  'create-checkout-session': { scope: 'caller', request: (w) => ({ body: checkoutBody(w.listingId) }) },
  // Listings, payment requests and the customer's orders.
  'create-listing': {
    request: (_w, partnerId) => ({ body: { partnerId, title: 'Poster', unitAmount: 1_500, currency: 'usd' } }),
  },
  'update-listing': {
    partners: (w) => [w.victim.partnerId],
    request: (w) => ({ path: { listingId: w.listingId }, body: { title: 'Ticket (row A)' } }),
  },
  'archive-listing': {
    partners: (w) => [w.victim.partnerId],
    request: (w) => ({ path: { listingId: w.listingId } }),
    // The world's listing stays on sale: the rightful caller archives an id of the right shape that does not exist.
    probe: () => ({ path: { listingId: 'lst_000000000000000000000000' } }),
    plausible: [404],
  },
  'get-order': { scope: 'caller', request: (w) => ({ path: { orderId: w.orderId } }) },
  'create-payment-request': {
    request: (_w, partnerId) => ({
      body: { partnerId, amount: 7_500, currency: 'usd', kind: 'milestone', description: 'Milestone 2' },
    }),
  },
  'list-payment-requests': { request: (_w, partnerId) => ({ query: { partnerId, limit: '5' } }) },
  'cancel-payment-request': {
    partners: (w) => [w.victim.partnerId],
    request: (w) => ({ path: { paymentRequestId: w.spareRequestId } }),
  },
  'pay-payment-request-intent': {
    scope: 'caller',
    request: (w) => ({ path: { paymentRequestId: w.paymentRequestId }, body: {} }),
  },
  'pay-payment-request-checkout': {
    scope: 'caller',
    request: (w) => {
      const { successUrl, cancelUrl } = checkoutBody(w.listingId);
      return { path: { paymentRequestId: w.paymentRequestId }, body: { successUrl, cancelUrl } };
    },
  },
  // Admin routes.
  'record-earnings': {
    request: (w) => ({
      body: {
        partnerId: w.victim.partnerId,
        amount: 1_234,
        currency: 'usd',
        externalId: `matrix:${w.victim.partnerId}:${Date.now()}`,
        description: 'Referral bonus',
      },
    }),
  },
  'list-payments-admin': { request: () => ({ query: { limit: '5' } }) },
  'get-order-admin': { request: (w) => ({ path: { orderId: w.orderId } }) },
  'list-orders-admin': { request: () => ({ query: { reference: 'store-order-1', limit: '5' } }) },
  'set-fee-policy': { request: (w) => ({ path: { partnerId: w.victim.partnerId }, body: { bps: 250 } }) },
  'list-partners-admin': { request: () => ({ query: { status: 'active', limit: '5' } }) },
  // The payout run's admin routes. Refusal tests name a real run of a past month; the probe (and the
  // fuzz, which starts from it) a dry run of a month to come, so no generated body can start a run whose
  // asynchronous work would change the table under later cases (a real run of it is refused: period_in_future;
  // the month after next is not even a dry run's).
  'start-payout-run': {
    request: () => ({ body: { period: '2020-01' } }),
    probe: () => ({ body: { period: nextMonth(), dryRun: true } }),
  },
  'list-payout-runs': { request: () => ({ query: { limit: '5' } }) },
  'get-payout-run': { request: () => ({ path: { runId: 'run_2020-01' }, query: { format: 'csv' } }), plausible: [404] },
  'approve-payout-run': { request: () => ({ path: { runId: 'run_2020-01' } }), plausible: [404] },
  // Operator controls. A payout id of the right shape that names no payout: 404 proves the route plausible.
  'get-partner-admin': { request: (w) => ({ path: { partnerId: w.victim.partnerId } }) },
  'set-payout-hold': {
    request: (w) => ({
      path: { partnerId: w.victim.partnerId },
      body: { reason: 'Matrix check', until: new Date(Date.now() + 60_000).toISOString() },
    }),
  },
  'lift-payout-hold': {
    request: (w) => ({ path: { partnerId: w.victim.partnerId }, query: { reason: 'Matrix check over' } }),
  },
  'record-adjustment': {
    request: (w) => ({
      body: {
        partnerId: w.victim.partnerId,
        amount: -100,
        currency: 'usd',
        reason: 'Matrix correction',
        externalId: `matrix-adj:${w.victim.partnerId}:${Date.now()}`,
      },
    }),
  },
  'exclude-payout': {
    request: (w) => ({ path: { payoutId: `po_2020-01_usd_${w.victim.partnerId}` }, body: { reason: 'Matrix check' } }),
    plausible: [404],
  },
  'keep-payout-reversal': {
    request: (w) => ({ path: { payoutId: `po_2020-01_usd_${w.victim.partnerId}` }, body: { reason: 'Matrix check' } }),
    plausible: [404],
  },
  // Domain events and the platform's webhook endpoints. A created endpoint listens for an event type nothing emits
  // yet, so no generated endpoint ever receives deliveries; ids of the right shape that name nothing: 404.
  'create-webhook-endpoint': {
    request: () => ({
      body: { url: 'https://hooks.example.com/connect-payouts', eventTypes: ['reconciliation.discrepancy'] },
    }),
  },
  'list-webhook-endpoints': { request: () => ({}) },
  'delete-webhook-endpoint': {
    request: () => ({ path: { endpointId: 'we_000000000000000000000000' } }),
    plausible: [404],
  },
  'rotate-webhook-secret': {
    request: () => ({ path: { endpointId: 'we_000000000000000000000000' } }),
    plausible: [404],
  },
  'list-events-admin': { request: () => ({ query: { limit: '5' } }) },
  'get-event-admin': { request: () => ({ path: { eventId: 'ev_000000000000000000000000' } }), plausible: [404] },
  'get-reconciliation': {
    request: () => ({ path: { date: '2001-01-01' }, query: { format: 'csv' } }),
    plausible: [404],
  },
  'redeliver-event': {
    request: () => ({ path: { eventId: 'ev_000000000000000000000000' }, body: {} }),
    plausible: [404],
  },
  // Public and webhook routes take no token: the matrix does not apply; the fuzz and security suites cover them.
  health: { request: () => ({}) },
  'connect-refresh': { request: () => ({ query: { state: 'not-a-state' } }) },
  'connect-return': { request: () => ({ query: { state: 'not-a-state' } }) },
  'platform-webhook': { request: () => ({ body: { id: 'evt_1', type: 'ping' } }) },
  'connect-webhook': { request: () => ({ body: { id: 'evt_1', type: 'ping' } }) },
  'get-listing': { request: (w) => ({ path: { listingId: w.listingId } }) },
  'list-partner-listings': { request: (w) => ({ path: { partnerId: w.victim.partnerId }, query: { limit: '5' } }) },
  'get-payment-request': { request: (w) => ({ path: { paymentRequestId: w.paymentRequestId } }) },
};

/** The request the rightful caller may send for real. */
export function probeOf(route: RouteDefinition, world: World, partnerId: string): RouteRequest {
  const fixture = fixtureOf(route);
  return (fixture.probe ?? fixture.request)(world, partnerId);
}

/** Fallback path parameter values, by parameter name. An unknown name has none: the route needs a fixture. */
const FALLBACK_PARAMS: Record<string, (w: World, partnerId: string) => string> = {
  partnerId: (_w, partnerId) => partnerId,
  userSub: (w) => w.mate.sub,
  orderId: (w) => w.orderId,
};

export const pathParams = (route: RouteDefinition) => [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '');

/** The fixture of a route, or the fallback (which throws for a path parameter it cannot fill). */
export function fixtureOf(route: RouteDefinition): Fixture & { fallback: boolean } {
  const fixture = FIXTURES[route.name];
  if (fixture) return { ...fixture, fallback: false };
  return {
    fallback: true,
    request: (w, partnerId) => {
      const path: Record<string, string> = {};
      for (const name of pathParams(route)) {
        const value = FALLBACK_PARAMS[name];
        if (!value) {
          throw new Error(
            `Route ${route.name} (${route.method} ${route.path}) has no fixture in tests/helpers/route-fixtures.ts and ` +
              `the fallback has no value for {${name}}: add a fixture.`,
          );
        }
        path[name] = value(w, partnerId);
      }
      return { path, ...(['POST', 'PUT', 'PATCH'].includes(route.method) ? { body: {} } : {}) };
    },
  };
}

export function scopeOf(route: RouteDefinition): PartnerScope {
  return fixtureOf(route).scope ?? (pathParams(route).includes('partnerId') ? 'path' : 'query');
}

export function victimPartners(route: RouteDefinition, w: World): string[] {
  return (fixtureOf(route).partners ?? personalAndTeam)(w);
}

/** The URL path (with encoded parameters and query string) and body of a request to a route. */
export function urlOf(route: RouteDefinition, request: RouteRequest): string {
  const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = request.path?.[name];
    if (value === undefined) throw new Error(`${route.name}: no value for {${name}}`);
    return encodeURIComponent(value);
  });
  const query = new URLSearchParams(request.query ?? {}).toString();
  return query ? `${path}?${query}` : path;
}

export const AUTHORIZED_ROUTES = ROUTES.filter((route) => route.auth === 'partner' || route.auth === 'admin');
export const PARTNER_ROUTES = ROUTES.filter((route) => route.auth === 'partner');
export const ADMIN_ROUTES = ROUTES.filter((route) => route.auth === 'admin');

export const label = (route: RouteDefinition) => `${route.name} (${route.method} ${route.path})`;

/** The error shape of every refusal. */
export function isErrorShape(body: unknown): boolean {
  if (!body || typeof body !== 'object') return false;
  const error = (body as { error?: unknown }).error;
  if (!error || typeof error !== 'object') return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return typeof code === 'string' && code.length > 0 && typeof message === 'string' && message.length > 0;
}
