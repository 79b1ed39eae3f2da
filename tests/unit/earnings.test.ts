import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { earningEntryView, earningsSummary, payoutStatusOf, recordHeldEarnings, syncCommission } from '#core/earnings';
import { balances, isTimeZone, windowStarts } from '#core/ledger';
import { platformFee } from '#core/money';
import type { Partner } from '#core/partner';
import type { LedgerRecord, StripePaymentView } from '#core/payment-ports';
import { fakePaymentDeps } from '#tests/payment-fakes';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 22, 15, 30); // Sunday 22 Nov 2026, 15:30 UTC
const TODAY = Date.UTC(2026, 10, 22);
const partner = { id: 'ptn_aaaaaaaaaaaaaaaaaaaaaaaa', defaultCurrency: 'usd' } as Partner;

const entry = (amount: number, occurredAt: number, overrides: Partial<LedgerRecord> = {}): LedgerRecord => ({
  id: `e${occurredAt}${amount}`,
  partnerId: partner.id,
  currency: 'usd',
  type: 'earning',
  amount,
  occurredAt,
  description: 'x',
  reference: 'r',
  payoutStatus: 'transferred',
  recordedAt: new Date(NOW).toISOString(),
  ...overrides,
});

describe('earnings summary (injected clock, UTC calendar days)', () => {
  it('puts each window edge on the right side', () => {
    const entries = [
      entry(1, TODAY), // first instant of today
      entry(2, TODAY - 1), // last instant of yesterday
      entry(4, TODAY - 6 * DAY), // first instant of the 7-day window
      entry(8, TODAY - 6 * DAY - 1), // just before it
      entry(16, TODAY - 29 * DAY), // first instant of the 30-day window
      entry(32, TODAY - 29 * DAY - 1), // just before it
      entry(64, NOW), // now
      entry(128, NOW + 1), // in the future: not yet
    ];
    const totals = [{ partnerId: partner.id, currency: 'usd' as const, balance: 0, earned: 1_000, entryCount: 8 }];
    expect(earningsSummary(entries, totals, NOW)).toEqual({
      usd: { today: 1 + 64, last7Days: 1 + 2 + 4 + 64, last30Days: 1 + 2 + 4 + 8 + 16 + 64, allTime: 1_000 },
    });
  });

  it('uses local calendar days in a time zone, including across daylight-saving changes', () => {
    // 22 Nov 2026 15:30 UTC is 16:30 in Paris (UTC+1): today starts 21 Nov 23:00 UTC.
    expect(windowStarts(NOW, 'Europe/Paris')).toEqual({
      today: Date.UTC(2026, 10, 21, 23),
      last7Days: Date.UTC(2026, 10, 15, 23),
      // 24 Oct 2026 was still summer time in Paris (UTC+2; it ended on 25 Oct).
      last30Days: Date.UTC(2026, 9, 23, 22),
    });
    // Los Angeles, 8 Mar 2026 (the spring-forward day, 23 hours long) at 12:00 local = 19:00 UTC (UTC-7).
    const springForward = Date.UTC(2026, 2, 8, 19);
    expect(windowStarts(springForward, 'America/Los_Angeles').today).toBe(Date.UTC(2026, 2, 8, 8)); // 00:00 PST
    // Ahead of UTC by 14 hours: a new local day has already begun.
    expect(windowStarts(Date.UTC(2026, 10, 22, 11), 'Pacific/Kiritimati').today).toBe(Date.UTC(2026, 10, 22, 10));
    expect(windowStarts(NOW, 'UTC')).toEqual(windowStarts(NOW));
    const totals = [{ partnerId: partner.id, currency: 'usd' as const, balance: 0, earned: 3, entryCount: 2 }];
    // 21 Nov 23:30 UTC is already 22 Nov in Paris.
    const lateEvening = [entry(1, Date.UTC(2026, 10, 21, 23, 30)), entry(2, Date.UTC(2026, 10, 21, 22, 30))];
    expect(earningsSummary(lateEvening, totals, NOW, undefined, 'Europe/Paris').usd?.today).toBe(1);
    expect(earningsSummary(lateEvening, totals, NOW).usd?.today).toBe(0);
    expect(isTimeZone('Europe/Paris')).toBe(true);
    expect(isTimeZone('Mars/Olympus_Mons')).toBe(false);
  });

  it('counts only the partner share and keeps currencies apart; a currency with no recent entries shows zeros', () => {
    const entries = [
      entry(500, NOW - 1_000),
      entry(-500, NOW - 1_000, { type: 'transfer' }),
      entry(-100, NOW - 500, { type: 'refund' }),
      entry(700, NOW - 100, { currency: 'eur' }),
    ];
    const totals = [
      { partnerId: partner.id, currency: 'usd' as const, balance: 0, earned: 400, entryCount: 3 },
      { partnerId: partner.id, currency: 'eur' as const, balance: 700, earned: 700, entryCount: 1 },
      { partnerId: partner.id, currency: 'gbp' as const, balance: 50, earned: 50, entryCount: 1 },
    ];
    expect(earningsSummary(entries, totals, NOW)).toEqual({
      usd: { today: 400, last7Days: 400, last30Days: 400, allTime: 400 },
      eur: { today: 700, last7Days: 700, last30Days: 700, allTime: 700 },
      gbp: { today: 0, last7Days: 0, last30Days: 0, allTime: 50 },
    });
    expect(Object.keys(earningsSummary(entries, totals, NOW, 'eur'))).toEqual(['eur']);
  });

  it('derives `available` at the end of the holding period and shows no gross or fee', () => {
    const held = entry(900, NOW - DAY, { payoutStatus: 'pending', availableAt: NOW, gross: 1_000, fee: 100 });
    expect(payoutStatusOf(held, NOW - 1)).toBe('pending');
    expect(payoutStatusOf(held, NOW)).toBe('available');
    expect(payoutStatusOf({ ...held, payoutStatus: 'in_payout' }, NOW + DAY)).toBe('in_payout');
    const view = earningEntryView(held, NOW);
    expect(view).not.toHaveProperty('gross');
    expect(view).not.toHaveProperty('fee');
    expect(view).toMatchObject({ amount: 900, payoutStatus: 'available', date: new Date(NOW - DAY).toISOString() });
  });
});

