import type { DisputeRecord, DisputeWrite, StripeDisputeView, TransferReversalOutcome } from './disputes.ts';
import type { DomainEvent } from './domain-events.ts';
import type { LedgerEntry } from './ledger.ts';
import type { Listing } from './listings.ts';
import type { Currency, FeePolicy } from './money.ts';
import type { SellerTransferPlanFixed } from './multi-seller.ts';
import type { Membership, Partner } from './partner.ts';
import type { Log } from './partner-access.ts';
import type { Clock } from './partner-ports.ts';
import type { Dispute, Order, Payment } from './payment.ts';
import type { PaymentRequest } from './payment-requests.ts';
import type { PayoutStatus } from './payout-model.ts';
import type { ReservationMove } from './reservations.ts';

/** What the payment, ledger and earnings use cases need from the outside world (DynamoDB, Stripe). */

/** A ledger entry as stored: the immutable fact plus, for earnings, the gross and fee behind the partner share. */
export interface LedgerRecord extends LedgerEntry {
  /** Operators only: the charge's gross amount and the platform fee (never shown to the partner). */
  readonly gross?: number;
  readonly fee?: number;
  /** When we wrote it (ISO). */
  readonly recordedAt: string;
}

/** The running totals of one partner and currency, kept in the same transaction as every entry. */
export interface LedgerTotals {
  partnerId: string;
  currency: Currency;
  /** Sum of every entry: what the platform still holds for the partner. */
  balance: number;
  /** Sum of the partner-visible entries (their share): the all-time earnings total. */
  earned: number;
  entryCount: number;
}

/** A platform-held earning recorded by an operator or as a commission, keyed by its external id. */
export interface HeldEarning {
  externalId: string;
  partnerId: string;
  amount: number;
  currency: Currency;
  description: string;
  availableAt: number;
  entryId: string;
  /** Canonical form of the request that recorded it: the same id with another body is a conflict. */
  fingerprint: string;
  /** Cumulative amount taken back since (commission clawbacks on refunds). */
  clawedBack: number;
  recordedAt: string;
  version: number;
}

export interface SettlementWrite {
  payment: Payment;
  expectedVersion: number;
  /** The order's mirror of the payment state (Checkout payments). */
  order: Pick<Order, 'id' | 'status' | 'updatedAt'> | null;
  /** The order's capacity reservation moving with the payment (conditioned on its current state). */
  reservation?: ReservationMove | null;
  /** The payment request this payment pays, moving with it. */
  paymentRequest?: PaymentRequestMove | null;
  entries: LedgerRecord[];
  /** Domain events of the change, written with it (the outbox). */
  events: DomainEvent[];
}

/** A payment request follows its payment: paid, or open again (a new attempt) when the payment was given up. */
export type PaymentRequestMove =
  | { id: string; paymentId: string; to: 'paid'; at: string }
  | { id: string; paymentId: string; to: 'reopened'; at: string };

/** One listing line's reservation, written with the order (see `listings.ts`). */
export interface ReservationRequest {
  listingId: string;
  quantity: number;
  /** The capacity read when the order was priced: the write requires it unchanged and `taken ≤ capacity − quantity`. */
  capacity: number | null;
  /** The price snapshotted into the order: the write requires it unchanged. */
  unitAmount: number;
}

export type CreateOrderResult = { created: true } | { created: false; refused: 'capacity' };

