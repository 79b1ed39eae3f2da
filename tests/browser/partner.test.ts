import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { LOCAL_PASSWORD } from '#local/cognito';
import { localCode, newPage, openApp } from '#tests/browser';
import { connectStatus, deliverWebhooks, emulator, newPartnerUser, onboard } from '#tests/connect';
import { api, stackInfo, uniqueEmail, user } from '#tests/local';
import { activePayee } from '#tests/payments';

const PASSWORD = 'Browser-Passw0rd!x';

const text = (page: Page, selector: string) => page.locator(selector).first().textContent();

/** Presses Tab until the focused element's accessible text is `name` (at most `limit` presses). */
async function tabTo(page: Page, name: string | RegExp, limit = 40): Promise<void> {
  for (let i = 0; i < limit; i += 1) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = (globalThis as unknown as { document: { activeElement: { textContent: string | null } | null } })
        .document.activeElement;
      return el?.textContent?.trim() ?? '';
    });
    if (typeof name === 'string' ? focused === name : name.test(focused)) return;
  }
  throw new Error(`Tab never reached ${String(name)}`);
}

describe('partner portal in a browser', () => {
  it('a partner signs up, confirms, sets up payouts on the hosted page and comes back to "all set"', async () => {
    const page = await newPage();
    const email = uniqueEmail('web-signup');
    await openApp(page, '/', 'Sign in');
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    // Locally the app shows the code cognito-local would have emailed; it is the one the pool holds.
    const hint = page.getByTestId('local-code');
    await expect.poll(() => hint.textContent()).toMatch(/code is \d+/);
    const code = (await hint.locator('code').textContent()) ?? '';
    expect(code).toBe(await localCode(email));
    await page.getByLabel('Confirmation code').fill(code);
    await page.getByRole('button', { name: 'Confirm and sign in' }).click();

    const card = page.getByTestId('status-card');
    await expect.poll(() => card.locator('h2').textContent()).toBe('Set up payouts');
    await card.getByRole('button', { name: 'Set up payouts' }).click();
    // The emulator's Stripe-hosted onboarding page, then our return route (a page: APP_URL is empty in tests).
    await page.getByRole('button', { name: 'Complete onboarding (verified)' }).click();
    await page.waitForURL(/\/connect\/return/);
    await openApp(page, '/?stripe=return', /.+/);
    await expect.poll(() => card.locator('h2').textContent()).toBe("You're all set");
    expect(await card.getByRole('button', { name: 'View payouts' }).isVisible()).toBe(true);
    // What the card says is what the API stores.
    const token = await page.evaluate(() => sessionStorage.getItem('connect-payouts.session'));
    const idToken = (JSON.parse(token ?? '{}') as { idToken: string }).idToken;
    expect((await connectStatus(idToken)).body.status).toBe('active');
  });

  it('embedded onboarding: the partner sets up payouts inside the portal (Connect.js) and the card turns all set', async () => {
    const partner = await newPartnerUser('web-embedded');
    const page = await newPage({ as: partner });
    await openApp(page, '/', /.+/);
    await page.getByRole('link', { name: 'Set up here, without leaving' }).click();
    await expect.poll(() => text(page, 'h1')).toBe('Set up payouts');
    const embedded = page.getByTestId('embedded-onboarding');
    // The emulator's Connect.js stand-in renders the component in the page, from the Account Session we made.
    await embedded.getByRole('button', { name: 'Complete onboarding (verified)' }).click();
    await page.waitForURL(/\/app\/\?embedded=1/);
    await expect.poll(() => text(page, '[data-testid="status-card"] h2'), { timeout: 15_000 }).toBe("You're all set");
    expect(page.url().startsWith(stackInfo().apiUrl)).toBe(true); // never left the app
    expect((await connectStatus(partner.idToken)).body.status).toBe('active');
  });

  it('one token store: a token about to expire is refreshed silently; sign-out forgets it', async () => {
    const person = await user(uniqueEmail('web-refresh'));
    const page = await newPage();
    await openApp(page, '/signin', 'Sign in');
    await page.getByLabel('Email').fill(person.email);
    await page.getByLabel('Password').fill(LOCAL_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('status-card').waitFor();
    const stored = async () =>
      JSON.parse((await page.evaluate(() => sessionStorage.getItem('connect-payouts.session'))) ?? 'null') as {
        idToken: string;
        refreshToken: string | null;
        expiresAt: number;
      } | null;
    const first = await stored();
    expect(first?.refreshToken).toBeTruthy();
    // The stored token "expires" in 30 s: the next API call refreshes it first (REFRESH_TOKEN_AUTH).
    await page.evaluate(
      (value) => sessionStorage.setItem('connect-payouts.session', value),
      JSON.stringify({ ...first, expiresAt: Date.now() + 30_000 }),
    );
    await page.reload();
    await page.getByTestId('status-card').waitFor();
    const refreshed = await stored();
    expect(refreshed?.idToken).not.toBe(first?.idToken);
    expect(refreshed?.expiresAt).toBeGreaterThan(Date.now() + 60_000);
    expect((await api('GET', '/partners/me', { token: refreshed?.idToken ?? '' })).status).toBe(200);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => text(page, 'h1')).toBe('Sign in');
    expect(await stored()).toBeNull();
    await page.goto('/app/earnings');
    await expect.poll(() => text(page, 'h1')).toBe('Sign in');
  });

  it('a wrong confirmation code is refused and the account stays unconfirmed', async () => {
    const page = await newPage();
    const email = uniqueEmail('web-badcode');
    await openApp(page, '/signup', 'Create an account');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByTestId('local-code').waitFor();
    const right = await localCode(email);
    await page.getByLabel('Confirmation code').fill(right === '000000' ? '111111' : '000000');
    await page.getByRole('button', { name: 'Confirm and sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/code is not right/);
    expect(await text(page, 'h1')).toBe('Confirm your email');
  });

  it('the status card shows what Stripe needs and the deadline from the account', async () => {
    const partner = await activePayee('web-due');
    const deadlineInSeconds = 5 * 86_400;
    const before = Date.now();
    await emulator().setAccountState(partner.accountId, 'restricted_soon', {
      requirements: ['individual.verification.document'],
      deadlineInSeconds,
    });
    await deliverWebhooks();
    const page = await newPage({ as: partner });
    await openApp(page, '/', /.+/);
    const action = page.getByTestId('action-required');
    await expect.poll(() => action.textContent()).toMatch(/Stripe needs these/);
    expect(await action.textContent()).toContain('individual verification document');
    const shown = await action.locator('time').getAttribute('datetime');
    const status = await connectStatus(partner.idToken);
    expect(shown).toBe((status.body as { actionRequired?: { deadline: string } }).actionRequired?.deadline);
    const deadline = Date.parse(shown ?? '');
    expect(deadline).toBeGreaterThan(before + deadlineInSeconds * 1000 - 120_000);
    expect(deadline).toBeLessThan(Date.now() + deadlineInSeconds * 1000 + 120_000);
    expect(await page.getByRole('button', { name: 'Update your details' }).isVisible()).toBe(true);
  });

  it('the payout preference is saved through the API', async () => {
    const partner = await newPartnerUser('web-pref');
    const page = await newPage({ as: partner });
    await openApp(page, '/', /.+/);
    const before = await api<{ payoutPreference: string }>('GET', '/partners/me', { token: partner.idToken });
    expect(before.body.payoutPreference).toBe('stripe');
    await page.getByLabel(/Manually/).check();
    await page.getByRole('button', { name: 'Save preference' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    const after = await api<{ payoutPreference: string }>('GET', '/partners/me', { token: partner.idToken });
    expect(after.body.payoutPreference).toBe('manual');
  });

  it('keyboard only: sign in, move through the portal, and start payouts setup', async () => {
    const person = await user(uniqueEmail('web-keys'));
    const page = await newPage();
    await openApp(page, '/', 'Sign in');
    await tabTo(page, 'Skip to content');
    await page.keyboard.press('Tab'); // the header's brand link
    await tabTo(page, 'Sign in'); // header link
    await page.keyboard.press('Tab');
    expect(
      await page.evaluate(
        () => (globalThis as unknown as { document: { activeElement: { id: string } } }).document.activeElement.id,
      ),
    ).toBe('email');
    await page.keyboard.type(person.email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(LOCAL_PASSWORD);
    await page.keyboard.press('Enter');
    await expect.poll(() => text(page, '[data-testid="status-card"] h2')).toBe('Set up payouts');

    await tabTo(page, 'Earnings');
    await page.keyboard.press('Enter');
    await expect.poll(() => text(page, 'h1')).toBe('Earnings');
    await tabTo(page, 'Overview');
    await page.keyboard.press('Enter');
    await expect.poll(() => text(page, '[data-testid="status-card"] h2')).toBe('Set up payouts');
    await tabTo(page, 'Set up payouts');
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => !url.pathname.startsWith('/app'));
    expect(await text(page, 'h1')).toBe('Set up payouts');
    // Finishing on the hosted page by keyboard too.
    await tabTo(page, 'Complete onboarding (verified)');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/connect\/return/);
  });

  it('team invitation: the owner invites by email, the invitee accepts the link and appears as a member', async () => {
    const owner = await newPartnerUser('web-owner');
    const inviteeEmail = uniqueEmail('web-invitee');
    const invitee = await user(inviteeEmail);
    const page = await newPage({ as: owner });
    await openApp(page, '/team', 'Team');
    await page.getByLabel('New team name').fill('Web Team');
    await page.getByRole('button', { name: 'Create team' }).click();
    await page.getByLabel('Email address').fill(inviteeEmail);
    await page.getByLabel('Role').selectOption('admin');
    await page.getByRole('button', { name: 'Invite' }).click();
    const link = (await page.getByTestId('invitation-link').textContent()) ?? '';
    expect(link).toMatch(/\/app\/invitations\/.+/);
    await expect.poll(() => page.getByText(inviteeEmail).first().textContent()).toContain(inviteeEmail);

    const other = await newPage({ as: invitee });
    await other.goto(link);
    await other.getByRole('button', { name: 'Accept invitation' }).click();
    await expect.poll(() => text(other, 'h1')).toBe('Team');
    await other.getByRole('button', { name: 'Manage Web Team' }).click();
    await expect.poll(() => other.locator('#members-title + ul').textContent()).toContain(inviteeEmail);

    await page.reload();
    await expect.poll(() => page.locator('#members-title + ul').textContent()).toContain(inviteeEmail);
    const teams = await api<{ partners: { name: string; role: string }[] }>('GET', '/partners', {
      token: invitee.idToken,
    });
    expect(teams.body.partners).toContainEqual(expect.objectContaining({ name: 'Web Team', role: 'admin' }));
  });

  it('onboarding through the API shows as all set in the portal (status read, not assumed)', async () => {
    const partner = await newPartnerUser('web-pending');
    await onboard(partner.idToken, 'pending');
    await deliverWebhooks();
    const page = await newPage({ as: partner });
    await openApp(page, '/', /.+/);
    await expect.poll(() => text(page, '[data-testid="status-card"] h2')).toBe('Stripe is verifying your details');
  });
});
