import type { EmulatorCore } from '../core.ts';
import { checkChargeAmount, checkCurrency } from '../currency.ts';
import { invalidRequest, resourceMissing, StripeApiError } from '../errors.ts';
import { paginate, readPage } from '../pagination.ts';
import { applyMetadata, inRange } from '../params.ts';
import type { RequestContext, Router } from '../router.ts';
import { type CheckoutRecord, PLATFORM } from '../store.ts';
import type { CheckoutLineItem, CheckoutSession, PaymentIntent } from '../types.ts';
import { transferDestination } from './common.ts';
import { confirmPaymentIntent, newPaymentIntent, resolvePaymentMethod } from './payments.ts';

export type CheckoutPayment = 'card' | 'disputed' | 'declined' | 'async_success' | 'async_fail';

function createSession(ctx: RequestContext): CheckoutSession {
  const { core, params: p } = ctx;
  const mode = p.requiredString('mode', { enum: ['payment', 'setup', 'subscription'] });
  if (mode !== 'payment') {
    throw invalidRequest(`mode=${mode} is not implemented by the connect-payouts Stripe emulator.`, { param: 'mode' });
  }
  const uiMode = p.string('ui_mode', { enum: ['hosted', 'embedded', 'custom'] });
  if (uiMode && uiMode !== 'hosted') {
    throw invalidRequest(`ui_mode=${uiMode} is not implemented by the connect-payouts Stripe emulator.`, {
      param: 'ui_mode',
    });
  }
  const items = p.objectArray('line_items', { required: true }) ?? [];
  if (items.length === 0)
    throw invalidRequest('Missing required param: line_items.', { param: 'line_items', code: 'parameter_missing' });
  const lineItems: CheckoutLineItem[] = [];
  let currency: string | null = null;
  for (const item of items) {
    if (item.has('price')) {
      const price = item.string('price') ?? '';
      throw resourceMissing('price', price, item.name('price'), 400);
    }
    const quantity = item.requiredInt('quantity', { min: 1, max: 999_999 });
    const pd = item.object('price_data', { required: true });
    if (!pd) throw invalidRequest('Missing required param: price_data.', { param: item.name('price_data') });
    const itemCurrency = checkCurrency(pd.requiredString('currency'), pd.name('currency'));
    const unitAmount = pd.requiredInt('unit_amount', { min: 0 });
    const product = pd.object('product_data', { required: true });
    const name = product?.requiredString('name') ?? '';
    const description = product?.string('description');
    product?.ignore('images', 'metadata', 'tax_code', 'unit_label');
    pd.ignore('tax_behavior', 'product', 'unit_amount_decimal');
    item.ignore('adjustable_quantity', 'tax_rates', 'dynamic_tax_rates');
    if (currency && currency !== itemCurrency) {
      throw invalidRequest('All line items must have the same currency.', { param: pd.name('currency') });
    }
    currency = itemCurrency;
    lineItems.push({
      id: core.id('li'),
      object: 'item',
      amount_subtotal: unitAmount * quantity,
      amount_total: unitAmount * quantity,
      currency: itemCurrency,
      description: description ?? name,
      price: {
        id: core.id('price'),
        object: 'price',
        currency: itemCurrency,
        product: core.id('prod', 14),
        unit_amount: unitAmount,
        type: 'one_time',
      },
      quantity,
    });
  }
  const total = lineItems.reduce((s, li) => s + li.amount_total, 0);
  const sessionCurrency = currency ?? 'usd';
  checkChargeAmount(total, sessionCurrency, 'line_items');
  const pid = p.object('payment_intent_data');
  const paymentIntentData: CheckoutRecord['paymentIntentData'] = { metadata: {} };
  if (pid) {
    const fee = pid.int('application_fee_amount', { min: 0 });
    const td = pid.object('transfer_data');
    if (td) {
      paymentIntentData.destination = td.requiredString('destination');
      transferDestination(core, paymentIntentData.destination, td.name('destination'));
      const tdAmount = td.int('amount', { min: 1 });
      if (tdAmount !== undefined) paymentIntentData.transferAmount = tdAmount;
    }
    if (fee !== undefined) {
      if (!paymentIntentData.destination && !ctx.account) {
        throw invalidRequest(
          'Can only apply an application_fee_amount when the PaymentIntent is attempting a direct payment (using an OAuth key or Stripe-Account header) or destination payment (using `transfer_data[destination]`).',
          { param: 'payment_intent_data[application_fee_amount]' },
        );
      }
      if (fee > total) {
        throw invalidRequest('The application fee amount cannot be greater than the amount of the PaymentIntent.', {
          param: 'payment_intent_data[application_fee_amount]',
        });
      }
      paymentIntentData.applicationFeeAmount = fee;
    }
    const obo = pid.string('on_behalf_of');
    if (obo) paymentIntentData.onBehalfOf = transferDestination(core, obo, pid.name('on_behalf_of')).id;
    const group = pid.string('transfer_group');
    if (group) paymentIntentData.transferGroup = group;
    const description = pid.string('description');
    if (description) paymentIntentData.description = description;
    paymentIntentData.metadata = applyMetadata({}, pid.metadata());
    pid.ignore(
      'capture_method',
      'receipt_email',
      'statement_descriptor',
      'statement_descriptor_suffix',
      'setup_future_usage',
    );
  }
  const now = core.now();
  const expiresAt = p.int('expires_at', { min: now + 1800, max: now + 86400 }) ?? now + 86400;
  const id = `cs_test_${core.ids.next('a', 56).slice(2)}`;
  const session: CheckoutSession = {
    id,
    object: 'checkout.session',
    amount_subtotal: total,
    amount_total: total,
    cancel_url: p.string('cancel_url') ?? null,
    client_reference_id: p.string('client_reference_id') ?? null,
    created: now,
    currency: sessionCurrency,
    customer: null,
    customer_details: null,
    customer_email: p.string('customer_email') ?? null,
    expires_at: expiresAt,
    livemode: false,
    metadata: applyMetadata({}, p.metadata()),
    mode: 'payment',
    payment_intent: null,
    payment_method_types: p.stringArray('payment_method_types') ?? ['card'],
    payment_status: 'unpaid',
    status: 'open',
    success_url: p.string('success_url') ?? null,
    url: `${core.baseUrl}/hosted/checkout/${id}`,
  };
  p.ignore(
    'customer',
    'customer_creation',
    'locale',
    'submit_type',
    'billing_address_collection',
    'allow_promotion_codes',
    'automatic_tax',
    'phone_number_collection',
    'shipping_address_collection',
    'custom_text',
    'consent_collection',
    'invoice_creation',
    'return_url',
    'redirect_on_completion',
  );
  p.done();
  core.store.checkoutSessions.set(id, { session, lineItems, paymentIntentData });
  core.store.checkoutOrder.add(ctx.owner, session);
  return session;
}

