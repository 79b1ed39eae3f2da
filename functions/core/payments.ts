import { type DomainError, domainError, fail, hasCode } from './errors.ts';
import { isOnSale, type Listing, remainingOf } from './listings.ts';
import type { Currency, FeePolicy } from './money.ts';
import { sellerShare } from './multi-seller.ts';
import type { Partner } from './partner.ts';
import {
  type ItemInput,
  newPayment,
  type Order,
  orderLines,
  type PaymentKind,
  parseCurrency,
  requireAllowedRedirect,
  requireCallerMetadata,
  requireChargeableAmount,
  requirePayee,
} from './payment.ts';
import type { PaymentDeps, ReservationRequest } from './payment-ports.ts';
import { platformFields, referenceMetadata } from './platform-references.ts';
import { cancelPayment } from './settlement.ts';

/** Creating payments: every refusal happens before the first write; the row is written before Stripe is called. */

export interface Customer {
  sub: string;
  email: string | null;
}

/** The partner's own fee policy when an operator set one, otherwise the platform default. */
export async function feePolicyFor(deps: PaymentDeps, partnerId: string): Promise<FeePolicy> {
  return (await deps.feePolicies.get(partnerId)) ?? deps.settings.defaultFee;
}

export interface PaymentIntentRequest {
  payeeId: string;
  amount: number;
  currency: string;
  kind: Exclude<PaymentKind, 'checkout'>;
  description: string;
  metadata: Record<string, string>;
  reference?: string | undefined;
}

/**
 * A customer-set amount (tips, donations): only when the stage allows open amounts. Anyone can choose any amount
 * here, so this route is off by default; prices a seller sets go through listings and payment requests.
 */
export async function startPaymentIntent(deps: PaymentDeps, customer: Customer, request: PaymentIntentRequest) {
  if (!deps.settings.openAmounts) {
    fail(
      'open_amounts_disabled',
      "Customer-set amounts are not accepted: pay a seller's payment request (POST /payment-requests/{id}/intent) or buy listings (POST /payments/checkout-sessions).",
    );
  }
  const currency = parseCurrency(request.currency);
  requireChargeableAmount(request.amount, currency);
  const metadata = requireCallerMetadata(request.metadata);
  const { reference } = platformFields({ reference: request.reference });
  const payee = requirePayee(await deps.partners.get(request.payeeId), currency);
  await requireNotSelfPayment(deps, customer, [payee.id]);
  const fee = await feePolicyFor(deps, payee.id);

  const payment = newPayment({
    id: deps.ids.payment(),
    kind: request.kind,
    orderId: null,
    payee,
    customerSub: customer.sub,
    amount: request.amount,
    currency,
    fee,
    description: request.description,
    metadata,
    reference,
    at: deps.clock.now().toISOString(),
  });
  await deps.payments.createPayment(payment);
  // A Stripe failure leaves the payment pending with no PaymentIntent: nobody can pay it, and a retry of the same
  // payment id (idempotency key) would get the same PaymentIntent back.
  const intent = await deps.stripe.createPaymentIntent({
    paymentId: payment.id,
    amount: payment.amount,
    currency,
    fee: payment.fee,
    destination: payee.stripeAccountId,
    description: payment.description,
    metadata: {
      ...metadata,
      ...referenceMetadata(reference),
      paymentId: payment.id,
      partnerId: payee.id,
      kind: payment.kind,
    },
  });
  await deps.payments.attachPaymentIntent(payment.id, intent.id, deps.clock.now().toISOString());
  deps.log.info('Payment created', { paymentId: payment.id, paymentIntentId: intent.id, partnerId: payee.id });
  return { paymentId: payment.id, clientSecret: intent.clientSecret, status: payment.status };
}

export interface CheckoutItemRequest {
  listingId: string;
  quantity: number;
}

export interface CheckoutRequest {
  items: CheckoutItemRequest[];
  successUrl: string;
  cancelUrl: string;
  customerEmail?: string | undefined;
  /** The platform's own id of the order (a store order number) and its metadata. */
  reference?: string | undefined;
  metadata?: Record<string, string> | undefined;
}

/**
 * Checkout by reference: the customer names listings and quantities; titles, prices, currency and payee come from
 * the listings and are snapshotted into the order.
 * 1. Redirect URLs, duplicate lines, listings on sale, one currency, `maxPerOrder` (400), what remains (409
 *    `sold_out`), not a member of the seller (422 `self_payment`) — all before anything is written.
 * 2. The order, its items, its payment and the listings' reservations are written in one transaction, conditioned
 *    on each listing's capacity still covering the quantity and its price unchanged; a refusal re-reads the listings
 *    and answers `sold_out` with what remains (or `listing_changed`).
 * 3. A Checkout Session that expires after `checkoutExpirySeconds` is created (idempotency key: the order id); its
 *    expiry releases the reservation (settlement).
 * An order of one seller is a destination charge; an order of several is a charge on the platform paid out by one
 * Transfer per seller once it settles (see multi-seller.ts).
 */
