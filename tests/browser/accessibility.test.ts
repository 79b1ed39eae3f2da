import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { newPage, openApp, PHONE, seriousViolations } from '#tests/browser';
import { api } from '#tests/local';
import { activePayee, admin, customer } from '#tests/payments';
import { freshPeriod, recordHeld, startRun } from '#tests/payouts';
import { buyListings, createListing } from '#tests/sales';

type Fixture = Awaited<ReturnType<typeof activePayee>>;
let seller: Fixture;
let listingId = '';
let requestId = '';
let orderId = '';
let runId = '';
let ops: Awaited<ReturnType<typeof admin>>;
let buyer: Awaited<ReturnType<typeof customer>>;

beforeAll(async () => {
  seller = await activePayee('web-a11y');
  listingId = (await createListing(seller.idToken, { title: 'Accessible ticket', capacity: 10 })).id;
  const request = await api<{ id: string }>('POST', '/payment-requests', {
    token: seller.idToken,
    body: { amount: 5_000, currency: 'usd', kind: 'milestone', description: 'First milestone' },
  });
  requestId = request.body.id;
  buyer = await customer('web-a11y-buyer');
  orderId = (await buyListings(buyer.idToken, [{ listingId, quantity: 1 }])).body.orderId;
  const { period, inside } = await freshPeriod();
  await recordHeld(seller.partnerId, 1_500, inside);
  runId = (await startRun(period)).body.run?.id ?? '';
  ops = await admin();
});

async function expectAccessible(page: Page, path: string, heading: string | RegExp) {
  await openApp(page, path, heading);
  // Checked once the page's data is shown (no "Loading…" left).
  await page.waitForFunction(
    () =>
      !(
        globalThis as unknown as { document: { querySelector(s: string): { textContent: string | null } | null } }
      ).document
        .querySelector('main')
        ?.textContent?.includes('Loading'),
  );
  const violations = await seriousViolations(page);
  expect(
    violations.map(
      (v) => `${path}: ${v.id} (${v.impact}) ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    ),
  ).toEqual([]);
}

/** How far the page scrolls sideways (0 when it fits the viewport's width). */
const sidewaysOverflow = (page: Page) =>
  page.evaluate(() => {
    const doc = (
      globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }
    ).document.documentElement;
    return doc.scrollWidth - doc.clientWidth;
  });

describe('accessibility (axe-core, WCAG 2.1 A/AA): no serious or critical violation on any page', () => {
  it('sign-in and sign-up', async () => {
    const page = await newPage();
    await expectAccessible(page, '/signin', 'Sign in');
    await expectAccessible(page, '/signup', 'Create an account');
  });

  it('the partner portal: overview, earnings, payouts, team, sales', async () => {
    const page = await newPage({ as: seller });
    await expectAccessible(page, '/', /.+/);
    await expectAccessible(page, '/earnings', 'Earnings');
    await expectAccessible(page, '/payouts', 'Payouts');
    await expectAccessible(page, '/team', 'Team');
    await expectAccessible(page, '/sales', 'Sales');
  });

  it('the customer pages: listing, payment request, order', async () => {
    const page = await newPage({ as: buyer });
    await expectAccessible(page, `/buy/${listingId}`, 'Accessible ticket');
    await expectAccessible(page, `/pay/${requestId}`, 'First milestone');
    await expectAccessible(page, `/orders/${orderId}`, 'Your order');
  });

  it('the operator console: runs, a run, partners, a partner, payments, an order, events, and the refusal page', async () => {
    const page = await newPage({ as: ops });
    await expectAccessible(page, '/console', 'Payout runs');
    await expectAccessible(page, `/console/runs/${runId}`, /Payout run/);
    await expectAccessible(page, '/console/partners', 'Partners');
    await expectAccessible(page, '/console/payments', 'Payments');
    await expectAccessible(page, `/console/partners/${seller.partnerId}`, /.+/);
    await expectAccessible(page, `/console/orders/${orderId}`, 'Order');
    await expectAccessible(page, '/console/events', 'Events');
    const outsider = await newPage({ as: buyer });
    await expectAccessible(outsider, '/console', 'Operator console');
  });

  it('the console pages for money and integrations: adjustments, webhooks (secret shown), events, an event, reconciliation', async () => {
    const { reconcileDay } = await import('#core/reconciliation');
    const { reconciliationDeps } = await import('#adapters/reconciliation-deps');
    const today = new Date().toISOString().slice(0, 10);
    await reconcileDay(reconciliationDeps(), today, `inline-${Date.now()}`);
    const events = await api<{ events: Array<{ id: string }> }>('GET', `/admin/events?partnerId=${seller.partnerId}`, {
      token: ops.idToken,
    });
    const eventId = events.body.events[0]?.id ?? '';
    const page = await newPage({ as: ops });
    await expectAccessible(page, '/console/adjustments', 'Adjustments');
    await expectAccessible(page, `/console/events?partnerId=${seller.partnerId}`, 'Events');
    await expectAccessible(page, `/console/events/${eventId}`, /^Event /);
    await expectAccessible(page, `/console/reconciliation?date=${today}`, 'Reconciliation');
    await expectAccessible(page, '/console/webhooks', 'Webhook endpoints');
    // With a secret on screen (created here, removed at once: it receives nothing).
    await page.getByLabel('URL (https)').fill('http://127.0.0.1:9/a11y');
    await page.getByLabel('All events').uncheck();
    await page.getByLabel('payout_run.completed').check();
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await page.getByTestId('secret').waitFor();
    expect((await seriousViolations(page)).map((v) => `${v.id}: ${v.help}`)).toEqual([]);
    const listed = await api<{ endpoints: Array<{ id: string; url: string }> }>('GET', '/admin/webhook-endpoints', {
      token: ops.idToken,
    });
    for (const e of listed.body.endpoints.filter((x) => x.url === 'http://127.0.0.1:9/a11y'))
      await api('DELETE', `/admin/webhook-endpoints/${e.id}`, { token: ops.idToken });
  });

  it('on a phone-width screen the pages fit without sideways scrolling', async () => {
    const page = await newPage({ as: seller, viewport: PHONE });
    for (const [path, heading] of [
      ['/', /.+/],
      ['/earnings', 'Earnings'],
      ['/sales', 'Sales'],
      [`/buy/${listingId}`, 'Accessible ticket'],
    ] as const) {
      await openApp(page, path, heading);
      expect(await sidewaysOverflow(page), path).toBeLessThanOrEqual(0);
    }
    const phoneConsole = await newPage({ as: ops, viewport: PHONE });
    for (const [path, heading] of [
      [`/console/runs/${runId}`, /Payout run/],
      ['/console/adjustments', 'Adjustments'],
      ['/console/webhooks', 'Webhook endpoints'],
      ['/console/events', 'Events'],
      ['/console/reconciliation', 'Reconciliation'],
    ] as const) {
      await openApp(phoneConsole, path, heading);
      expect(await sidewaysOverflow(phoneConsole), path).toBeLessThanOrEqual(0);
    }
  });
});
