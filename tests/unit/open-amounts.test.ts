import { describe, expect, it } from 'vitest';
import type { Partner } from '#core/partner';
import { startPaymentIntent } from '#core/payments';
import { planReservationMove } from '#core/reservations';
import { fakePaymentDeps } from '#tests/payment-fakes';

const customer = { sub: 'buyer', email: null };
const request = {
  payeeId: 'ptn_000000000000000000000001',
  amount: 50,
  currency: 'usd',
  kind: 'custom' as const,
  description: 'Tip',
  metadata: {},
};

describe('customer-set amounts', () => {
  it('are refused while open amounts are off (the default), naming the routes to use, before anything is read', async () => {
    const deps = fakePaymentDeps({ now: 0, partners: [] as Partner[] });
    await expect(startPaymentIntent(deps, customer, request)).rejects.toMatchObject({
      code: 'open_amounts_disabled',
      kind: 'validation',
      message: expect.stringContaining('/payment-requests/{id}/intent'),
    });
  });

  it('reach the payee checks when open amounts are on (control)', async () => {
    const deps = fakePaymentDeps({ now: 0, partners: [] as Partner[] });
    deps.settings.openAmounts = true;
    await expect(startPaymentIntent(deps, customer, request)).rejects.toMatchObject({ code: 'payee_not_found' });
  });
});

describe('reservation moves', () => {
  const lines = [{ listingId: 'lst_a', quantity: 3 }];
  it.each([
    ['held', 'paid', { reserved: -3, sold: 3, taken: 0 }],
    ['held', 'canceled', { reserved: -3, sold: 0, taken: -3 }],
    ['sold', 'refunded', { reserved: 0, sold: -3, taken: -3 }],
    ['released', 'paid', { reserved: 0, sold: 3, taken: 3 }],
  ] as const)('%s → %s', (from, status, delta) => {
    expect(planReservationMove(from, status, lines)?.lines).toEqual([{ listingId: 'lst_a', delta }]);
  });
  it.each([
    ['held', 'pending'],
    ['held', 'failed'],
    ['sold', 'partially_refunded'],
    ['released', 'canceled'],
    ['sold', 'pending'],
  ] as const)('%s stays with %s', (from, status) => {
    expect(planReservationMove(from, status, lines)).toBeNull();
  });
});