export async function startCheckout(deps: PaymentDeps, customer: Customer, request: CheckoutRequest) {
  const origins = deps.settings.allowedRedirectOrigins;
  const successUrl = requireAllowedRedirect(request.successUrl, origins, 'successUrl');
  const cancelUrl = requireAllowedRedirect(request.cancelUrl, origins, 'cancelUrl');
  const platform = platformFields(request);
  const now = deps.clock.now();
  const priced = await priceItems(deps, request.items, now);
  await requireNotSelfPayment(deps, customer, [...priced.sellers.keys()]);
  const currency = priced.currency;
  const payees = [...priced.sellers.values()].map((seller) => requirePayee(seller, currency));
  const lines = orderLines(priced.lines, currency);
  const single = payees.length === 1 ? payees[0] : undefined;
  // Several sellers: each seller's share of the order, with their own fee policy (separate charges and transfers).
  const sellers = single
    ? null
    : await Promise.all(
        payees.map(async (payee) =>
          sellerShare(
            payee,
            lines.items
              .filter((line) => line.listingId !== null && priced.sellerOf.get(line.listingId) === payee.id)
              .reduce((sum, line) => sum + line.amount, 0),
            await feePolicyFor(deps, payee.id),
          ),
        ),
      );
  const fee = single ? await feePolicyFor(deps, single.id) : deps.settings.defaultFee;

  const at = now.toISOString();
  const orderId = deps.ids.order();
  const payment = newPayment({
    id: deps.ids.payment(),
    kind: 'checkout',
    orderId,
    payee: single ?? PLATFORM_PAYEE,
    split: single ? 'destination' : 'separate',
    ...(sellers
      ? {
          splitOverride: {
            fee: sellers.reduce((sum, share) => sum + share.fee, 0),
            net: sellers.reduce((sum, share) => sum + share.net, 0),
            feeBps: 0,
          },
        }
      : {}),
    customerSub: customer.sub,
    amount: lines.total,
    currency,
    fee,
    description: `Order ${orderId}`,
    metadata: platform.metadata,
    reference: platform.reference,
    at,
  });
  const customerEmail = request.customerEmail ?? customer.email;
  const order: Order = {
    id: orderId,
    paymentId: payment.id,
    partnerId: payment.partnerId,
    customerSub: customer.sub,
    customerEmail,
    currency,
    amount: lines.total,
    fee: payment.fee,
    net: payment.net,
    status: 'pending',
    reference: platform.reference,
    metadata: platform.metadata,
    reservation: 'held',
    sellers,
    items: lines.items,
    successUrl,
    cancelUrl,
    stripeCheckoutSessionId: null,
    createdAt: at,
    updatedAt: at,
  };
  const written = await deps.payments.createOrder(order, payment, priced.reservations);
  if (!written.created) await refuseChangedListings(deps, request.items);
  const session = await givenUpOnFailure(deps, payment.id, () =>
    deps.stripe.createCheckoutSession({
      orderId,
      paymentId: payment.id,
      partnerId: payment.partnerId,
      metadata: { ...platform.metadata, ...referenceMetadata(platform.reference) },
      currency,
      items: lines.items,
      fee: payment.fee,
      destination: single?.stripeAccountId ?? null,
      successUrl,
      cancelUrl,
      customerEmail,
      expiresInSeconds: deps.settings.checkoutExpirySeconds,
    }),
  );
  await deps.payments.attachCheckoutSession(
    { orderId, paymentId: payment.id },
    session.id,
    deps.clock.now().toISOString(),
  );
  deps.log.info('Order created', { orderId, paymentId: payment.id, checkoutSessionId: session.id });
  return { orderId, paymentId: payment.id, url: session.url };
}

/** The payee of an order of several sellers: the platform (the charge stays on it until each seller's Transfer). */
export const PLATFORM_PAYEE = { id: 'platform', stripeAccountId: '' } as const;

const listingNotFound = (listingId: string) =>
  domainError('listing_not_found', 'No listing with this id.', { listingId });

function soldOut(listing: Listing, wanted: number): DomainError {
  return domainError('sold_out', `Only ${remainingOf(listing) ?? 0} left of ${listing.title}.`, {
    listingId: listing.id,
    remaining: remainingOf(listing) ?? 0,
    requested: wanted,
  });
}

