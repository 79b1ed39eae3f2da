import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import Stripe from 'stripe';
import { cognitoClient, type LocalUser, signIn } from './cognito.ts';
import { startLocalStack } from './stack.ts';
import { ensureWebBuild } from './web-app.ts';

/**
 * `npm run screenshots`: PNGs of the web app's main pages in docs/screenshots/, taken from a local stack started on
 * free ports with a little data (a partner onboarded on the emulator's hosted page, a listing bought through
 * Checkout, a payment request, a commission paid by a payout run). Uses Debian's chromium (or CHROMIUM_PATH).
 */
const OUT = path.resolve(import.meta.dirname, '..', 'docs', 'screenshots');
const DESKTOP = { width: 1200, height: 800 };
const PHONE = { width: 390, height: 844 };

process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.HOLDING_PERIOD_DAYS ??= '0';
await ensureWebBuild({ quiet: true });
const stack = await startLocalStack({
  apiPort: 0,
  dynamoPort: 0,
  cognitoPort: 0,
  stripePort: 0,
  webApp: true,
  stripeInitialBalance: [{ currency: 'usd', amount: 10_000_000 }],
});
const { apiUrl } = stack.info;
const cognito = cognitoClient(stack.info.cognitoEndpoint);
const user = (email: string, admin = false) => signIn(cognito, stack.info.userPool, email, { admin });

