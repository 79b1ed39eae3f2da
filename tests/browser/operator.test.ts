import { describe, expect, it } from 'vitest';
import { newPage, openApp } from '#tests/browser';
import { deliverWebhooks, emulator } from '#tests/connect';
import { api } from '#tests/local';
import { activePayee, admin, customer } from '#tests/payments';
import { freshPeriod, opsToken, recordHeld, transfersOf } from '#tests/payouts';

describe('operator console in a browser', () => {
  it('the operator previews, starts and follows a run; the partner then sees the payout and the earning paid', async () => {
    const partner = await activePayee('web-payee');
    const { period, inside } = await freshPeriod();
    const reference = await recordHeld(partner.partnerId, 4_321, inside);
    const ops = await admin();
    const page = await newPage({ as: ops });
    await openApp(page, '/console', 'Payout runs');
    await page.getByLabel('Period (YYYY-MM)').fill(period);
    await page.getByRole('button', { name: 'Preview (dry run)' }).click();
    const preview = page.getByTestId('dry-run');
    await expect.poll(() => preview.textContent()).toContain(partner.partnerId);
    expect(await preview.textContent()).toContain('$43.21');
    // A dry run writes nothing: no run exists yet.
    const none = await api('GET', `/admin/payout-runs/run_${period}`, { token: ops.idToken });
    expect(none.status).toBe(404);

    await page.getByRole('button', { name: 'Start run' }).click();
    await page.waitForURL(/\/app\/console\/runs\//);
    const run = page.getByTestId('run');
    await expect.poll(() => run.locator('.badge').first().textContent(), { timeout: 20_000 }).toBe('completed');
    await expect.poll(() => page.getByTestId('paid-count').textContent(), { timeout: 20_000 }).toBe('1');
    const transfers = await transfersOf(`run_${period}`);
    expect(transfers).toHaveLength(1);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`payout-run-${period}.csv`);

    const portal = await newPage({ as: partner });
    await openApp(portal, '/payouts', 'Payouts');
    const row = portal.locator('tr', { hasText: period });
    await expect.poll(() => row.locator('.badge').textContent()).toBe('paid');
    expect(await row.textContent()).toContain(transfers[0]?.id ?? 'tr_');
    expect(await row.textContent()).toContain('$43.21');
    await openApp(portal, '/earnings', 'Earnings');
    const entry = portal.locator(`tr[data-entry="${reference}"]`);
    await expect.poll(() => entry.locator('.badge').textContent()).toBe('paid');
  });

  it('an operator starts a run that waits for approval, previews it, approves it, and it then pays', async () => {
    const partner = await activePayee('web-approval');
    const { period, inside } = await freshPeriod();
    await recordHeld(partner.partnerId, 2_500, inside);
    // The shared test stack pays without approval: the operator asks for it for this run, by clicking.
    const page = await newPage({ as: await admin() });
    await openApp(page, '/console', 'Payout runs');
    await page.getByLabel('Period (YYYY-MM)').fill(period);
    await page.getByRole('button', { name: 'Preview (dry run)' }).click();
    await expect.poll(() => page.getByTestId('dry-run').textContent()).toContain(partner.partnerId);
    await page.getByLabel('Wait for my approval before sending').check();
    await page.getByRole('button', { name: 'Start run' }).click();
    await page.waitForURL(/\/app\/console\/runs\//);
    await expect
      .poll(() => page.getByTestId('run').locator('.badge').first().textContent(), { timeout: 20_000 })
      .toBe('awaiting approval');
    expect(await transfersOf(`run_${period}`)).toHaveLength(0);
    await page.getByRole('button', { name: 'Approve run' }).click();
    await expect.poll(() => page.getByTestId('paid-count').textContent(), { timeout: 20_000 }).toBe('1');
    expect(await transfersOf(`run_${period}`)).toHaveLength(1);
  });

  it('the console refuses a non-admin, as the API does', async () => {
    const someone = await customer('web-notops');
    const page = await newPage({ as: someone });
    const adminCalls: string[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname.startsWith('/admin/')) adminCalls.push(request.url());
    });
    await openApp(page, '/console', 'Operator console');
    expect(await page.getByRole('alert').textContent()).toMatch(/admin group/);
    expect(await page.getByRole('link', { name: 'Payout runs' }).count()).toBe(0);
    expect(adminCalls).toEqual([]);
    // The API refuses the same caller; an operator (positive control) is answered.
    expect((await api('GET', '/admin/payout-runs', { token: someone.idToken })).status).toBe(403);
    expect((await api('GET', '/admin/payout-runs', { token: await opsToken() })).status).toBe(200);
  });

  it('partners needing attention soon are listed with what is due and by when', async () => {
    const partner = await activePayee('web-attention');
    await emulator().setAccountState(partner.accountId, 'restricted_soon', {
      requirements: ['individual.id_number'],
      deadlineInSeconds: 3 * 86_400,
    });
    await deliverWebhooks();
    const page = await newPage({ as: await admin() });
    await openApp(page, '/console/partners', 'Partners');
    await page.getByLabel('Show').selectOption('due_soon');
    const row = page.locator('tr', { hasText: partner.partnerId });
    await expect.poll(() => row.textContent(), { timeout: 15_000 }).toContain('individual id number');
    expect(await row.textContent()).toMatch(/due by /);
  });

  it("the operator holds a partner's payouts from the partner page and lifts the hold, each with a reason", async () => {
    const partner = await activePayee('web-hold');
    const ops = await admin();
    const page = await newPage({ as: ops });
    await openApp(page, '/console/partners', 'Partners');
    await page.locator('tr', { hasText: partner.partnerId }).getByRole('link').click();
    await page.getByRole('heading', { name: 'Payout hold' }).waitFor();
    const view = () =>
      api<{ payoutHold: { reason: string } | null }>('GET', `/admin/partners/${partner.partnerId}`, {
        token: ops.idToken,
      });
    expect((await view()).body.payoutHold).toBeNull();
    await page.getByLabel('Reason').fill('Fraud review');
    await page.getByRole('button', { name: 'Hold payouts' }).click();
    await expect.poll(() => page.getByTestId('hold').textContent()).toContain('Fraud review');
    expect((await view()).body.payoutHold?.reason).toBe('Fraud review');
    await page.getByLabel('Reason').fill('Cleared');
    await page.getByRole('button', { name: 'Lift hold' }).click();
    await expect.poll(() => page.getByText('Payouts are not held.').count()).toBe(1);
    expect((await view()).body.payoutHold).toBeNull();
    expect(await page.locator('#hold-title ~ ul').textContent()).toMatch(
      /payout hold set · Fraud review[\s\S]*payout hold lifted · Cleared|payout hold lifted · Cleared[\s\S]*payout hold set · Fraud review/,
    );
  });
});
