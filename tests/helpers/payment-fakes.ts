import { EARNING_TYPES } from '#core/ledger';
import { type SellerShare, sellerShare } from '#core/multi-seller';
import type { Partner } from '#core/partner';
import type { Order } from '#core/payment';
import type {
  DisputeStore,
  HeldEarning,
  LedgerRecord,
  LedgerStore,
  LedgerTotals,
  ListingStore,
  PaymentDeps,
  PaymentRequestStore,
  PaymentStore,
  StripePayments,
} from '#core/payment-ports';

/** In-memory stand-ins for the ledger port (same contract as the DynamoDB adapter), for unit tests. */
export class MemoryLedger implements LedgerStore {
  held = new Map<string, HeldEarning>();
  entries: LedgerRecord[] = [];

  private write(entry: LedgerRecord) {
    if (this.entries.some((e) => e.id === entry.id && e.partnerId === entry.partnerId)) throw new Error('duplicate');
    this.entries.push(structuredClone(entry));
  }
  async recordHeld(earning: HeldEarning, entry: LedgerRecord) {
    const existing = this.held.get(earning.externalId);
    if (existing) return { recorded: false as const, existing: structuredClone(existing) };
    this.held.set(earning.externalId, structuredClone(earning));
    this.write(entry);
    return { recorded: true as const };
  }
  async getHeld(ids: readonly string[]) {
    const found = new Map<string, HeldEarning>();
    for (const id of ids) {
      const h = this.held.get(id);
      if (h) found.set(id, structuredClone(h));
    }
    return found;
  }
  async clawBack(earning: HeldEarning, entry: LedgerRecord) {
    const stored = this.held.get(earning.externalId);
    if (!stored || stored.version !== earning.version) return false;
    this.held.set(earning.externalId, {
      ...stored,
      clawedBack: stored.clawedBack - entry.amount,
      version: stored.version + 1,
    });
    this.write(entry);
    return true;
  }
  async listVisible(partnerId: string, page: { limit: number }) {
    const entries = this.entries
      .filter((e) => e.partnerId === partnerId && EARNING_TYPES.has(e.type))
      .sort((a, b) => b.occurredAt - a.occurredAt);
    return { entries: entries.slice(0, page.limit), nextCursor: null };
  }
  async visibleSince(partnerId: string, since: number) {
    return this.entries.filter((e) => e.partnerId === partnerId && EARNING_TYPES.has(e.type) && e.occurredAt >= since);
  }
  async totals(partnerId: string) {
    const totals = new Map<string, LedgerTotals>();
    for (const e of this.entries.filter((x) => x.partnerId === partnerId)) {
      const t = totals.get(e.currency) ?? { partnerId, currency: e.currency, balance: 0, earned: 0, entryCount: 0 };
      t.balance += e.amount;
      if (EARNING_TYPES.has(e.type)) t.earned += e.amount;
      t.entryCount += 1;
      totals.set(e.currency, t);
    }
    return [...totals.values()];
  }
  async allEntries(partnerId: string) {
    return this.entries.filter((e) => e.partnerId === partnerId);
  }
  async heldAvailableBy() {
    return { entries: [], nextCursor: null };
  }
}

const unused = <T extends object>(name: string) =>
  new Proxy({} as T, {
    get: (_target, property) => () => {
      throw new Error(`${name}.${String(property)} is not used by this test`);
    },
  });

export function fakePaymentDeps(options: { now: number; partners: Partner[] }): PaymentDeps & { ledger: MemoryLedger } {
  const partners = new Map(options.partners.map((p) => [p.id, p]));
  return {
    partners: { get: async (id) => partners.get(id), membership: async () => undefined },
    payments: unused<PaymentStore>('payments'),
    disputes: unused<DisputeStore>('disputes'),
    listings: unused<ListingStore>('listings'),
    paymentRequests: unused<PaymentRequestStore>('paymentRequests'),
    ledger: new MemoryLedger(),
    payouts: { list: async () => ({ payouts: [], nextCursor: null }) },
    feePolicies: { get: async () => undefined, put: async () => undefined, remove: async () => undefined },
    stripe: unused<StripePayments>('stripe'),
    clock: { now: () => new Date(options.now) },
    ids: {
      payment: () => 'pay_000000000000000000000001',
      order: () => 'ord_000000000000000000000001',
      listing: () => 'lst_000000000000000000000001',
      paymentRequest: () => 'prq_000000000000000000000001',
      requestPayment: () => 'pay_000000000000000000000002',
    },
    settings: {
      openAmounts: false,
      checkoutExpirySeconds: 1_800,
      defaultFee: { bps: 1_000 },
      allowedRedirectOrigins: [],
      holdingPeriodDays: 7,
      commissionBps: 1_000,
      disputeFeePayer: 'platform',
      payoutCurrencies: [],
    },
    log: { info: () => undefined, warn: () => undefined },
  };
}

/** A seller's share of an order (its fee at `bps`), with its Transfer. */
export const sellerOf = (
  partnerId: string,
  gross: number,
  bps: number,
  transferId: string | null = `tr_${partnerId}`,
) => ({
  ...sellerShare({ id: partnerId, stripeAccountId: `acct_${partnerId}` }, gross, { bps }),
  transferId,
});

/** A paid order of these sellers (totals summed from their shares). */
export const paidOrderOf = (sellers: SellerShare[]): Order => ({
  id: 'ord_1',
  paymentId: 'pay_1',
  partnerId: 'platform',
  customerSub: 'buyer',
  customerEmail: null,
  reference: null,
  metadata: {},
  currency: 'usd',
  amount: sellers.reduce((s, x) => s + x.gross, 0),
  fee: sellers.reduce((s, x) => s + x.fee, 0),
  net: sellers.reduce((s, x) => s + x.net, 0),
  status: 'paid',
  reservation: 'sold',
  sellers,
  items: [],
  successUrl: '',
  cancelUrl: '',
  stripeCheckoutSessionId: null,
  createdAt: '',
  updatedAt: '',
});