async function api<T>(method: string, route: string, token: string | null, body?: unknown): Promise<T> {
  const response = await fetch(`${apiUrl}${route}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

let browser: Browser | undefined;
try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  mkdirSync(OUT, { recursive: true });
  const pageAs = async (who: LocalUser | null, viewport = DESKTOP): Promise<Page> => {
    const context = await browser!.newContext({ viewport, baseURL: apiUrl, deviceScaleFactor: 1 });
    if (who) {
      const claims = JSON.parse(Buffer.from(who.idToken.split('.')[1] ?? '', 'base64url').toString()) as {
        exp: number;
        'cognito:groups'?: string[];
      };
      const session = JSON.stringify({
        idToken: who.idToken,
        refreshToken: null,
        expiresAt: claims.exp * 1000,
        email: who.email,
        sub: who.sub,
        groups: claims['cognito:groups'] ?? [],
      });
      await context.addInitScript((value: string) => {
        if (!sessionStorage.getItem('connect-payouts.session'))
          sessionStorage.setItem('connect-payouts.session', value);
      }, session);
    }
    return context.newPage();
  };
  const shot = async (page: Page, route: string, name: string, ready: string) => {
    await page.goto(`/app${route}`);
    await page.locator(ready).first().waitFor({ timeout: 20_000 });
    await page.waitForLoadState('networkidle');
    await page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: true });
    console.log(`  docs/screenshots/${name}.png`);
  };

  const anonymous = await pageAs(null);
  await shot(anonymous, '/signin', 'sign-in', 'form');

  const partner = await user('maya@example.com');
  const portal = await pageAs(partner);
  await shot(portal, '/', 'overview-set-up', '[data-testid="status-card"] button');
  await portal.getByRole('button', { name: 'Set up payouts' }).click();
  await portal.getByRole('button', { name: 'Complete onboarding (verified)' }).click();
  await portal.waitForURL(/\/app\/\?stripe=return/);
  await shot(portal, '/', 'overview-all-set', "text=You're all set");

  const me = await api<{ id: string }>('GET', '/partners/me', partner.idToken);
  const listing = await api<{ id: string }>('POST', '/listings', partner.idToken, {
    title: 'Jazz night — general admission',
    description: 'Doors at 7 pm. Standing room.',
    unitAmount: 2_500,
    currency: 'usd',
    capacity: 40,
  });
  const request = await api<{ id: string }>('POST', '/payment-requests', partner.idToken, {
    amount: 30_000,
    currency: 'usd',
    kind: 'deposit',
    description: 'Wedding band deposit',
  });

  const customer = await user('sam@example.com');
  const shop = await pageAs(customer);
  await shot(shop, `/buy/${listing.id}`, 'customer-listing', 'button.primary');
  await shop.getByLabel('Quantity').fill('2');
  await shop.getByRole('button', { name: /Buy for/ }).click();
  await shop.getByRole('button', { name: 'Pay with card 4242 4242 4242 4242' }).click();
  await shop.waitForURL(/\/app\/orders\//);
  await shop.getByText('Thank you!').waitFor({ timeout: 20_000 });
  await shop.screenshot({ path: path.join(OUT, 'customer-order.png'), fullPage: true });
  console.log('  docs/screenshots/customer-order.png');
  await shot(shop, `/pay/${request.id}`, 'customer-payment-request', 'button.primary');

  const ops = await user('ops@example.com', true);
  const previous = new Date();
  previous.setUTCDate(1);
  previous.setUTCMonth(previous.getUTCMonth() - 1);
  const period = previous.toISOString().slice(0, 7);
  await api('POST', '/admin/earnings', ops.idToken, {
    partnerId: me.id,
    amount: 12_500,
    currency: 'usd',
    externalId: 'screenshots-commission',
    description: 'Referral commission',
    availableAt: `${period}-10T00:00:00.000Z`,
  });
  const consolePage = await pageAs(ops);
  await consolePage.goto('/app/console');
  await consolePage.getByLabel('Period (YYYY-MM)').fill(period);
  await consolePage.getByRole('button', { name: 'Preview (dry run)' }).click();
  await consolePage.getByTestId('dry-run').waitFor();
  await consolePage.screenshot({ path: path.join(OUT, 'console-run-preview.png'), fullPage: true });
  console.log('  docs/screenshots/console-run-preview.png');
  await consolePage.getByRole('button', { name: 'Start run' }).click();
  await consolePage.waitForURL(/\/console\/runs\//);
  await consolePage.locator('[data-testid="run"] .badge', { hasText: 'completed' }).waitFor({ timeout: 30_000 });
  await consolePage.locator('[data-testid="paid-count"]', { hasText: '1' }).waitFor({ timeout: 30_000 });
  await consolePage.screenshot({ path: path.join(OUT, 'console-run.png'), fullPage: true });
  console.log('  docs/screenshots/console-run.png');
  await shot(consolePage, '/console/partners', 'console-partners', 'table');
  await shot(consolePage, '/console/payments', 'console-payments', 'table');
  await api('POST', '/admin/adjustments', ops.idToken, {
    partnerId: me.id,
    amount: 1_500,
    currency: 'usd',
    reason: 'Missed referral bonus',
    externalId: 'screenshots-adjustment',
  });
  await shot(consolePage, `/console/partners/${me.id}`, 'console-partner', '#hold-title');

  await consolePage.goto('/app/console/webhooks');
  await consolePage.getByLabel('URL (https)').fill('https://hooks.example.com/payouts');
  await consolePage.getByLabel('Description (optional)').fill('Accounting sync');
  await consolePage.getByRole('button', { name: 'Add endpoint' }).click();
  await consolePage.getByTestId('secret').waitFor();
  await consolePage.locator('tr[data-endpoint]').first().waitFor();
  await consolePage.screenshot({ path: path.join(OUT, 'console-webhooks.png'), fullPage: true });
  console.log('  docs/screenshots/console-webhooks.png');
  await shot(consolePage, '/console/events', 'console-events', 'tr[data-event]');
  const events = await api<{ events: Array<{ id: string }> }>('GET', '/admin/events?type=payout.paid', ops.idToken);
  await shot(consolePage, `/console/events/${events.events[0]?.id ?? ''}`, 'console-event', '#deliveries-title');
  await consolePage.goto(`/app/console/adjustments?partnerId=${me.id}`);
  await consolePage.getByLabel('Amount').fill('15');
  await consolePage.getByLabel('Reason').fill('Missed referral bonus');
  await consolePage.screenshot({ path: path.join(OUT, 'console-adjustments.png'), fullPage: true });
  console.log('  docs/screenshots/console-adjustments.png');

  // A transfer sent by hand at Stripe, which the day's reconciliation reports.
  const stripe = new Stripe(stack.info.stripeApiKey, {
    host: '127.0.0.1',
    port: stack.info.stripePort,
    protocol: 'http',
  });
  const account = (await api<{ stripeAccountId: string }>('GET', '/partners/me', partner.idToken)).stripeAccountId;
  const manual = await stripe.transfers.create({
    amount: 700,
    currency: 'usd',
    destination: account,
    description: 'Sent by hand from the Dashboard',
  });
  const day = new Date(manual.created * 1000).toISOString().slice(0, 10);
  // The daily job, run here in-process against the stack (imported once the stack has set the environment).
  const { reconcileDay } = await import('#core/reconciliation');
  const { reconciliationDeps } = await import('#adapters/reconciliation-deps');
  await reconcileDay(reconciliationDeps(), day, `screenshots-${Date.now()}`);
  await shot(consolePage, `/console/reconciliation?date=${day}`, 'console-reconciliation', '[data-kind]');

  await shot(portal, '/earnings', 'earnings', 'table');
  await shot(portal, '/payouts', 'payouts', 'table');
  await shot(portal, '/sales', 'sales', '#listings-title + ul li');
  await shot(portal, '/team', 'team', '#teams-title');
  const phone = await pageAs(partner, PHONE);
  await shot(phone, '/', 'overview-phone', '[data-testid="status-card"]');
  console.log(`Screenshots in ${path.relative(process.cwd(), OUT)}/`);
} finally {
  await browser?.close();
  await stack.stop();
}
process.exit(0);