/** Step 1: each line priced from its listing, checked for sale, limits and what remains. */
async function priceItems(deps: PaymentDeps, items: readonly CheckoutItemRequest[], now: Date) {
  const seen = new Set<string>();
  for (const item of items) {
    if (seen.has(item.listingId)) {
      fail('duplicate_listing', 'Name each listing once, with its quantity.', {
        listingId: item.listingId,
      });
    }
    seen.add(item.listingId);
  }
  const listings = await deps.listings.getMany(items.map((item) => item.listingId));
  const sellers = new Map<string, Partner>();
  for (const listing of listings.values()) {
    if (!sellers.has(listing.partnerId)) {
      const seller = await deps.partners.get(listing.partnerId);
      if (seller) sellers.set(seller.id, seller);
    }
  }
  let currency: Currency | null = null;
  const lines: ItemInput[] = [];
  const reservations: ReservationRequest[] = [];
  const sellerOf = new Map<string, string>();
  for (const item of items) {
    const listing = listings.get(item.listingId);
    if (!listing || listing.archived) throw listingNotFound(item.listingId);
    if (!isOnSale(listing, sellers.get(listing.partnerId), now)) {
      fail('listing_not_on_sale', `${listing.title} is not on sale.`, {
        listingId: listing.id,
      });
    }
    if (currency !== null && listing.currency !== currency) {
      fail('mixed_currencies');
    }
    currency = listing.currency;
    if (listing.maxPerOrder !== null && item.quantity > listing.maxPerOrder) {
      fail('max_per_order_exceeded', `At most ${listing.maxPerOrder} of ${listing.title} per order.`, {
        listingId: listing.id,
        maxPerOrder: listing.maxPerOrder,
      });
    }
    const remaining = remainingOf(listing);
    if (remaining !== null && remaining < item.quantity) throw soldOut(listing, item.quantity);
    lines.push({ listingId: listing.id, name: listing.title, unitAmount: listing.unitAmount, quantity: item.quantity });
    sellerOf.set(listing.id, listing.partnerId);
    reservations.push({
      listingId: listing.id,
      quantity: item.quantity,
      capacity: listing.capacity,
      unitAmount: listing.unitAmount,
    });
  }
  if (currency === null) fail('validation_error', 'items: at least one item.');
  const orderSellers = new Map<string, Partner>();
  for (const item of items) {
    const listing = listings.get(item.listingId);
    const seller = listing ? sellers.get(listing.partnerId) : undefined;
    if (seller) orderSellers.set(seller.id, seller);
  }
  return { currency, lines, reservations, sellers: orderSellers, sellerOf };
}

/** Step 2's refusal: what changed under the order, said precisely. */
async function refuseChangedListings(deps: PaymentDeps, items: readonly CheckoutItemRequest[]): Promise<never> {
  const listings = await deps.listings.getMany(items.map((item) => item.listingId));
  for (const item of items) {
    const listing = listings.get(item.listingId);
    if (!listing || listing.archived) throw listingNotFound(item.listingId);
    const remaining = remainingOf(listing);
    if (remaining !== null && remaining < item.quantity) throw soldOut(listing, item.quantity);
  }
  fail('listing_changed', 'A listing changed while the order was placed; try again.');
}

/**
 * A Checkout Session that could not be created leaves a payment nobody can pay: it is canceled at once, which
 * releases what its order holds (and reopens a payment request). Should Stripe have created the session after all
 * (an answer lost on the way), nobody has its URL; it expires, and a payment that still succeeded is settled as a
 * late success.
 */
export async function givenUpOnFailure<T>(deps: PaymentDeps, paymentId: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    // The same key with other parameters: a concurrent call for this payment got there first, and its session may
    // be live: the payment is theirs, not ours to cancel.
    if (hasCode(error, 'idempotency_conflict')) throw error;
    await cancelPayment(deps, paymentId);
    deps.log.warn('Checkout Session not created; payment canceled and its reservation released', { paymentId });
    throw error;
  }
}

/**
 * A partner cannot pay itself: a member of the payee (any role) buying its listings or paying its requests could
 * run stolen cards through its own account.
 */
export async function requireNotSelfPayment(
  deps: PaymentDeps,
  customer: Customer,
  payeeIds: readonly string[],
): Promise<void> {
  for (const payeeId of payeeIds) {
    if (await deps.partners.membership(payeeId, customer.sub)) {
      fail('self_payment', 'A member of the seller cannot pay the seller.', {
        partnerId: payeeId,
      });
    }
  }
}

/** `GET /orders/{orderId}` for the customer who placed it; anyone else cannot tell it exists. */
export async function customerOrder(deps: PaymentDeps, customer: Customer, orderId: string) {
  const order = await deps.payments.getOrder(orderId);
  if (!order || order.customerSub !== customer.sub) {
    fail('order_not_found');
  }
  return order;
}
