import { fail } from './errors.ts';
import {
  CURRENCIES,
  type Currency,
  chargeAmountProblem,
  type FeePolicy,
  isCurrency,
  MAXIMUM_CHARGE,
  splitCharge,
} from './money.ts';
import type { SellerShare } from './multi-seller.ts';
import type { Partner } from './partner.ts';
import type { PaymentStatus } from './payment-state.ts';
import type { ReservationState } from './reservations.ts';

/**
 * Customers pay partners with destination charges: the charge is made on the platform, Stripe moves the amount to
 * the partner's connected account at once and takes the platform fee back as an application fee. Our record of a
 * payment is written `pending` before Stripe is called; only the platform webhook settles it.
 */
export type PaymentKind = 'deposit' | 'milestone' | 'custom' | 'checkout';
export const PAYMENT_KINDS = ['deposit', 'milestone', 'custom'] as const;

export interface Dispute {
  id: string;
  status: string;
  reason: string | null;
  amount: number;
  /** Stripe `created` (epoch seconds) of the event that reported this state. */
  eventCreated: number;
}

export interface Payment {
  id: string;
  kind: PaymentKind;
  /** The order this payment pays (Checkout), or null (PaymentIntent). */
  orderId: string | null;
  /** The seller's payment request this payment pays, or null. */
  paymentRequestId: string | null;
  /**
   * `destination`: a destination charge paying `partnerId`. `separate`: a charge on the platform for an order of
   * several sellers, paid out by one Transfer per seller (`partnerId` is then `platform`; see multi-seller.ts).
   */
  split: 'destination' | 'separate';
  /** The payee. */
  partnerId: string;
  /** Who paid: the Cognito sub of the customer. */
  customerSub: string;
  amount: number;
  currency: Currency;
  /** The platform fee asked for, and the partner's share (amount − fee). */
  fee: number;
  net: number;
  feeBps: number;
  description: string;
  metadata: Record<string, string>;
  /** The platform's reference of what is paid (from its payment request or order), or null. */
  reference: string | null;
  status: PaymentStatus;
  /** Stripe's cumulative `amount_refunded` of the charge. */
  amountRefunded: number;
  /** Stripe's cumulative amount reversed of the charge's transfer, and of the application fee refunded. */
  transferReversed: number;
  applicationFeeRefunded: number;
  /** Cumulative share taken back from the partner: transferReversed − applicationFeeRefunded. */
  partnerRefunded: number;
  stripeAccountId: string;
  stripePaymentIntentId: string | null;
  stripeChargeId: string | null;
  stripeCheckoutSessionId: string | null;
  failureCode: string | null;
  dispute: Dispute | null;
  paidAt: string | null;
  createdAt: string;
  updatedAt: string;
  /** Incremented by every write: settlements are compare-and-set on it. */
  version: number;
}

export interface OrderItem {
  /** The listing bought (its title and price are snapshotted here), or null for an item without one. */
  listingId: string | null;
  name: string;
  unitAmount: number;
  quantity: number;
  amount: number;
}

export interface Order {
  id: string;
  paymentId: string;
  partnerId: string;
  customerSub: string;
  customerEmail: string | null;
  currency: Currency;
  amount: number;
  fee: number;
  net: number;
  status: PaymentStatus;
  /** The platform's own id of the order (a store order number), and its metadata. */
  reference: string | null;
  metadata: Record<string, string>;
  /** What the order holds of its listings' capacity (null: no listing items). */
  reservation: ReservationState | null;
  /** Several sellers (separate charges and transfers): each seller's share and transfer; null for one seller. */
  sellers: SellerShare[] | null;
  items: OrderItem[];
  successUrl: string;
  cancelUrl: string;
  stripeCheckoutSessionId: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Metadata keys we set on Stripe objects; a caller's metadata may not use them. */
export const RESERVED_METADATA_KEYS = [
  'paymentId',
  'orderId',
  'partnerId',
  'kind',
  'paymentRequestId',
  'referring_partner_id',
  'platform_reference',
] as const;

export function parseCurrency(value: string): Currency {
  const currency = value.toLowerCase();
  if (!isCurrency(currency)) {
    fail('unsupported_currency', `The currency ${value} is not supported.`, {
      supported: Object.keys(CURRENCIES),
    });
  }
  return currency;
}

export function requireChargeableAmount(amount: number, currency: Currency, field = 'amount'): void {
  const problem = chargeAmountProblem(amount, currency);
  if (problem) fail('invalid_amount', `${field} ${problem}.`);
}

/**
 * The payee must exist, be able to receive money (`active`), and be paid in its own currency. Checked before
 * anything is written, so a refusal leaves no trace.
 */
export function requirePayee(payee: Partner | undefined, currency: Currency): Partner & { stripeAccountId: string } {
  if (!payee) fail('payee_not_found');
  if (payee.status !== 'active' || !payee.stripeAccountId) {
    fail('partner_not_onboarded', 'This partner cannot receive payments until they finish onboarding.', {
      status: payee.status,
    });
  }
  if (payee.defaultCurrency.toLowerCase() !== currency) {
    fail('currency_mismatch', `This partner is paid in ${payee.defaultCurrency}, not ${currency}.`, {
      partnerCurrency: payee.defaultCurrency,
    });
  }
  return payee as Partner & { stripeAccountId: string };
}

/** Success and cancel URLs may only lead to allowed origins (no open redirect through our checkout). */
export function requireAllowedRedirect(url: string, allowedOrigins: readonly string[], field: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    fail('invalid_redirect_url', `${field} is not an absolute URL.`);
  }
  const allowed =
    (parsed.protocol === 'https:' || parsed.protocol === 'http:') &&
    parsed.username === '' &&
    parsed.password === '' &&
    allowedOrigins.includes(parsed.origin);
  if (!allowed) {
    fail('redirect_not_allowed', `${field} must lead to an allowed origin.`, {
      allowedOrigins: [...allowedOrigins],
    });
  }
  return url;
}