export interface PaymentStore {
  /** Conditional put: the id is new. */
  createPayment(payment: Payment): Promise<void>;
  /**
   * The order, its items, its pending payment and its listings' reservations, in one transaction. Refused (nothing
   * written) when a listing's capacity, price or sale state changed or its capacity does not cover the quantity.
   */
  createOrder(order: Order, payment: Payment, reservations?: readonly ReservationRequest[]): Promise<CreateOrderResult>;
  attachPaymentIntent(paymentId: string, paymentIntentId: string, at: string): Promise<void>;
  /** The session id on the payment, and on its order when it has one. */
  attachCheckoutSession(
    target: { orderId: string | null; paymentId: string },
    sessionId: string,
    at: string,
  ): Promise<void>;
  getPayment(paymentId: string): Promise<Payment | undefined>;
  getOrder(orderId: string): Promise<Order | undefined>;
  /** Newest first across all partners (operators). */
  listPayments(page: { cursor?: string; limit: number }): Promise<{ payments: Payment[]; nextCursor: string | null }>;
  /** Payments carrying the platform's reference, newest first (an index query). */
  paymentsByReference(
    reference: string,
    page: { cursor?: string; limit: number },
  ): Promise<{ payments: Payment[]; nextCursor: string | null }>;
  /** Orders carrying the platform's reference, newest first (an index query). */
  ordersByReference(
    reference: string,
    page: { cursor?: string; limit: number },
  ): Promise<{ orders: Order[]; nextCursor: string | null }>;
  /**
   * Writes the settled payment (compare-and-set on `expectedVersion`), the order status and the ledger entries with
   * the partner totals, atomically. `false` when the payment changed since it was read.
   */
  settle(write: SettlementWrite): Promise<boolean>;
  /**
   * Fixes the amount of a seller's Transfer before it is sent: the first time (`expected` null: none fixed yet), or a
   * new amount replacing the attempt `expected` after Stripe refused it; only while no Transfer is recorded.
   * `false` when the order changed meanwhile.
   */
  fixSellerTransfer(
    orderId: string,
    index: number,
    expected: SellerTransferPlanFixed | null,
    next: SellerTransferPlanFixed,
  ): Promise<boolean>;
  /**
   * A seller's payment of a multi-seller order (their Transfer, or none when nothing was left to send) and its
   * ledger lines, once (`false` when it was recorded already).
   */
  recordSellerTransfer(
    orderId: string,
    index: number,
    transfer: { id: string | null; amount: number },
    entries: LedgerRecord[],
  ): Promise<boolean>;
  /** A seller's cumulative reversal (compare-and-set on the previous value) and its ledger lines. */
  recordSellerReversal(
    orderId: string,
    index: number,
    change: { from: number; to: number },
    entries: LedgerRecord[],
  ): Promise<boolean>;
  /** Stores the dispute unless a newer state of it is stored. */
  recordDispute(paymentId: string, dispute: Dispute, at: string): Promise<boolean>;
}

export interface LedgerStore {
  /**
   * Records a platform-held earning and its external-id guard atomically. `existing` when the external id was
   * already recorded (by anyone): the caller compares fingerprints.
   */
  recordHeld(
    earning: HeldEarning,
    entry: LedgerRecord,
  ): Promise<{ recorded: true } | { recorded: false; existing: HeldEarning }>;
  getHeld(externalIds: readonly string[]): Promise<Map<string, HeldEarning>>;
  /** Adds a clawback entry (compare-and-set on the held earning's version). */
  clawBack(earning: HeldEarning, entry: LedgerRecord): Promise<boolean>;
  /** Partner-visible entries, newest first. */
  listVisible(
    partnerId: string,
    page: { currency?: Currency; cursor?: string; limit: number },
  ): Promise<{ entries: LedgerRecord[]; nextCursor: string | null }>;
  /** Partner-visible entries that occurred at or after `since` (epoch ms). */
  visibleSince(partnerId: string, since: number): Promise<LedgerRecord[]>;
  totals(partnerId: string): Promise<LedgerTotals[]>;
  /** Every entry of the partner (visible and money movements). */
  allEntries(partnerId: string): Promise<LedgerRecord[]>;
  /**
   * Platform-held entries not yet attached to a payout whose `availableAt` is at or before `at`, across partners,
   * oldest first (the payout planner's query on the sparse GSI3).
   */
  heldAvailableBy(
    currency: Currency,
    at: number,
    page: { cursor?: string; limit: number },
  ): Promise<{ entries: LedgerRecord[]; nextCursor: string | null }>;
}

