import { describe, expect, it } from 'vitest';
import {
  type ChargeFact,
  type Discrepancy,
  discrepanciesCsv,
  type PaymentFact,
  type PayoutFact,
  parseDay,
  type ReconciliationPorts,
  type ReconciliationReport,
  reconcileDay,
  type StripeTransferFact,
} from '#core/reconciliation';

const DAY = '2026-11-29';
const created = Date.parse(`${DAY}T12:00:00Z`) / 1000;

function transfer(overrides: Partial<StripeTransferFact>): StripeTransferFact {
  return {
    id: 'tr_1',
    amount: 1_000,
    currency: 'usd',
    destination: 'acct_1',
    created,
    amountReversed: 0,
    payoutId: 'po_1',
    partnerId: 'ptn_1',
    orderId: null,
    sourceTransaction: null,
    ...overrides,
  };
}

const payout = (overrides: Partial<PayoutFact> = {}): PayoutFact => ({
  payoutId: 'po_1',
  partnerId: 'ptn_1',
  amount: 1_000,
  currency: 'usd',
  destination: 'acct_1',
  transferId: 'tr_1',
  reversedAmount: 0,
  ...overrides,
});

/** In-memory ports: Stripe's transfers and charges, our payouts and payments; records what the run stores. */
function ports(world: {
  transfers: StripeTransferFact[];
  payouts: PayoutFact[];
  charges?: ChargeFact[];
  payments?: PaymentFact[];
  paid?: PayoutFact[];
}) {
  const stored = new Map<string, Discrepancy>();
  const reports: ReconciliationReport[] = [];
  const deps: ReconciliationPorts = {
    async *transfers(start, end) {
      yield* world.transfers.filter((t) => t.created >= start && t.created < end);
    },
    transfer: async (id) => world.transfers.find((t) => t.id === id),
    charge: async (id) => world.charges?.find((c) => c.chargeId === id),
    payout: async (partnerId, payoutId) =>
      world.payouts.find((p) => p.partnerId === partnerId && p.payoutId === payoutId),
    payment: async (id) => world.payments?.find((p) => p.paymentId === id),
    async *paidPayouts() {
      yield* world.paid ?? [];
    },
    record: async (d) => {
      if (stored.has(d.id)) return false;
      stored.set(d.id, d);
      return true;
    },
    saveReport: async (report) => {
      reports.push(report);
    },
    clock: () => new Date('2026-11-30T03:00:00Z'),
  };
  return { deps, stored, reports };
}

describe('reconciliation', () => {
  it('finds nothing when Stripe and our records agree', async () => {
    const p = payout();
    const { deps, stored, reports } = ports({
      transfers: [
        transfer({}),
        transfer({ id: 'tr_seller', orderId: 'ord_1', payoutId: null, partnerId: 'ptn_2' }),
        transfer({ id: 'tr_dest', payoutId: null, partnerId: null, sourceTransaction: 'ch_1', amount: 5_000 }),
      ],
      payouts: [p],
      charges: [{ chargeId: 'ch_1', paymentId: 'pay_1', applicationFee: 500 }],
      payments: [{ paymentId: 'pay_1', partnerId: 'ptn_3', fee: 500, currency: 'usd' }],
      paid: [p],
    });
    const report = await reconcileDay(deps, DAY);
    expect(report).toMatchObject({ date: DAY, transfersChecked: 3, payoutsChecked: 1, discrepancies: 0 });
    expect(stored.size).toBe(0);
    expect(reports).toHaveLength(1);
  });

  it('finds each kind once, with what each side says', async () => {
    const { deps, stored } = ports({
      transfers: [
        transfer({ id: 'tr_hand', payoutId: null, partnerId: null }),
        transfer({ id: 'tr_rev', payoutId: 'po_rev', amountReversed: 300 }),
        transfer({ id: 'tr_amt', payoutId: 'po_amt', amount: 999 }),
        transfer({ id: 'tr_dest', payoutId: null, partnerId: null, sourceTransaction: 'ch_1' }),
        transfer({ id: 'tr_other_day', created: created - 86_400 }),
      ],
      payouts: [
        payout({ payoutId: 'po_rev', transferId: 'tr_rev' }),
        payout({ payoutId: 'po_amt', transferId: 'tr_amt' }),
      ],
      charges: [{ chargeId: 'ch_1', paymentId: 'pay_1', applicationFee: 120 }],
      payments: [{ paymentId: 'pay_1', partnerId: 'ptn_3', fee: 100, currency: 'usd' }],
      paid: [payout({ payoutId: 'po_gone', transferId: 'tr_gone' }), payout({ transferId: 'tr_other_day' })],
    });
    const report = await reconcileDay(deps, DAY);
    expect(report.byKind).toEqual({
      transfer_unknown: 1,
      transfer_missing: 1,
      transfer_mismatch: 1,
      reversal_unrecorded: 1,
      fee_mismatch: 1,
    });
    const byKind = Object.fromEntries([...stored.values()].map((d) => [d.kind, d]));
    expect(byKind.transfer_unknown).toMatchObject({ stripeId: 'tr_hand', actual: 1_000 });
    expect(byKind.reversal_unrecorded).toMatchObject({ stripeId: 'tr_rev', expected: 0, actual: 300 });
    expect(byKind.transfer_mismatch).toMatchObject({ stripeId: 'tr_amt', expected: 1_000, actual: 999 });
    expect(byKind.fee_mismatch).toMatchObject({ recordId: 'pay_1', expected: 100, actual: 120 });
    expect(byKind.transfer_missing).toMatchObject({ stripeId: 'tr_gone', recordId: 'po_gone' });
    // Run again: the same discrepancies, stored once.
    await reconcileDay(deps, DAY);
    expect(stored.size).toBe(5);
  });

  it('takes only a calendar day', () => {
    expect(parseDay('2026-02-28').end - parseDay('2026-02-28').start).toBe(86_400_000);
    for (const bad of ['2026-02-30', '2026-2-1', '20260201', 'yesterday']) {
      expect(() => parseDay(bad), bad).toThrow(expect.objectContaining({ code: 'invalid_date' }));
    }
  });

  it('writes CSV a spreadsheet cannot mistake for formulas', () => {
    const csv = discrepanciesCsv([
      {
        id: 'x',
        date: DAY,
        kind: 'transfer_unknown',
        stripeId: 'tr_1',
        recordId: null,
        partnerId: null,
        currency: 'usd',
        expected: null,
        actual: -5,
        detail: '=HYPERLINK("http://evil"), "quoted"',
      },
    ]);
    const [header, row] = csv.split('\r\n');
    expect(header).toBe('date,kind,stripeId,recordId,partnerId,currency,expected,actual,detail');
    expect(row).toBe(`${DAY},transfer_unknown,tr_1,,,usd,,-5,"'=HYPERLINK(""http://evil""), ""quoted"""`);
  });
});