/** The origins redirects may use: the configured list, or else the sites this deployment owns. */
export function redirectOrigins(configured: readonly string[], ownUrls: readonly string[]): string[] {
  const sources = configured.length > 0 ? configured : ownUrls.filter((url) => url.length > 0);
  return sources.map((url) => new URL(url).origin);
}

export function requireCallerMetadata(metadata: Record<string, string>): Record<string, string> {
  for (const key of RESERVED_METADATA_KEYS) {
    if (Object.hasOwn(metadata, key)) {
      fail('reserved_metadata_key', `metadata.${key} is set by the platform.`);
    }
  }
  return metadata;
}

export interface ItemInput {
  listingId?: string | null;
  name: string;
  unitAmount: number;
  quantity: number;
}

/** Line totals and the order total, each checked against Stripe's bounds (integers only). */
export function orderLines(items: readonly ItemInput[], currency: Currency): { items: OrderItem[]; total: number } {
  let total = 0;
  const lines = items.map((item, index) => {
    if (!Number.isSafeInteger(item.unitAmount) || item.unitAmount <= 0) {
      fail('invalid_amount', `items.${index}.unitAmount must be a positive integer.`);
    }
    const amount = item.unitAmount * item.quantity;
    if (amount > MAXIMUM_CHARGE) {
      fail('invalid_amount', `items.${index} exceeds Stripe's maximum charge.`);
    }
    total += amount;
    return {
      listingId: item.listingId ?? null,
      name: item.name,
      unitAmount: item.unitAmount,
      quantity: item.quantity,
      amount,
    };
  });
  requireChargeableAmount(total, currency, 'The order total');
  return { items: lines, total };
}

export function newPayment(fields: {
  id: string;
  kind: PaymentKind;
  orderId: string | null;
  paymentRequestId?: string | null;
  split?: 'destination' | 'separate';
  /** For separate charges, the fee and net are the sums of the sellers' shares. */
  splitOverride?: { fee: number; net: number; feeBps: number };
  payee: { id: string; stripeAccountId: string };
  customerSub: string;
  amount: number;
  currency: Currency;
  fee: FeePolicy;
  description: string;
  metadata: Record<string, string>;
  reference?: string | null;
  at: string;
}): Payment {
  const split = fields.splitOverride ?? { ...splitCharge(fields.amount, fields.fee), feeBps: fields.fee.bps };
  return {
    id: fields.id,
    kind: fields.kind,
    orderId: fields.orderId,
    paymentRequestId: fields.paymentRequestId ?? null,
    split: fields.split ?? 'destination',
    partnerId: fields.payee.id,
    customerSub: fields.customerSub,
    amount: fields.amount,
    currency: fields.currency,
    fee: split.fee,
    net: split.net,
    feeBps: split.feeBps,
    description: fields.description,
    metadata: fields.metadata,
    reference: fields.reference ?? null,
    status: 'pending',
    amountRefunded: 0,
    transferReversed: 0,
    applicationFeeRefunded: 0,
    partnerRefunded: 0,
    stripeAccountId: fields.payee.stripeAccountId,
    stripePaymentIntentId: null,
    stripeChargeId: null,
    stripeCheckoutSessionId: null,
    failureCode: null,
    dispute: null,
    paidAt: null,
    createdAt: fields.at,
    updatedAt: fields.at,
    version: 1,
  };
}