/** Platform payouts by Transfer (written by the payout run). */
export interface PayoutRecord {
  id: string;
  partnerId: string;
  period: string;
  amount: number;
  currency: Currency;
  status: PayoutStatus;
  stripeTransferId: string | null;
  /** How much of the transfer Stripe reversed (returned to the partner's balance); 0 when none. */
  reversedAmount: number;
  entryCount: number;
  /** The held ledger entries the payout covers, with the platform's reference of each when it gave one. */
  coveredEarnings: { entryId: string; amount: number; platformReference: string | null }[];
  reason: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface PayoutReader {
  list(
    partnerId: string,
    page: { cursor?: string; limit: number },
  ): Promise<{ payouts: PayoutRecord[]; nextCursor: string | null }>;
}

export interface FeePolicyStore {
  get(partnerId: string): Promise<FeePolicy | undefined>;
  put(partnerId: string, policy: FeePolicy, at: string): Promise<void>;
  remove(partnerId: string): Promise<void>;
}

/** What Stripe says about a PaymentIntent and its charge, re-read whenever an event mentions it. */
export interface StripePaymentView {
  paymentIntentId: string;
  /**
   * `succeeded`; `failed` (the last attempt was declined); `canceled` (the PaymentIntent was canceled: final);
   * `open` (anything else: not yet paid).
   */
  outcome: 'succeeded' | 'failed' | 'canceled' | 'open';
  failureCode: string | null;
  amount: number;
  currency: string;
  destination: string | null;
  metadata: Record<string, string>;
  chargeId: string | null;
  /** Epoch seconds of the successful charge. */
  chargeCreated: number | null;
  amountCaptured: number;
  amountRefunded: number;
  applicationFee: number;
  applicationFeeRefunded: number;
  transferReversed: number;
  /** The destination charge's transfer to the partner (null or absent: no transfer, e.g. a platform charge). */
  transferId?: string | null;
  description: string | null;
}

export interface CreatePaymentIntentRequest {
  paymentId: string;
  amount: number;
  currency: Currency;
  fee: number;
  destination: string;
  description: string;
  metadata: Record<string, string>;
}

export interface CreateCheckoutSessionRequest {
  /** The order (listing checkouts), or null (a payment request's checkout). */
  orderId: string | null;
  paymentId: string;
  partnerId: string;
  /** Extra metadata (e.g. the payment request id). */
  metadata?: Record<string, string>;
  /** How long the session may be paid (Stripe accepts 30 minutes to 24 hours). */
  expiresInSeconds: number;
  currency: Currency;
  items: readonly { name: string; unitAmount: number; quantity: number }[];
  fee: number;
  /** The seller's account (destination charge), or null: the charge stays on the platform (separate transfers). */
  destination: string | null;
  successUrl: string;
  cancelUrl: string;
  customerEmail: string | null;
}

export interface StripePayments {
  createPaymentIntent(request: CreatePaymentIntentRequest): Promise<{ id: string; clientSecret: string }>;
  createCheckoutSession(request: CreateCheckoutSessionRequest): Promise<{ id: string; url: string }>;
  retrievePayment(paymentIntentId: string): Promise<StripePaymentView>;
  /** The PaymentIntent a charge belongs to, if any. */
  paymentIntentOfCharge(chargeId: string): Promise<string | null>;
  /**
   * One seller's Transfer of a multi-seller order (idempotency key from the order, the seller and, after the first,
   * the attempt). Stripe refusing the request itself (e.g. too little left on the charge) is an answer.
   */
  createSellerTransfer(request: {
    orderId: string;
    partnerId: string;
    amount: number;
    currency: Currency;
    destination: string;
    sourceTransaction: string;
    attempt: number;
    /** Extra metadata (the platform's reference of the order). */
    metadata?: Record<string, string>;
  }): Promise<{ kind: 'created'; id: string } | { kind: 'refused'; message: string }>;
  /** Reverses part of a seller's Transfer (idempotency key from the order, the seller and the cumulative target). */
  reverseSellerTransfer(request: {
    transferId: string;
    amount: number;
    orderId: string;
    partnerId: string;
    target: number;
  }): Promise<{ id: string }>;
  /** The refunds of a charge, each with the seller it names (`metadata.partnerId`). */
  chargeRefunds(chargeId: string): Promise<{ amount: number; partnerId: string | null; status: string }[]>;
  /** A Checkout Session as Stripe has it now: its status, its PaymentIntent (if one was created) and our metadata. */
  retrieveCheckoutSession(sessionId: string): Promise<CheckoutSessionView>;
  /** A dispute as Stripe has it now (status, amount, the fee it withdrew). */
  retrieveDispute(disputeId: string): Promise<StripeDisputeView>;
  /** Reverses part of a destination charge's transfer (takes the partner's share back), with our idempotency key. */
  reverseTransfer(request: {
    transferId: string;
    amount: number;
    idempotencyKey: string;
    metadata: Record<string, string>;
  }): Promise<TransferReversalOutcome>;
}

/** Disputes on our payments and what each holds or took back (`PAYMENT#<id>` / `DISPUTE#<id>`). */
export interface DisputeStore {
  get(paymentId: string, disputeId: string): Promise<DisputeRecord | undefined>;
  /** The record (new, or compare-and-set on its version) and its ledger entries, atomically; false on a conflict. */
  write(write: DisputeWrite): Promise<boolean>;
}

export interface CheckoutSessionView {
  sessionId: string;
  status: 'open' | 'complete' | 'expired';
  /** Stripe's hosted page (while the session is open). */
  url: string | null;
  paymentIntentId: string | null;
  metadata: Record<string, string>;
}

export interface PaymentSettings {
  /** Customer-set amounts (`POST /payments/intents` with `amount`): off by default. */
  openAmounts: boolean;
  /** Lifetime of a Checkout Session, in seconds: its reservation is released when it expires. */
  checkoutExpirySeconds: number;
  defaultFee: FeePolicy;
  allowedRedirectOrigins: readonly string[];
  holdingPeriodDays: number;
  commissionBps: number;
  /** Who bears Stripe's dispute fee when a dispute is lost: the platform, or the partner (netted like a clawback). */
  disputeFeePayer: 'platform' | 'partner';
  /** Currencies the platform can transfer besides each partner's own (see `requirePayableCurrency`). */
  payoutCurrencies: readonly string[];
}

export interface ListingStore {
  /** Conditional put: the id is new. */
  create(listing: Listing): Promise<void>;
  get(listingId: string): Promise<Listing | undefined>;
  getMany(listingIds: readonly string[]): Promise<Map<string, Listing>>;
  /**
   * Writes the seller's changes (compare-and-set on `version`; the new capacity must cover `taken` at write time).
   * `false` when the listing changed since it was read.
   */
  update(listing: Listing, expectedVersion: number): Promise<boolean>;
  listByPartner(
    partnerId: string,
    page: { cursor?: string; limit: number },
  ): Promise<{ listings: Listing[]; nextCursor: string | null }>;
}

export interface PaymentRequestStore {
  create(request: PaymentRequest): Promise<void>;
  get(requestId: string): Promise<PaymentRequest | undefined>;
  listByPartner(
    partnerId: string,
    page: { cursor?: string; limit: number },
  ): Promise<{ requests: PaymentRequest[]; nextCursor: string | null }>;
  /**
   * Attaches the payment of this attempt: only while the request is open, with no payment or this very payment
   * attached, and paid the same way. Returns the request as stored afterwards.
   */
  claim(
    requestId: string,
    claim: { paymentId: string; payMode: 'intent' | 'checkout'; attempt: number; at: string },
  ): Promise<{ claimed: true } | { claimed: false; current: PaymentRequest | undefined }>;
  /** Open → canceled, only while no payment is attached. */
  cancel(requestId: string, at: string): Promise<boolean>;
}

export interface PaymentDeps {
  partners: {
    get(partnerId: string): Promise<Partner | undefined>;
    membership(partnerId: string, userSub: string): Promise<Membership | undefined>;
  };
  payments: PaymentStore;
  disputes: DisputeStore;
  listings: ListingStore;
  paymentRequests: PaymentRequestStore;
  ledger: LedgerStore;
  payouts: PayoutReader;
  feePolicies: FeePolicyStore;
  stripe: StripePayments;
  clock: Clock;
  ids: {
    payment(): string;
    order(): string;
    listing(): string;
    paymentRequest(): string;
    /** The payment of a request's attempt: derived from both, so concurrent pay calls write the same payment. */
    requestPayment(requestId: string, attempt: number): string;
  };
  settings: PaymentSettings;
  log: Log;
}
