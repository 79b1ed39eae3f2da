import { describe, expect, it } from 'vitest';
import {
  type ChargeFact,
  type ConnectedPayoutFact,
  compareConnectedPayout,
  type Discrepancy,
  type DiscrepancyKind,
  discrepanciesCsv,
  emptyCounts,
  firstStep,
  type PaymentFact,
  type PayoutFact,
  parseDay,
  type ReconciliationPorts,
  type ReconciliationReport,
  reconcileDay,
  reconcileStep,
  type SellerTransferFact,
  type StripeConnectedPayoutFact,
  type StripeTransferFact,
  startReconciliation,
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

const seller = (overrides: Partial<SellerTransferFact> = {}): SellerTransferFact => ({
  orderId: 'ord_1',
  partnerId: 'ptn_2',
  currency: 'usd',
  destination: 'acct_1',
  transferId: 'tr_seller',
  amount: 1_000,
  reversedAmount: 0,
  ...overrides,
});

const openPayout = (overrides: Partial<ConnectedPayoutFact> = {}): ConnectedPayoutFact => ({
  payoutId: 'po_bank_1',
  partnerId: 'ptn_1',
  accountId: 'acct_1',
  amount: 2_500,
  currency: 'usd',
  status: 'in_transit',
  arrivalDate: created,
  ...overrides,
});

/** Stripe's side of an open payout of ours, as it agrees with it unless overridden. */
const stripePayout = (ours: ConnectedPayoutFact, overrides: Partial<StripeConnectedPayoutFact> = {}) => ({
  id: ours.payoutId,
  amount: ours.amount,
  currency: ours.currency,
  status: ours.status as string,
  accountId: ours.accountId,
  ...overrides,
});

/** A page of `items` after `cursor` (an index), as the ports page them. */
function pageOf<T>(items: readonly T[], cursor: string | null, limit: number) {
  const from = cursor === null ? 0 : Number(cursor);
  const next = from + limit < items.length ? String(from + limit) : null;
  return { items: items.slice(from, from + limit), next };
}

/**
 * In-memory ports: Stripe's transfers and charges, our payouts and payments; records what the run stores, its
 * counts per page (once per page key, as the table's page markers do) and every Stripe call.
 */
function ports(world: {
  transfers: StripeTransferFact[];
  payouts: PayoutFact[];
  charges?: ChargeFact[];
  payments?: PaymentFact[];
  paid?: PayoutFact[];
  sellers?: SellerTransferFact[];
  /** Our open connected payouts (any arrival day) and Stripe's payouts, each on its account. */
  openPayouts?: ConnectedPayoutFact[];
  stripePayouts?: Array<StripeConnectedPayoutFact & { accountId: string }>;
}) {
  const stored = new Map<string, Discrepancy>();
  const reports: ReconciliationReport[] = [];
  const runs = new Map<string, ReconciliationReport>();
  const pages = new Set<string>();
  const listed = new Map<string, Set<string>>();
  const calls = {
    transferPages: [] as number[],
    transferReads: [] as string[],
    openPayoutPages: [] as number[],
    payoutReads: [] as string[],
  };
  const deps: ReconciliationPorts = {
    transferPage: async (start, end, cursor, limit) => {
      const page = pageOf(
        world.transfers.filter((t) => t.created >= start && t.created < end),
        cursor,
        limit,
      );
      calls.transferPages.push(page.items.length);
      return page;
    },
    transfer: async (id) => {
      calls.transferReads.push(id);
      return world.transfers.find((t) => t.id === id);
    },
    charge: async (id) => world.charges?.find((c) => c.chargeId === id),
    payout: async (partnerId, payoutId) =>
      world.payouts.find((p) => p.partnerId === partnerId && p.payoutId === payoutId),
    sellerTransfer: async (orderId, partnerId) =>
      world.sellers?.find((seller) => seller.orderId === orderId && seller.partnerId === partnerId),
    payment: async (id) => world.payments?.find((p) => p.paymentId === id),
    paidPayoutPage: async (_start, _end, cursor, limit) => pageOf(world.paid ?? [], cursor, limit),
    openConnectedPayoutPage: async (through, cursor, limit) => {
      const endOfDay = Date.parse(`${through}T00:00:00Z`) / 1000 + 86_400;
      const page = pageOf(
        (world.openPayouts ?? []).filter((p) => (p.arrivalDate ?? 0) < endOfDay),
        cursor,
        limit,
      );
      calls.openPayoutPages.push(page.items.length);
      return page;
    },
    connectedPayout: async (accountId, payoutId) => {
      calls.payoutReads.push(payoutId);
      const found = world.stripePayouts?.find((p) => p.id === payoutId && p.accountId === accountId);
      return found && { id: found.id, amount: found.amount, currency: found.currency, status: found.status };
    },
    markListed: async (runId, ids) => {
      const set = listed.get(runId) ?? new Set<string>();
      for (const id of ids) set.add(id);
      listed.set(runId, set);
    },
    listed: async (runId, ids) => new Set(ids.filter((id) => listed.get(runId)?.has(id))),
    record: async (d) => {
      if (stored.has(d.id)) return false;
      stored.set(d.id, d);
      return true;
    },
    beginRun: async ({ runId, date, startedAt }) => {
      if (runs.has(runId)) return false;
      runs.set(runId, {
        date,
        runId,
        transfersChecked: 0,
        payoutsChecked: 0,
        connectedPayoutsChecked: 0,
        discrepancies: 0,
        byKind: emptyCounts(),
        startedAt,
        finishedAt: startedAt,
        durationMs: 0,
      });
      return true;
    },
    countPage: async (runId, _date, pageKey, counts) => {
      const run = runs.get(runId);
      if (!run) throw new Error(`no run ${runId}`);
      if (pages.has(`${runId}#${pageKey}`)) return false;
      pages.add(`${runId}#${pageKey}`);
      run.transfersChecked += counts.transfersChecked;
      run.payoutsChecked += counts.payoutsChecked;
      run.connectedPayoutsChecked += counts.connectedPayoutsChecked;
      for (const [kind, n] of Object.entries(counts.byKind)) run.byKind[kind as DiscrepancyKind] += n;
      run.discrepancies = Object.values(run.byKind).reduce((sum, n) => sum + n, 0);
      return true;
    },
    finishRun: async (runId) => {
      const run = runs.get(runId);
      if (!run) throw new Error(`no run ${runId}`);
      return structuredClone(run);
    },
    saveReport: async (report) => {
      reports.push(report);
    },
    clock: { now: () => new Date('2026-11-30T03:00:00Z') },
  };
  return { deps, stored, reports, calls };
}

let runs = 0;

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
      sellers: [seller()],
    });
    const report = await reconcileDay(deps, DAY, `run-${++runs}`);
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
    const report = await reconcileDay(deps, DAY, `run-${++runs}`);
    expect(report.byKind).toEqual({
      transfer_unknown: 1,
      transfer_missing: 1,
      transfer_mismatch: 1,
      reversal_unrecorded: 1,
      fee_mismatch: 1,
      connected_payout_mismatch: 0,
      connected_payout_missing: 0,
    });
    const byKind = Object.fromEntries([...stored.values()].map((d) => [d.kind, d]));
    expect(byKind.transfer_unknown).toMatchObject({ stripeId: 'tr_hand', actual: 1_000 });
    expect(byKind.reversal_unrecorded).toMatchObject({ stripeId: 'tr_rev', expected: 0, actual: 300 });
    expect(byKind.transfer_mismatch).toMatchObject({ stripeId: 'tr_amt', expected: 1_000, actual: 999 });
    expect(byKind.fee_mismatch).toMatchObject({ recordId: 'pay_1', expected: 100, actual: 120 });
    expect(byKind.transfer_missing).toMatchObject({ stripeId: 'tr_gone', recordId: 'po_gone' });
    // Run again: the same discrepancies, stored once.
    await reconcileDay(deps, DAY, `run-${++runs}`);
    expect(stored.size).toBe(5);
  });

  it('compares a seller’s transfer of a multi-seller order with the order’s record of that seller', async () => {
    const sellerTransfer = (overrides: Partial<StripeTransferFact>) =>
      transfer({ orderId: 'ord_1', payoutId: null, partnerId: 'ptn_2', id: 'tr_seller', ...overrides });
    const { deps, stored } = ports({
      transfers: [
        sellerTransfer({}), // agrees
        sellerTransfer({ id: 'tr_s_amount', partnerId: 'ptn_4', amount: 900 }),
        sellerTransfer({ id: 'tr_s_reversed', partnerId: 'ptn_5', amountReversed: 400 }),
        sellerTransfer({ id: 'tr_s_stranger', partnerId: 'ptn_6' }), // no such seller on the order
        sellerTransfer({ id: 'tr_s_other', partnerId: 'ptn_7' }), // the order records another transfer
      ],
      payouts: [],
      sellers: [
        seller(),
        seller({ partnerId: 'ptn_4', transferId: 'tr_s_amount' }),
        seller({ partnerId: 'ptn_5', transferId: 'tr_s_reversed', reversedAmount: 100 }),
        seller({ partnerId: 'ptn_7', transferId: 'tr_s_first' }),
      ],
    });
    const report = await reconcileDay(deps, DAY, `run-${++runs}`);
    expect(report.byKind).toMatchObject({ transfer_unknown: 2, transfer_mismatch: 1, reversal_unrecorded: 1 });
    const found = [...stored.values()].map(({ kind, stripeId, recordId, expected, actual }) => ({
      kind,
      stripeId,
      recordId,
      expected,
      actual,
    }));
    expect(found).toEqual(
      expect.arrayContaining([
        { kind: 'transfer_mismatch', stripeId: 'tr_s_amount', recordId: 'ord_1', expected: 1_000, actual: 900 },
        { kind: 'reversal_unrecorded', stripeId: 'tr_s_reversed', recordId: 'ord_1', expected: 100, actual: 400 },
        { kind: 'transfer_unknown', stripeId: 'tr_s_stranger', recordId: null, expected: null, actual: 1_000 },
        { kind: 'transfer_unknown', stripeId: 'tr_s_other', recordId: 'ord_1', expected: null, actual: 1_000 },
      ]),
    );
    expect(stored.size).toBe(4);
  });

  /**
   * Open connected payouts: one Stripe agrees with, one Stripe paid (event lost), one pending that Stripe has in
   * transit (no discrepancy), one Stripe does not have, and one arriving after the day (not read).
   */
  const busyOpenPayouts = [
    openPayout({ payoutId: 'po_bank_ok' }),
    openPayout({ payoutId: 'po_bank_paid' }),
    openPayout({ payoutId: 'po_bank_pending', status: 'pending', arrivalDate: created - 3 * 86_400 }),
    openPayout({ payoutId: 'po_bank_gone' }),
    openPayout({ payoutId: 'po_bank_later', arrivalDate: created + 86_400 }),
  ];

  /** Seven kinds of difference, a clean payout, a destination charge and a transfer of another day. */
  const busyDay = () => {
    const clean = payout({ payoutId: 'po_ok', transferId: 'tr_ok' });
    return ports({
      transfers: [
        transfer({ id: 'tr_ok', payoutId: 'po_ok' }),
        transfer({ id: 'tr_hand', payoutId: null, partnerId: null }),
        transfer({ id: 'tr_rev', payoutId: 'po_rev', amountReversed: 300 }),
        transfer({ id: 'tr_amt', payoutId: 'po_amt', amount: 999 }),
        transfer({ id: 'tr_dest', payoutId: null, partnerId: null, sourceTransaction: 'ch_1' }),
        transfer({ id: 'tr_other_day', created: created - 86_400 }),
      ],
      payouts: [
        clean,
        payout({ payoutId: 'po_rev', transferId: 'tr_rev' }),
        payout({ payoutId: 'po_amt', transferId: 'tr_amt' }),
      ],
      charges: [{ chargeId: 'ch_1', paymentId: 'pay_1', applicationFee: 120 }],
      payments: [{ paymentId: 'pay_1', partnerId: 'ptn_3', fee: 100, currency: 'usd' }],
      paid: [
        clean,
        payout({ payoutId: 'po_rev', transferId: 'tr_rev' }),
        payout({ payoutId: 'po_gone', transferId: 'tr_gone' }),
        payout({ transferId: 'tr_other_day' }),
      ],
      openPayouts: busyOpenPayouts,
      stripePayouts: [
        stripePayout(busyOpenPayouts[0] as ConnectedPayoutFact),
        stripePayout(busyOpenPayouts[1] as ConnectedPayoutFact, { status: 'paid' }),
        stripePayout(busyOpenPayouts[2] as ConnectedPayoutFact, { status: 'in_transit' }),
        stripePayout(busyOpenPayouts[4] as ConnectedPayoutFact, { status: 'failed' }),
      ],
    });
  };

  it('walks a day in bounded steps: the same findings at any page size, no step reading more than its page', async () => {
    const whole = busyDay();
    const wholeReport = await reconcileDay(whole.deps, DAY, 'whole');
    for (const size of [1, 2, 3]) {
      const paged = busyDay();
      const report = await reconcileDay(paged.deps, DAY, `paged-${size}`, size);
      expect({ ...report, runId: 'x' }, `page size ${size}`).toEqual({ ...wholeReport, runId: 'x' });
      expect([...paged.stored.keys()].sort()).toEqual([...whole.stored.keys()].sort());
      expect(Math.max(...paged.calls.transferPages), `page size ${size}`).toBeLessThanOrEqual(size);
      expect(paged.calls.transferPages.length).toBe(Math.ceil(5 / size));
      expect(Math.max(...paged.calls.openPayoutPages), `page size ${size}`).toBeLessThanOrEqual(size);
      expect(paged.calls.openPayoutPages.length).toBe(Math.ceil(4 / size));
    }
    expect(wholeReport).toMatchObject({
      transfersChecked: 5,
      payoutsChecked: 4,
      connectedPayoutsChecked: 4,
      discrepancies: 7,
    });
    expect(wholeReport.byKind).toMatchObject({ connected_payout_mismatch: 1, connected_payout_missing: 1 });
  });

  it('looks up at Stripe only the paid payouts whose transfer the day did not list', async () => {
    const day = busyDay();
    await reconcileDay(day.deps, DAY, 'lookups', 2);
    // tr_ok and tr_rev were listed (pages 1 and 2): only the forgotten one and the other day's are read by id.
    expect(day.calls.transferReads.sort()).toEqual(['tr_gone', 'tr_other_day']);
  });

  it('counts a step once however often it is delivered, and finds the same after a step fails and is retried', async () => {
    const reference = await reconcileDay(busyDay().deps, DAY, 'reference', 2);
    const day = busyDay();
    // A charge read that fails once: its step fails, and is delivered again.
    const charge = day.deps.charge;
    let failures = 1;
    day.deps.charge = async (id) => {
      if (failures-- > 0) throw new Error('Stripe is unavailable');
      return charge(id);
    };
    let { step } = await startReconciliation(day.deps, firstStep('dup', DAY, 2));
    for (;;) {
      const first = await reconcileStep(day.deps, step).catch(() => null);
      // Delivered again (the failure's retry, or SQS's duplicate) — and once more for good measure.
      const again = await reconcileStep(day.deps, step);
      if (first) expect(again).toEqual(first);
      await startReconciliation(day.deps, firstStep('dup', DAY, 2)); // the start delivered twice changes nothing
      if (again.next === null) {
        expect({ ...again.report, runId: 'x' }).toEqual({ ...reference, runId: 'x' });
        break;
      }
      step = again.next;
    }
    expect(failures).toBeLessThan(0);
    expect(day.stored.size).toBe(7);
  });

  it('reads at Stripe, on its account, only the open bank payouts due by the day', async () => {
    const day = busyDay();
    await reconcileDay(day.deps, DAY, 'bank-payouts', 2);
    expect(day.calls.payoutReads.sort()).toEqual(['po_bank_gone', 'po_bank_ok', 'po_bank_paid', 'po_bank_pending']);
    const found = [...day.stored.values()].filter((d) => d.kind.startsWith('connected_payout'));
    expect(found).toEqual([
      {
        id: `${DAY}:connected_payout_mismatch:po_bank_paid`,
        date: DAY,
        kind: 'connected_payout_mismatch',
        stripeId: 'po_bank_paid',
        recordId: 'po_bank_paid',
        partnerId: 'ptn_1',
        currency: 'usd',
        expected: 2_500,
        actual: 2_500,
        detail: "Our record of payout po_bank_paid of account acct_1 and Stripe's differ: status in_transit ≠ paid.",
      },
      expect.objectContaining({ kind: 'connected_payout_missing', stripeId: 'po_bank_gone', actual: null }),
    ]);
    // The day after, the later payout is due: read, and the first day's findings are found again under the new day.
    const next = busyDay();
    const report = await reconcileDay(next.deps, '2026-11-30', 'bank-payouts-next', 2);
    expect(next.calls.payoutReads).toContain('po_bank_later');
    expect(report.connectedPayoutsChecked).toBe(5);
    // Stripe failed po_bank_later (its event lost too): a second mismatch.
    expect(report.byKind).toMatchObject({ connected_payout_mismatch: 2, connected_payout_missing: 1 });
  });

  it('compares an open bank payout with Stripe’s: a final status, an amount or a currency differ; open ≈ open', () => {
    const ours = openPayout();
    expect(compareConnectedPayout(DAY, ours, stripePayout(ours))).toEqual([]);
    expect(compareConnectedPayout(DAY, ours, stripePayout(ours, { status: 'pending' }))).toEqual([]);
    const differing: Array<[Partial<StripeConnectedPayoutFact>, string]> = [
      [{ status: 'paid' }, 'status in_transit ≠ paid'],
      [{ status: 'failed' }, 'status in_transit ≠ failed'],
      [{ status: 'canceled' }, 'status in_transit ≠ canceled'],
      [{ status: 'something_new' }, 'status in_transit ≠ something_new'],
      [{ amount: 2_400 }, 'amount 2500 ≠ 2400'],
      [{ currency: 'eur' }, 'currency usd ≠ eur'],
      [{ status: 'paid', amount: 1 }, 'status in_transit ≠ paid; amount 2500 ≠ 1'],
    ];
    for (const [change, difference] of differing) {
      const found = compareConnectedPayout(DAY, ours, stripePayout(ours, change));
      expect(found, difference).toHaveLength(1);
      expect(found[0]).toMatchObject({
        id: `${DAY}:connected_payout_mismatch:po_bank_1`,
        kind: 'connected_payout_mismatch',
        expected: 2_500,
        actual: change.amount ?? 2_500,
      });
      expect(found[0]?.detail).toContain(difference);
    }
    expect(compareConnectedPayout(DAY, ours, undefined)).toEqual([
      expect.objectContaining({ kind: 'connected_payout_missing', expected: 2_500, actual: null }),
    ]);
    const unreachable = compareConnectedPayout(DAY, ours, 'account_unreachable');
    expect(unreachable).toEqual([expect.objectContaining({ kind: 'connected_payout_missing' })]);
    expect(unreachable[0]?.detail).toContain('refuses to read that account');
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