/** Sessions expire lazily when looked at after `expires_at`, with the event Stripe sends. */
export function refreshExpiry(core: EmulatorCore, record: CheckoutRecord): void {
  if (record.session.status === 'open' && core.now() >= record.session.expires_at) expireSession(core, record);
}

/**
 * Stripe expires an open session at `expires_at` on its own and sends `checkout.session.expired`; here that happens
 * when emulator time is moved past it (`advanceClock`), or lazily when the session is looked at.
 */
export function expireDueSessions(core: EmulatorCore): number {
  let expired = 0;
  for (const record of core.store.checkoutSessions.values()) {
    if (record.session.status === 'open' && core.now() >= record.session.expires_at) {
      expireSession(core, record);
      expired += 1;
    }
  }
  return expired;
}

function expireSession(core: EmulatorCore, record: CheckoutRecord): void {
  record.session.status = 'expired';
  record.session.url = null;
  core.emit('checkout.session.expired', record.session);
}

function sessionPaymentIntent(core: EmulatorCore, record: CheckoutRecord): PaymentIntent {
  const existing = record.session.payment_intent
    ? core.store.paymentIntents.get(record.session.payment_intent)
    : undefined;
  if (existing) return existing;
  const d = record.paymentIntentData;
  const transferData = d.destination
    ? d.transferAmount !== undefined
      ? { destination: d.destination, amount: d.transferAmount }
      : { destination: d.destination }
    : null;
  const pi = newPaymentIntent(core, PLATFORM, {
    amount: record.session.amount_total,
    currency: record.session.currency,
    metadata: { ...d.metadata },
    description: d.description ?? null,
    applicationFeeAmount: d.applicationFeeAmount ?? null,
    transferData,
    onBehalfOf: d.onBehalfOf ?? null,
    transferGroup: d.transferGroup ?? null,
    receiptEmail: record.session.customer_email,
    paymentMethodTypes: ['card'],
  });
  record.session.payment_intent = pi.id;
  return pi;
}