describe('platform-held earnings', () => {
  it('records once per externalId, replays the same body, refuses another body without writing', async () => {
    const deps = fakePaymentDeps({ now: NOW, partners: [partner] });
    const input = { partnerId: partner.id, amount: 250, currency: 'USD', externalId: 'ext-1', description: 'Referral' };
    const first = await recordHeldEarnings(deps, [input]);
    expect(first.created).toBe(1);
    expect(first.earnings[0]).toMatchObject({ availableAt: new Date(NOW + 7 * DAY).toISOString(), currency: 'usd' });
    const replay = await recordHeldEarnings(deps, [input]);
    expect(replay).toEqual({ created: 0, earnings: first.earnings });
    await expect(recordHeldEarnings(deps, [{ ...input, description: 'Other' }])).rejects.toMatchObject({
      code: 'external_id_conflict',
    });
    await expect(
      recordHeldEarnings(deps, [{ ...input, externalId: 'ext-2', partnerId: 'ptn_000000000000000000000000' }]),
    ).rejects.toMatchObject({ code: 'partner_not_found' });
    expect(deps.ledger.entries).toHaveLength(1);
  });

  it('commission refunds add up exactly: the commission kept is always the rate of what was not refunded', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 50, max: 10_000_000 }),
        fc.array(fc.integer({ min: 1, max: 5_000_000 }), { maxLength: 5 }),
        fc.boolean(),
        async (amount, refunds, shuffle) => {
          const deps = fakePaymentDeps({ now: NOW, partners: [partner] });
          const views: StripePaymentView[] = [];
          let refunded = 0;
          const base: StripePaymentView = {
            paymentIntentId: 'pi_platform',
            outcome: 'succeeded',
            failureCode: null,
            amount,
            currency: 'usd',
            destination: null,
            metadata: { referring_partner_id: partner.id },
            chargeId: 'ch_1',
            chargeCreated: Math.floor(NOW / 1000),
            amountCaptured: amount,
            amountRefunded: 0,
            applicationFee: 0,
            applicationFeeRefunded: 0,
            transferReversed: 0,
            description: 'Plan',
          };
          views.push(base);
          for (const r of refunds) {
            refunded = Math.min(amount, refunded + r);
            views.push({ ...base, amountRefunded: refunded });
          }
          const order = shuffle ? [...views].reverse() : views;
          for (const v of order) await syncCommission(deps, v, Math.floor(NOW / 1000));
          const kept = balances(deps.ledger.entries).usd ?? 0;
          expect(kept).toBe(platformFee(amount - refunded, { bps: 1_000 }));
          expect(deps.ledger.entries.every((e) => e.payoutStatus === 'pending')).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('ignores charges with a destination, without a referrer, or for an unknown partner', async () => {
    const deps = fakePaymentDeps({ now: NOW, partners: [partner] });
    const base = {
      paymentIntentId: 'pi_x',
      outcome: 'succeeded' as const,
      failureCode: null,
      amount: 1_000,
      currency: 'usd',
      destination: null,
      metadata: {},
      chargeId: 'ch_x',
      chargeCreated: null,
      amountCaptured: 1_000,
      amountRefunded: 0,
      applicationFee: 0,
      applicationFeeRefunded: 0,
      transferReversed: 0,
      description: null,
    };
    expect(await syncCommission(deps, base, 0)).toBe('ignored');
    expect(
      await syncCommission(deps, { ...base, destination: 'acct_1', metadata: { referring_partner_id: partner.id } }, 0),
    ).toBe('ignored');
    expect(
      await syncCommission(deps, { ...base, metadata: { referring_partner_id: 'ptn_000000000000000000000000' } }, 0),
    ).toBe('unknown_referrer');
    expect(deps.ledger.entries).toEqual([]);
  });
});
