import { describe, expect, it } from 'vitest';
import { newPage, openApp } from '#tests/browser';
import { withHeldDeliveries } from '#tests/connect';
import { api } from '#tests/local';
import { activePayee, customer } from '#tests/payments';
import { createListing } from '#tests/sales';

describe('customer pages in a browser', () => {
  it('a customer buys from a listing; the order page says pending until the webhook settles it, then paid', async () => {
    const seller = await activePayee('web-seller');
    const listing = await createListing(seller.idToken, { title: 'Web concert', capacity: 5 });
    const buyer = await customer('web-buyer');
    const page = await newPage({ as: buyer });
    await openApp(page, `/buy/${listing.id}`, 'Web concert');
    expect(await page.getByText('5 left').isVisible()).toBe(true);
    await page.getByLabel('Quantity').fill('2');
    let orderUrl = '';
    // Webhooks held: back from Checkout, the page must not take the redirect's word for the payment.
    await withHeldDeliveries(async () => {
      await page.getByRole('button', { name: 'Buy for $50.00' }).click();
      await page.getByRole('button', { name: 'Pay with card 4242 4242 4242 4242' }).click();
      await page.waitForURL(/\/app\/orders\//);
      orderUrl = page.url();
      await expect.poll(() => page.locator('.badge').first().textContent()).toBe('pending');
      await page.waitForTimeout(1_500);
      expect(await page.locator('.badge').first().textContent()).toBe('pending');
    });
    // The held deliveries are sent: the page's next read shows the webhook-settled status.
    await expect.poll(() => page.locator('.badge').first().textContent(), { timeout: 15_000 }).toBe('paid');
    expect(await page.getByText('Total $50.00').isVisible()).toBe(true);
    const orderId = orderUrl.split('/orders/')[1] ?? '';
    const order = await api<{ status: string; amount: number }>('GET', `/orders/${orderId}`, {
      token: buyer.idToken,
    });
    expect(order.body).toMatchObject({ status: 'paid', amount: 5_000 });
    await openApp(page, `/buy/${listing.id}`, 'Web concert');
    await expect.poll(() => page.getByText('3 left').count()).toBe(1);
  });

  it('a signed-out visitor sees the listing, and is sent to sign in before buying, then back to it', async () => {
    const seller = await activePayee('web-seller2');
    const listing = await createListing(seller.idToken, { title: 'Web workshop' });
    const page = await newPage();
    await openApp(page, `/buy/${listing.id}`, 'Web workshop');
    await page.getByRole('button', { name: /Buy for/ }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Sign in');
    expect(new URL(page.url()).searchParams.get('next')).toBe(`/buy/${listing.id}`);
  });

  it('a customer pays a payment request; its page turns paid after the webhook', async () => {
    const seller = await activePayee('web-requester');
    const created = await api<{ id: string }>('POST', '/payment-requests', {
      token: seller.idToken,
      body: { amount: 12_000, currency: 'usd', kind: 'deposit', description: 'Wedding deposit' },
    });
    expect(created.status).toBe(201);
    const payer = await customer('web-payer');
    const page = await newPage({ as: payer });
    await openApp(page, `/pay/${created.body.id}`, 'Wedding deposit');
    await page.getByRole('button', { name: 'Pay $120.00' }).click();
    await page.getByRole('button', { name: 'Pay with card 4242 4242 4242 4242' }).click();
    await page.waitForURL(/\/app\/pay\/.+returned=1/);
    await expect.poll(() => page.locator('.badge').first().textContent(), { timeout: 15_000 }).toBe('paid');
    const request = await api<{ status: string }>('GET', `/payment-requests/${created.body.id}`);
    expect(request.body.status).toBe('paid');
  });
});