/**
 * What the hosted page's buttons do. Returns an error message for the page when the card is declined (the session
 * stays open, as on Stripe's page).
 */
export function payCheckoutSession(core: EmulatorCore, record: CheckoutRecord, how: CheckoutPayment): string | null {
  refreshExpiry(core, record);
  const session = record.session;
  if (session.status !== 'open') return `This Checkout Session is ${session.status}.`;
  const pi = sessionPaymentIntent(core, record);
  const confirmWith = (pm: string): string | null => {
    pi.payment_method = resolvePaymentMethod(core, pm, PLATFORM).id;
    pi.status = 'requires_confirmation';
    try {
      confirmPaymentIntent(core, pi, PLATFORM);
      return null;
    } catch (e) {
      if (e instanceof StripeApiError) return e.body.message;
      throw e;
    }
  };
  const complete = (paid: boolean) => {
    session.status = 'complete';
    session.payment_status = paid ? 'paid' : 'unpaid';
    session.url = null;
    session.customer_details = { email: session.customer_email ?? 'customer@example.com', name: 'Emulator Customer' };
    core.emit('checkout.session.completed', session);
  };
  switch (how) {
    case 'card': {
      const error = confirmWith('pm_card_visa');
      if (error) return error;
      complete(true);
      return null;
    }
    case 'disputed': {
      // Stripe's dispute test card (4000 0000 0000 0259): paid, then disputed as fraudulent right after.
      const error = confirmWith('pm_card_createDispute');
      if (error) return error;
      complete(true);
      return null;
    }
    case 'declined':
      return confirmWith('pm_card_chargeDeclined');
    case 'async_success': {
      complete(false);
      const error = confirmWith('pm_card_visa');
      if (error) return error;
      session.payment_status = 'paid';
      core.emit('checkout.session.async_payment_succeeded', session);
      return null;
    }
    case 'async_fail': {
      complete(false);
      confirmWith('pm_card_chargeDeclined');
      core.emit('checkout.session.async_payment_failed', session);
      return null;
    }
  }
}

function getRecord(ctx: RequestContext): CheckoutRecord {
  const id = ctx.pathParams.id as string;
  const record = ctx.core.store.checkoutSessions.get(id);
  if (!record || ctx.core.store.checkoutOrder.ownerOf(id) !== ctx.owner) throw resourceMissing('checkout.session', id);
  refreshExpiry(ctx.core, record);
  return record;
}

export function registerCheckoutRoutes(r: Router): void {
  r.post('/v1/checkout/sessions', createSession);
  r.get('/v1/checkout/sessions/:id', (ctx) => getRecord(ctx).session);
  r.get('/v1/checkout/sessions/:id/line_items', (ctx) => {
    const record = getRecord(ctx);
    const page = readPage(ctx.params);
    return paginate(record.lineItems, page, `/v1/checkout/sessions/${record.session.id}/line_items`, 'line item');
  });
  r.post('/v1/checkout/sessions/:id/expire', (ctx) => {
    const record = getRecord(ctx);
    if (record.session.status !== 'open') {
      throw invalidRequest(
        `Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of "${record.session.status}".`,
        { code: 'checkout_session_not_open' },
      );
    }
    expireSession(ctx.core, record);
    return record.session;
  });
  r.get('/v1/checkout/sessions', (ctx) => {
    const p = ctx.params;
    const pi = p.string('payment_intent');
    const status = p.string('status', { enum: ['open', 'complete', 'expired'] });
    const created = p.range('created');
    p.ignore('customer', 'customer_details');
    const page = readPage(p);
    const items = ctx.core.store.checkoutOrder.list(
      ctx.owner,
      (s) =>
        (pi === undefined || s.payment_intent === pi) &&
        (status === undefined || s.status === status) &&
        inRange(s.created, created),
    );
    return paginate(items, page, '/v1/checkout/sessions', 'checkout.session');
  });
}
