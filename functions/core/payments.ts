import type { FeePolicy } from './money.ts';
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
import type { PaymentDeps } from './payment-ports.ts';

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
}

export async function startPaymentIntent(deps: PaymentDeps, customer: Customer, request: PaymentIntentRequest) {
  const currency = parseCurrency(request.currency);
  requireChargeableAmount(request.amount, currency);
  const metadata = requireCallerMetadata(request.metadata);
  const payee = requirePayee(await deps.partners.get(request.payeeId), currency);
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
    metadata: { ...metadata, paymentId: payment.id, partnerId: payee.id, kind: payment.kind },
  });
  await deps.payments.attachPaymentIntent(payment.id, intent.id, deps.clock.now().toISOString());
  deps.log.info('Payment created', { paymentId: payment.id, paymentIntentId: intent.id, partnerId: payee.id });
  return { paymentId: payment.id, clientSecret: intent.clientSecret, status: payment.status };
}

export interface CheckoutRequest {
  payeeId: string;
  currency: string;
  items: ItemInput[];
  successUrl: string;
  cancelUrl: string;
  customerEmail?: string | undefined;
}

/** One Checkout Session per seller: an order pays exactly one partner. */
export async function startCheckout(deps: PaymentDeps, customer: Customer, request: CheckoutRequest) {
  const currency = parseCurrency(request.currency);
  const lines = orderLines(request.items, currency);
  const origins = deps.settings.allowedRedirectOrigins;
  const successUrl = requireAllowedRedirect(request.successUrl, origins, 'successUrl');
  const cancelUrl = requireAllowedRedirect(request.cancelUrl, origins, 'cancelUrl');
  const payee = requirePayee(await deps.partners.get(request.payeeId), currency);
  const fee = await feePolicyFor(deps, payee.id);

  const at = deps.clock.now().toISOString();
  const orderId = deps.ids.order();
  const payment = newPayment({
    id: deps.ids.payment(),
    kind: 'checkout',
    orderId,
    payee,
    customerSub: customer.sub,
    amount: lines.total,
    currency,
    fee,
    description: `Order ${orderId}`,
    metadata: {},
    at,
  });
  const customerEmail = request.customerEmail ?? customer.email;
  const order: Order = {
    id: orderId,
    paymentId: payment.id,
    partnerId: payee.id,
    customerSub: customer.sub,
    customerEmail,
    currency,
    amount: lines.total,
    fee: payment.fee,
    net: payment.net,
    status: 'pending',
    items: lines.items,
    successUrl,
    cancelUrl,
    stripeCheckoutSessionId: null,
    createdAt: at,
    updatedAt: at,
  };
  await deps.payments.createOrder(order, payment);
  const session = await deps.stripe.createCheckoutSession({
    orderId,
    paymentId: payment.id,
    partnerId: payee.id,
    currency,
    items: lines.items,
    fee: payment.fee,
    destination: payee.stripeAccountId,
    successUrl,
    cancelUrl,
    customerEmail,
  });
  await deps.payments.attachCheckoutSession(order, session.id, deps.clock.now().toISOString());
  deps.log.info('Order created', { orderId, paymentId: payment.id, checkoutSessionId: session.id });
  return { orderId, paymentId: payment.id, url: session.url };
}
