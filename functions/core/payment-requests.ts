import { domainError, fail } from './errors.ts';
import { requireSellerCurrency } from './listings.ts';
import type { Currency } from './money.ts';
import type { Partner } from './partner.ts';
import { newPayment, requireAllowedRedirect, requireChargeableAmount, requirePayee } from './payment.ts';
import type { PaymentDeps } from './payment-ports.ts';
import { type Customer, feePolicyFor, givenUpOnFailure, requireNotSelfPayment } from './payments.ts';
import { type PlatformFieldsInput, platformFields, referenceMetadata } from './platform-references.ts';

/**
 * A payment request is an amount a seller sets for one customer (a deposit, a milestone, a custom quote). Anyone
 * holding its id can read the payer's view and pay it; it is paid at most once.
 *
 * Paying (`/intent` or `/checkout`):
 * 1. the request must be open (not paid, canceled or past `expiresAt`: 409 with its status), the payer not a member
 *    of the seller (422 `self_payment`), the seller able to receive money;
 * 2. the payment id is derived from (request, attempt), and the request is claimed for it with a conditional write:
 *    concurrent pay calls write the same payment and call Stripe with the same idempotency key, so they share one
 *    PaymentIntent (or one Checkout Session);
 * 3. the request becomes `paid` in the same transaction that settles its payment; a Checkout Session that expires
 *    unpaid reopens it for a new attempt. Paying one way while the other is in progress is a 409.
 */
export type PaymentRequestKind = 'deposit' | 'milestone' | 'custom';
export const PAYMENT_REQUEST_KINDS = ['deposit', 'milestone', 'custom'] as const;
export type StoredRequestStatus = 'open' | 'paid' | 'canceled';
export type PaymentRequestStatus = StoredRequestStatus | 'expired';

