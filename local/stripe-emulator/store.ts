import type {
  Account,
  ApplicationFee,
  ApplicationFeeRefund,
  Balance,
  BalanceAmount,
  BalanceTransaction,
  BalanceTransactionType,
  Charge,
  CheckoutLineItem,
  CheckoutSession,
  Dispute,
  PaymentIntent,
  PaymentMethod,
  Payout,
  Refund,
  StripeEvent,
  Transfer,
  TransferReversal,
} from './types.ts';

/** Owner key for objects that live on the platform account itself (no Stripe-Account header). */
export const PLATFORM = 'platform';

interface Stored {
  id: string;
  created: number;
}

/** Objects of one kind, each owned by an account context, kept in creation order. */
export class Collection<T extends Stored> {
  private readonly byId = new Map<string, { owner: string; obj: T; seq: number }>();
  private readonly ordered: Array<{ owner: string; obj: T; seq: number }> = [];
  private added = 0;

  add(owner: string, obj: T): T {
    const entry = { owner, obj, seq: this.added++ };
    this.byId.set(obj.id, entry);
    this.ordered.push(entry);
    return obj;
  }

  get(id: string, owner?: string): T | undefined {
    const e = this.byId.get(id);
    if (!e) return undefined;
    if (owner !== undefined && e.owner !== owner) return undefined;
    return e.obj;
  }

  /** The order objects were added in (for sorting a few of them as `list` would, without listing all). */
  addedOrder(id: string): number {
    return this.byId.get(id)?.seq ?? -1;
  }

  ownerOf(id: string): string | undefined {
    return this.byId.get(id)?.owner;
  }

  /** Newest first, as Stripe lists. */
  list(owner: string, filter: (obj: T) => boolean = () => true): T[] {
    const out: T[] = [];
    for (let i = this.ordered.length - 1; i >= 0; i--) {
      const e = this.ordered[i] as { owner: string; obj: T; seq: number };
      if (e.owner === owner && filter(e.obj)) out.push(e.obj);
    }
    return out;
  }

  all(): T[] {
    return this.ordered.map((e) => e.obj);
  }

  /** Forgets an object (discrepancy injection: a record Stripe does not have). */
  remove(id: string): boolean {
    const entry = this.byId.get(id);
    if (!entry) return false;
    this.byId.delete(id);
    this.ordered.splice(this.ordered.indexOf(entry), 1);
    return true;
  }

  get size(): number {
    return this.ordered.length;
  }
}

export interface AccountLinkRecord {
  token: string;
  account: string;
  type: 'account_onboarding' | 'account_update';
  refreshUrl: string;
  returnUrl: string;
  created: number;
  expiresAt: number;
  /** fresh → opened (page served once) → finished; any later visit goes to refresh_url. */
  state: 'fresh' | 'opened' | 'finished';
  sessionToken: string | null;
  /** What the link collects: with `future_requirements: omit`, completing it leaves announced requirements open. */
  collectionOptions: { fields: string; future_requirements: string };
}

/** An Account Session: its client secret is claimed once by the embedded components (Connect.js stand-in). */
export interface AccountSessionRecord {
  clientSecret: string;
  account: string;
  components: Record<string, { enabled: boolean }>;
  created: number;
  expiresAt: number;
  claimed: boolean;
}

export interface AccountMeta {
  deauthorized: boolean;
  deleted: boolean;
  capabilityRequestedAt: Record<string, number>;
}

export interface CheckoutRecord {
  session: CheckoutSession;
  lineItems: CheckoutLineItem[];
  paymentIntentData: {
    applicationFeeAmount?: number;
    destination?: string;
    transferAmount?: number;
    onBehalfOf?: string;
    transferGroup?: string;
    metadata: Record<string, string>;
    description?: string;
  };
}

interface Book {
  available: Map<string, number>;
  pending: BalanceTransaction[];
  /** When the book was opened, among all books (settling reports owners in that order). */
  order: number;
}

/** Balances per account context, derived from immutable balance transactions (available vs pending by date). */
export class Ledger {
  private readonly books = new Map<string, Book>();
  /** Owners with pending funds: settling (before every request) looks at those, not at every account's book. */
  private readonly withPending = new Set<string>();
  readonly transactions = new Collection<BalanceTransaction>();

  private book(owner: string): Book {
    let b = this.books.get(owner);
    if (!b) {
      b = { available: new Map(), pending: [], order: this.books.size };
      this.books.set(owner, b);
    }
    return b;
  }

