import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySignature } from '#core/event-signature';
import { newPage, openApp } from '#tests/browser';
import { eventReceiver, waitFor } from '#tests/event-receiver';
import { api } from '#tests/local';
import { activePayee, admin, customer, deliverWebhooks, emulator, eventually, stripeSdk } from '#tests/payments';
import { freshPeriod, inProcessDeps, recordHeld, settledRun, startRun, transfersOf } from '#tests/payouts';

/**
 * The operator console's money and integration pages, driven in a browser against the local stack: webhook
 * endpoints and redelivery, adjustments seen in the partner portal, holds and exclusions in runs, keeping a reversal,
 * reconciliation reports. One operator page for the whole file.
 */
let ops: Awaited<ReturnType<typeof admin>>;
let page: Page;
const receiver = eventReceiver();

beforeAll(async () => {
  [ops] = await Promise.all([admin(), receiver.start()]);
  page = await newPage({ as: ops });
});
afterAll(() => receiver.close());

const adminGet = <T>(route: string) => api<T>('GET', route, { token: ops.idToken });

describe('operator console: webhook endpoints and events', () => {
  // One endpoint through the three steps (they run in order).
  let partner: Awaited<ReturnType<typeof activePayee>>;
  let url = '';
  let endpointId = '';
  let secret = '';
  const row = () => page.locator(`tr[data-endpoint="${endpointId}"]`);

  it('creates a webhook endpoint; its signing secret is shown once', async () => {
    partner = await activePayee('web-hooks');
    await openApp(page, '/console/webhooks', 'Webhook endpoints');
    url = receiver.url(`/hooks/${partner.partnerId}`);
    await page.getByLabel('URL (https)').fill(url);
    await page.getByLabel('Description (optional)').fill('Browser receiver');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    secret = (await page.getByTestId('secret-value').textContent()) ?? '';
    expect(secret).toMatch(/^cpwhsec_/);
    const listed = await adminGet<{ endpoints: Array<{ id: string; url: string }> }>('/admin/webhook-endpoints');
    const endpoint = listed.body.endpoints.find((e) => e.url === url);
    expect(endpoint).toBeDefined();
    endpointId = endpoint?.id ?? '';
    await expect.poll(() => row().textContent()).toContain('Browser receiver');
    // Shown once: gone after dismissing it, and never in the page again after a reload.
    await page.getByRole('button', { name: 'I have stored it' }).click();
    await openApp(page, '/console/webhooks', 'Webhook endpoints');
    await row().waitFor();
    expect(await page.content()).not.toContain(secret);
  });

  it("an event reaches the receiver, signed; the event's page shows the delivery and redelivers it", async () => {
    // An event for the partner reaches the receiver, signed with that secret.
    const { inside } = await freshPeriod();
    await recordHeld(partner.partnerId, 1_111, inside);
    const first = await waitFor(
      () =>
        receiver.received.find(
          (r) =>
            r.path === `/hooks/${partner.partnerId}` &&
            r.event.type === 'earning.recorded' &&
            r.event.partnerId === partner.partnerId,
        ),
      'the earning event',
    );
    expect(verifySignature(first.signature, first.raw, secret, new Date())).toBe('valid');

    // The events page, filtered by the partner, leads to the event; "Redeliver" sends it again.
    await openApp(page, '/console/events', 'Events');
    await page.getByLabel('Type').selectOption('earning.recorded');
    await page.getByLabel('Partner ID').fill(partner.partnerId);
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/type=earning.recorded/);
    await page.locator(`tr[data-event="${first.event.id}"]`).getByRole('link', { name: 'earning.recorded' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Event earning.recorded');
    const delivery = page.locator(`tr[data-endpoint="${endpointId}"]`);
    await expect.poll(() => delivery.locator('.badge').textContent()).toBe('delivered');
    await page.getByLabel('Deliver again to').selectOption(endpointId);
    await page.getByRole('button', { name: 'Redeliver' }).click();
    await page.getByRole('status').filter({ hasText: 'Queued for delivery again' }).waitFor();
    await waitFor(
      () => (receiver.received.filter((r) => r.event.id === first.event.id).length >= 2 ? true : undefined),
      'the redelivery',
    );
    await expect.poll(() => delivery.locator('td').nth(2).textContent()).toBe('2');
  });

  it('rotating shows a new secret once; deleting (confirmed) removes the endpoint', async () => {
    await openApp(page, '/console/webhooks', 'Webhook endpoints');
    await row()
      .getByRole('button', { name: /^Rotate secret/ })
      .click();
    const rotated = (await page.getByTestId('secret-value').textContent()) ?? '';
    expect(rotated).toMatch(/^cpwhsec_/);
    expect(rotated).not.toBe(secret);
    expect(await page.getByTestId('secret').textContent()).toMatch(/previous one also signs until/);
    await row()
      .getByRole('button', { name: `Delete ${url}` })
      .click();
    await page.getByRole('button', { name: 'Delete endpoint' }).click();
    await expect.poll(() => row().count()).toBe(0);
    const after = await adminGet<{ endpoints: Array<{ id: string }> }>('/admin/webhook-endpoints');
    expect(after.body.endpoints.map((e) => e.id)).not.toContain(endpointId);
  });
});

describe('operator console: money', () => {
  it("an adjustment (credit, then debit) changes the partner's balance in the partner portal", async () => {
    const partner = await activePayee('web-adjust');
    const portal = await newPage({ as: partner });
    await openApp(portal, '/earnings', 'Earnings');
    await portal.getByText('No earnings yet.').waitFor();

    await openApp(page, `/console/partners/${partner.partnerId}`, /.+/);
    await page.getByRole('link', { name: 'Record an adjustment' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Adjustments');
    expect(await page.getByLabel('Partner ID').inputValue()).toBe(partner.partnerId);
    await page.getByLabel('Amount').fill('12.34');
    await page.getByLabel('Reason').fill('Missed commission for March');
    await page.getByRole('button', { name: 'Record adjustment' }).click();
    await expect.poll(() => page.getByTestId('adjustment').textContent()).toContain('credit of $12.34');
    await page.getByLabel('Debit (take money back)').check();
    await page.getByLabel('Amount').fill('2');
    await page.getByLabel('Reason').fill('Duplicate bonus');
    await page.getByRole('button', { name: 'Record adjustment' }).click();
    await expect.poll(() => page.getByTestId('adjustment').textContent()).toContain('debit of $2.00');

    await openApp(portal, '/earnings', 'Earnings');
    const allTime = portal.locator('.stat', { hasText: 'All time' }).locator('strong');
    await expect.poll(() => allTime.textContent()).toBe('$10.34');
    expect(await portal.locator('tr', { hasText: 'adjustment' }).count()).toBe(2);
    // The operator's reasons are on the partner's record.
    const view = await adminGet<{ operatorActions: Array<{ action: string; reason: string }> }>(
      `/admin/partners/${partner.partnerId}`,
    );
    expect(view.body.operatorActions.filter((a) => a.action === 'adjustment').map((a) => a.reason)).toEqual(
      expect.arrayContaining(['Missed commission for March', 'Duplicate bonus']),
    );
  });

  it('a payout hold excludes the partner from a dry run; lifted, the partner is back in it', async () => {
    const partner = await activePayee('web-hold-run');
    const { period, inside } = await freshPeriod();
    await recordHeld(partner.partnerId, 3_300, inside);
    const preview = async () => {
      await openApp(page, '/console', 'Payout runs');
      await page.getByLabel('Period (YYYY-MM)').fill(period);
      await page.getByRole('button', { name: 'Preview (dry run)' }).click();
      const shown = page.getByTestId('dry-run');
      await shown.waitFor();
      return shown;
    };
    await openApp(page, `/console/partners/${partner.partnerId}`, /.+/);
    await page.getByLabel('Reason').fill('Chargeback investigation');
    await page.getByLabel('Until (optional)').fill('2099-01-31');
    await page.getByRole('button', { name: 'Hold payouts' }).click();
    await expect.poll(() => page.getByTestId('hold').textContent()).toContain('until');
    const held = await preview();
    expect(await held.textContent()).not.toContain(partner.partnerId);
    expect(await held.getByRole('list', { name: 'Skipped partners by reason' }).textContent()).toMatch(
      /operator hold: 1/,
    );
    // Nothing was started by the preview.
    expect((await adminGet(`/admin/payout-runs/run_${period}`)).status).toBe(404);
    // Positive control: the hold lifted (its page flow is in the operator suite), the partner is in the preview.
    const lifted = await api('DELETE', `/admin/partners/${partner.partnerId}/payout-hold?reason=Cleared`, {
      token: ops.idToken,
    });
    expect(lifted.status).toBe(200);
    expect(await (await preview()).textContent()).toContain(partner.partnerId);
  });

  it('a planned payout is excluded from a run waiting for approval: the approved run sends nothing to it', async () => {
    const { planPage, startRun: startGatedRun } = await import('#core/payouts');
    const partner = await activePayee('web-exclude');
    const { period, inside } = await freshPeriod();
    await recordHeld(partner.partnerId, 2_700, inside);
    const { deps, plans } = await inProcessDeps();
    const gated = { ...deps, settings: { ...deps.settings, requireApproval: true } };
    await startGatedRun(gated, { period, startedBy: 'test' });
    await planPage(gated, plans[0]?.runId ?? '', null);

    await openApp(page, `/console/runs/run_${period}`, `Payout run ${period}`);
    const row = page.locator(`tr[data-partner="${partner.partnerId}"]`);
    await expect.poll(() => row.locator('.badge').textContent()).toBe('planned');
    await row.getByRole('button', { name: /^Exclude/ }).click();
    // Focus moves to the reason, so the keyboard user types it at once.
    await page.keyboard.type('Disputed invoice');
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByRole('status').filter({ hasText: 'Excluded from the run' }).waitFor();
    await expect.poll(() => row.locator('.badge').textContent()).toBe('carried forward');
    expect(await row.textContent()).toContain('operator excluded');
    await page.getByRole('button', { name: 'Approve run' }).click();
    await expect.poll(() => page.getByTestId('run').locator('.badge').first().textContent()).toBe('completed');
    expect(await transfersOf(`run_${period}`)).toHaveLength(0);
  });

  it('a reversed payout is kept for the platform from the run page; the day reconciles with a transfer made by hand', async () => {
    const { reconcileDay } = await import('#core/reconciliation');
    const { reconciliationDeps } = await import('#adapters/reconciliation-deps');
    const partner = await activePayee('web-reversal');
    const { period, inside } = await freshPeriod();
    await recordHeld(partner.partnerId, 4_100, inside);
    expect((await startRun(period)).status).toBe(202);
    await settledRun(period);
    const [transfer] = await transfersOf(`run_${period}`);
    await stripeSdk().transfers.createReversal(String(transfer?.id));
    await deliverWebhooks();

    await eventually(
      () => adminGet<{ events: unknown[] }>(`/admin/events?type=payout.reversed&partnerId=${partner.partnerId}`),
      (r) => r.body.events.length > 0,
    );
    await openApp(page, `/console/runs/run_${period}`, `Payout run ${period}`);
    const row = page.locator(`tr[data-partner="${partner.partnerId}"]`);
    await expect.poll(() => row.locator('.badge').textContent()).toBe('reversed');
    await row.getByRole('button', { name: /^Keep reversal/ }).click();
    await page.getByLabel(/^Reason/).fill('Fraud confirmed');
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByRole('status').filter({ hasText: 'kept by the platform' }).waitFor();
    // Kept once: the API has nothing more to keep (409), and the partner's record says who and why.
    const again = await api<{ error: { code: string } }>(
      'POST',
      `/admin/payouts/po_${period}_usd_${partner.partnerId}/reversal-final`,
      { token: ops.idToken, body: { reason: 'again' } },
    );
    expect([again.status, again.body.error?.code]).toEqual([409, 'nothing_to_keep']);
    await openApp(page, `/console/partners/${partner.partnerId}`, /.+/);
    expect(await page.locator('#hold-title ~ ul').textContent()).toContain('reversal kept · Fraud confirmed');

    // Reconciliation: a transfer sent by hand at Stripe is reported for its day, in the page and its CSV.
    await emulator().fundBalance({ amount: 5_000, currency: 'usd' });
    const manual = await stripeSdk().transfers.create({
      amount: 650,
      currency: 'usd',
      destination: partner.accountId,
      description: 'Sent by hand from the Dashboard',
    });
    const day = new Date(manual.created * 1000).toISOString().slice(0, 10);
    await reconcileDay(reconciliationDeps(), day, `inline-${Date.now()}`);
    await openApp(page, `/console/reconciliation?date=${day}`, 'Reconciliation');
    const found = page.locator('tr[data-kind="transfer_unknown"]', { hasText: manual.id });
    await expect.poll(() => found.textContent()).toContain('$6.50');
    expect(Number(await page.getByTestId('discrepancy-count').textContent())).toBeGreaterThanOrEqual(1);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`reconciliation-${day}.csv`);
    const saved = path.join(await mkdtemp(path.join(tmpdir(), 'recon-')), 'report.csv');
    await download.saveAs(saved);
    expect(await readFile(saved, 'utf8')).toContain(manual.id);
    // A day the job never ran says so (not an error).
    await page.getByLabel('Day (UTC)').fill('2001-01-02');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByText('No reconciliation has run for 2001-01-02.').waitFor();
  });

  it('refuses a non-admin on every new console page, as the API does', async () => {
    const someone = await customer('web-notops-2');
    const outsider = await newPage({ as: someone });
    const adminCalls: string[] = [];
    outsider.on('request', (request) => {
      if (new URL(request.url()).pathname.startsWith('/admin/')) adminCalls.push(request.url());
    });
    for (const route of ['/console/webhooks', '/console/adjustments', '/console/reconciliation', '/console/events/x']) {
      await openApp(outsider, route, 'Operator console');
      expect(await outsider.getByRole('alert').textContent()).toMatch(/admin group/);
    }
    expect(adminCalls).toEqual([]);
    const body = {
      partnerId: `ptn_${'0'.repeat(24)}`,
      amount: 100,
      currency: 'usd',
      reason: 'Not an operator',
      externalId: 'web-refused',
    };
    expect((await api('POST', '/admin/adjustments', { token: someone.idToken, body })).status).toBe(403);
    // Positive control: the operator is answered (404: no such partner, nothing recorded).
    const control = await api('POST', '/admin/adjustments', { token: ops.idToken, body });
    expect(control.status, control.text).toBe(404);
    expect((await api('GET', '/admin/webhook-endpoints', { token: someone.idToken })).status).toBe(403);
  });
});