export interface PaymentRequest {
  id: string;
  partnerId: string;
  amount: number;
  currency: Currency;
  kind: PaymentRequestKind;
  description: string;
  customerEmail: string | null;
  expiresAt: string | null;
  status: StoredRequestStatus;
  /** The payment of the current attempt, and how it is paid. */
  paymentId: string | null;
  payMode: 'intent' | 'checkout' | null;
  attempt: number;
  /** The platform's own id of what is asked for (a job, a booking), and its metadata: carried onto the payment. */
  reference: string | null;
  metadata: Record<string, string>;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

export interface NewPaymentRequestInput {
  amount: number;
  currency: Currency;
  kind: PaymentRequestKind;
  description: string;
  customerEmail?: string | undefined;
  expiresAt?: string | undefined;
  reference?: string | undefined;
  metadata?: Record<string, string> | undefined;
}

export function newPaymentRequest(
  id: string,
  seller: Partner,
  createdBy: string,
  input: NewPaymentRequestInput,
  now: Date,
): PaymentRequest {
  requireChargeableAmount(input.amount, input.currency);
  requireSellerCurrency(seller, input.currency);
  if (input.expiresAt !== undefined && Date.parse(input.expiresAt) <= now.getTime()) {
    fail('invalid_expiry');
  }
  const platform = platformFields(input satisfies PlatformFieldsInput);
  const at = now.toISOString();
  return {
    id,
    partnerId: seller.id,
    amount: input.amount,
    currency: input.currency,
    kind: input.kind,
    description: input.description,
    customerEmail: input.customerEmail ?? null,
    expiresAt: input.expiresAt ?? null,
    status: 'open',
    paymentId: null,
    payMode: null,
    attempt: 1,
    reference: platform.reference,
    metadata: platform.metadata,
    createdBy,
    createdAt: at,
    updatedAt: at,
  };
}

export function statusOf(request: PaymentRequest, now: Date): PaymentRequestStatus {
  if (request.status === 'open' && request.expiresAt !== null && now.getTime() >= Date.parse(request.expiresAt)) {
    return 'expired';
  }
  return request.status;
}

/** What the payer sees: the seller's name, the amount and what it is for. Nothing about other requests. */
export function payerRequestView(request: PaymentRequest, seller: Partner | undefined, now: Date) {
  return {
    id: request.id,
    sellerName: seller?.name ?? null,
    amount: request.amount,
    currency: request.currency,
    kind: request.kind,
    description: request.description,
    status: statusOf(request, now),
    expiresAt: request.expiresAt,
  };
}

/** The seller's view adds who it is for and the payment attached. */
export function sellerRequestView(request: PaymentRequest, now: Date) {
  return {
    id: request.id,
    partnerId: request.partnerId,
    amount: request.amount,
    currency: request.currency,
    kind: request.kind,
    description: request.description,
    customerEmail: request.customerEmail,
    status: statusOf(request, now),
    expiresAt: request.expiresAt,
    paymentId: request.paymentId,
    reference: request.reference,
    metadata: request.metadata,
    createdAt: request.createdAt,
    updatedAt: request.updatedAt,
  };
}

const requestNotFound = () => domainError('payment_request_not_found');

function requirePayable(request: PaymentRequest, now: Date): void {
  const status = statusOf(request, now);
  if (status !== 'open') {
    fail('payment_request_not_payable', `This payment request is ${status}.`, { status });
  }
}

export async function readPaymentRequest(deps: PaymentDeps, requestId: string): Promise<PaymentRequest> {
  const request = await deps.paymentRequests.get(requestId);
  if (!request) throw requestNotFound();
  return request;
}

type PayMode = 'intent' | 'checkout';

/** Steps 1–2 of paying: the checks, then the payment of this attempt written and the request claimed for it. */
async function claimForPayment(deps: PaymentDeps, customer: Customer, requestId: string, payMode: PayMode) {
  const request = await readPaymentRequest(deps, requestId);
  const now = deps.clock.now();
  requirePayable(request, now);
  await requireNotSelfPayment(deps, customer, [request.partnerId]);
  const payee = requirePayee(await deps.partners.get(request.partnerId), request.currency);
  if (request.paymentId !== null && request.payMode !== payMode) {
    fail(
      'payment_request_in_progress',
      `This payment request is being paid by ${request.payMode === 'intent' ? 'a PaymentIntent' : 'Checkout'}.`,
      { payMode: request.payMode },
    );
  }
  const paymentId = deps.ids.requestPayment(request.id, request.attempt);
  let payment = await deps.payments.getPayment(paymentId);
  if (!payment) {
    const fresh = newPayment({
      id: paymentId,
      kind: request.kind,
      orderId: null,
      paymentRequestId: request.id,
      payee,
      customerSub: customer.sub,
      amount: request.amount,
      currency: request.currency,
      fee: await feePolicyFor(deps, payee.id),
      description: request.description,
      metadata: request.metadata,
      reference: request.reference,
      at: now.toISOString(),
    });
    try {
      await deps.payments.createPayment(fresh);
      payment = fresh;
    } catch (error) {
      // A concurrent call wrote it first: use theirs.
      payment = await deps.payments.getPayment(paymentId);
      if (!payment) throw error;
    }
  }
  const claim = await deps.paymentRequests.claim(request.id, {
    paymentId,
    payMode,
    attempt: request.attempt,
    at: now.toISOString(),
  });
  if (!claim.claimed) {
    const current = claim.current;
    if (!current) throw requestNotFound();
    requirePayable(current, now);
    fail('payment_request_in_progress', 'This payment request is being paid.', {
      payMode: current.payMode,
    });
  }
  return { request, payee, payment };
}

/** `POST /payment-requests/{id}/intent`: a PaymentIntent client secret for the request's amount. */
export async function payRequestWithIntent(deps: PaymentDeps, customer: Customer, requestId: string) {
  const { request, payee, payment } = await claimForPayment(deps, customer, requestId, 'intent');
  const intent = await deps.stripe.createPaymentIntent({
    paymentId: payment.id,
    amount: payment.amount,
    currency: payment.currency,
    fee: payment.fee,
    destination: payee.stripeAccountId,
    description: payment.description,
    metadata: {
      ...payment.metadata,
      ...referenceMetadata(payment.reference),
      paymentId: payment.id,
      partnerId: payee.id,
      kind: payment.kind,
      paymentRequestId: request.id,
    },
  });
  await deps.payments.attachPaymentIntent(payment.id, intent.id, deps.clock.now().toISOString());
  deps.log.info('Payment request paid by PaymentIntent', { paymentRequestId: request.id, paymentId: payment.id });
  return {
    paymentRequestId: request.id,
    paymentId: payment.id,
    clientSecret: intent.clientSecret,
    status: payment.status,
  };
}

/** `POST /payment-requests/{id}/checkout`: a Stripe Checkout page for the request's amount. */
export async function payRequestWithCheckout(
  deps: PaymentDeps,
  customer: Customer,
  requestId: string,
  urls: { successUrl: string; cancelUrl: string },
) {
  const origins = deps.settings.allowedRedirectOrigins;
  const successUrl = requireAllowedRedirect(urls.successUrl, origins, 'successUrl');
  const cancelUrl = requireAllowedRedirect(urls.cancelUrl, origins, 'cancelUrl');
  const { request, payee, payment } = await claimForPayment(deps, customer, requestId, 'checkout');
  if (payment.stripeCheckoutSessionId !== null) {
    // This attempt already has its page (an earlier call, perhaps with other URLs): the same page again, never a
    // second session for the same payment (both could be paid).
    const existing = await deps.stripe.retrieveCheckoutSession(payment.stripeCheckoutSessionId);
    if (existing.status !== 'open' || existing.url === null) {
      fail('payment_request_in_progress', 'This payment request is being paid.', { payMode: 'checkout' });
    }
    return { paymentRequestId: request.id, paymentId: payment.id, url: existing.url };
  }
  const session = await givenUpOnFailure(deps, payment.id, () =>
    deps.stripe.createCheckoutSession({
      orderId: null,
      paymentId: payment.id,
      partnerId: payee.id,
      metadata: { ...payment.metadata, ...referenceMetadata(payment.reference), paymentRequestId: request.id },
      currency: payment.currency,
      items: [{ name: request.description, unitAmount: request.amount, quantity: 1 }],
      fee: payment.fee,
      destination: payee.stripeAccountId,
      successUrl,
      cancelUrl,
      customerEmail: request.customerEmail ?? customer.email,
      expiresInSeconds: deps.settings.checkoutExpirySeconds,
    }),
  );
  await deps.payments.attachCheckoutSession(
    { orderId: null, paymentId: payment.id },
    session.id,
    deps.clock.now().toISOString(),
  );
  return { paymentRequestId: request.id, paymentId: payment.id, url: session.url };
}

/** `POST /payment-requests/{id}/cancel` (the seller): only an open request nobody is paying. */
export async function cancelPaymentRequest(deps: PaymentDeps, request: PaymentRequest) {
  const now = deps.clock.now();
  requirePayable(request, now);
  if (!(await deps.paymentRequests.cancel(request.id, now.toISOString()))) {
    const current = await readPaymentRequest(deps, request.id);
    requirePayable(current, now);
    fail('payment_request_in_progress', 'This payment request is being paid.', {
      payMode: current.payMode,
    });
  }
  return sellerRequestView({ ...request, status: 'canceled', updatedAt: now.toISOString() }, now);
}