  post(
    owner: string,
    txn: {
      id: string;
      amount: number;
      currency: string;
      type: BalanceTransactionType;
      source: string | null;
      description?: string | null;
      created: number;
      availableOn: number;
      reportingCategory?: string;
      /** Stripe-side fee on this transaction (e.g. the application fee taken from a destination payment). */
      fee?: number;
      /** What the fee is (default: an application fee). */
      feeDescription?: string;
      feeType?: string;
    },
  ): BalanceTransaction {
    const fee = txn.fee ?? 0;
    const available = txn.availableOn <= txn.created;
    const bt: BalanceTransaction = {
      id: txn.id,
      object: 'balance_transaction',
      amount: txn.amount,
      available_on: txn.availableOn,
      created: txn.created,
      currency: txn.currency,
      description: txn.description ?? null,
      fee,
      fee_details: fee
        ? [
            {
              amount: fee,
              currency: txn.currency,
              description: txn.feeDescription ?? 'Application fee',
              type: txn.feeType ?? 'application_fee',
            },
          ]
        : [],
      net: txn.amount - fee,
      reporting_category: txn.reportingCategory ?? txn.type,
      source: txn.source,
      status: available ? 'available' : 'pending',
      type: txn.type,
    };
    this.transactions.add(owner, bt);
    const book = this.book(owner);
    if (available) book.available.set(txn.currency, (book.available.get(txn.currency) ?? 0) + bt.net);
    else {
      book.pending.push(bt);
      this.withPending.add(owner);
    }
    return bt;
  }

  available(owner: string, currency: string): number {
    return this.books.get(owner)?.available.get(currency) ?? 0;
  }

  /** Moves matured pending funds to available; returns the owners whose available balance grew. */
  settle(nowSec: number): string[] {
    const owners: string[] = [];
    const settling = [...this.withPending].sort(
      (a, b) => (this.books.get(a)?.order ?? 0) - (this.books.get(b)?.order ?? 0),
    );
    for (const owner of settling) {
      const book = this.books.get(owner);
      if (!book || book.pending.length === 0) {
        this.withPending.delete(owner);
        continue;
      }
      const still: BalanceTransaction[] = [];
      let moved = false;
      for (const bt of book.pending) {
        if (bt.available_on <= nowSec) {
          bt.status = 'available';
          book.available.set(bt.currency, (book.available.get(bt.currency) ?? 0) + bt.net);
          moved = true;
        } else still.push(bt);
      }
      book.pending = still;
      if (still.length === 0) this.withPending.delete(owner);
      if (moved) owners.push(owner);
    }
    return owners;
  }

  balance(owner: string, defaultCurrency: string): Balance {
    const book = this.books.get(owner);
    const currencies = new Set<string>([defaultCurrency]);
    const pending = new Map<string, number>();
    if (book) {
      for (const c of book.available.keys()) currencies.add(c);
      for (const bt of book.pending) {
        currencies.add(bt.currency);
        pending.set(bt.currency, (pending.get(bt.currency) ?? 0) + bt.net);
      }
    }
    const amounts = (get: (c: string) => number): BalanceAmount[] =>
      [...currencies].sort().map((currency) => {
        const amount = get(currency);
        return { amount, currency, source_types: { card: amount } };
      });
    return {
      object: 'balance',
      available: amounts((c) => book?.available.get(c) ?? 0),
      connect_reserved: [...currencies].sort().map((currency) => ({ amount: 0, currency })),
      livemode: false,
      pending: amounts((c) => pending.get(c) ?? 0),
    };
  }
}

/** All emulator state; `reset()` replaces it wholesale. */
export class Store {
  readonly accounts = new Collection<Account>();
  readonly accountMeta = new Map<string, AccountMeta>();
  /**
   * Accounts whose `requirements` or `future_requirements` carry a deadline (every account change registers the
   * account if so), so that applying deadlines on each request looks at those few accounts, not at every account.
   */
  readonly accountsWithDeadlines = new Set<string>();
  readonly accountLinks = new Map<string, AccountLinkRecord>();
  readonly accountSessions = new Map<string, AccountSessionRecord>();
  readonly transfers = new Collection<Transfer>();
  readonly reversals = new Collection<TransferReversal>();
  readonly paymentIntents = new Collection<PaymentIntent>();
  readonly paymentMethods = new Collection<PaymentMethod>();
  readonly charges = new Collection<Charge>();
  readonly applicationFees = new Collection<ApplicationFee>();
  readonly feeRefunds = new Collection<ApplicationFeeRefund>();
  readonly refunds = new Collection<Refund>();
  readonly disputes = new Collection<Dispute>();
  readonly checkoutSessions = new Map<string, CheckoutRecord>();
  readonly checkoutOrder = new Collection<CheckoutSession>();
  readonly payouts = new Collection<Payout>();
  readonly events = new Collection<StripeEvent>();
  readonly ledger = new Ledger();

  /** Finds any object by id for `expand[]` (ids are unique across kinds thanks to their prefixes). */
  findById(id: string): unknown {
    return (
      this.accounts.get(id) ??
      this.transfers.get(id) ??
      this.reversals.get(id) ??
      this.paymentIntents.get(id) ??
      this.paymentMethods.get(id) ??
      this.charges.get(id) ??
      this.applicationFees.get(id) ??
      this.refunds.get(id) ??
      this.disputes.get(id) ??
      this.checkoutSessions.get(id)?.session ??
      this.payouts.get(id) ??
      this.ledger.transactions.get(id)
    );
  }
}
