import type { EmulatorCore } from '../core.ts';
import { checkChargeAmount, checkCurrency } from '../currency.ts';
import { invalidRequest, resourceMissing, StripeApiError } from '../errors.ts';
import { paginate, readPage } from '../pagination.ts';
import { applyMetadata, inRange, type Params } from '../params.ts';
import type { RequestContext, Router } from '../router.ts';
import { PLATFORM } from '../store.ts';
import type { ApplicationFee, CardDetails, Charge, PaymentError, PaymentIntent, PaymentMethod } from '../types.ts';
import { transferDestination } from './common.ts';
import { DISPUTE_CARDS, type DisputeCard, openTestDispute } from './disputes.ts';
import { recordTransfer } from './transfers.ts';

/** Card funds settle after this long in test mode unless the card bypasses pending (4000 0000 0000 0077). */
export const CARD_PENDING_SECONDS = 2 * 86400;

interface TestCard {
  brand: string;
  last4: string;
  bypassPending?: boolean;
  decline?: { code: string; declineCode?: string; message: string };
  /** The charge is disputed once it succeeds (Stripe's dispute test cards). */
  dispute?: DisputeCard;
}

const GENERIC_DECLINE = { code: 'card_declined', declineCode: 'generic_decline', message: 'Your card was declined.' };

/** Stripe's test payment methods and card tokens that this emulator understands. */
export const TEST_CARDS: Readonly<Record<string, TestCard>> = {
  pm_card_visa: { brand: 'visa', last4: '4242' },
  pm_card_mastercard: { brand: 'mastercard', last4: '4444' },
  pm_card_amex: { brand: 'amex', last4: '8431' },
  pm_card_bypassPending: { brand: 'visa', last4: '0077', bypassPending: true },
  pm_card_chargeDeclined: { brand: 'visa', last4: '0002', decline: GENERIC_DECLINE },
  pm_card_chargeDeclinedInsufficientFunds: {
    brand: 'visa',
    last4: '9995',
    decline: { code: 'card_declined', declineCode: 'insufficient_funds', message: 'Your card has insufficient funds.' },
  },
  pm_card_chargeDeclinedFraudulent: {
    brand: 'visa',
    last4: '0019',
    decline: { code: 'card_declined', declineCode: 'fraudulent', message: 'Your card was declined.' },
  },
  pm_card_chargeDeclinedExpiredCard: {
    brand: 'visa',
    last4: '0069',
    decline: { code: 'expired_card', message: 'Your card has expired.' },
  },
  // Dispute test cards (4000 0000 0000 0259, 4000 0000 0000 2685, 4000 0000 0000 1976).
  ...Object.fromEntries(
    Object.entries(DISPUTE_CARDS).map(([id, dispute]) => [
      id,
      { brand: 'visa', last4: dispute.inquiry ? '1976' : dispute.reason === 'fraudulent' ? '0259' : '2685', dispute },
    ]),
  ),
  tok_visa: { brand: 'visa', last4: '4242' },
  tok_mastercard: { brand: 'mastercard', last4: '4444' },
  tok_bypassPending: { brand: 'visa', last4: '0077', bypassPending: true },
  tok_chargeDeclined: { brand: 'visa', last4: '0002', decline: GENERIC_DECLINE },
  tok_chargeDeclinedInsufficientFunds: {
    brand: 'visa',
    last4: '9995',
    decline: { code: 'card_declined', declineCode: 'insufficient_funds', message: 'Your card has insufficient funds.' },
  },
};

const pmCards = new WeakMap<PaymentMethod, TestCard>();

function cardDetails(card: TestCard): CardDetails {
  return {
    brand: card.brand,
    country: 'US',
    exp_month: 12,
    exp_year: 2034,
    fingerprint: `emu${card.last4}`,
    funding: 'credit',
    last4: card.last4,
  };
}

/** `pm_card_visa` and friends create a fresh PaymentMethod each time, as in Stripe's test mode. */
export function resolvePaymentMethod(
  core: EmulatorCore,
  id: string,
  owner: string,
  param = 'payment_method',
): PaymentMethod {
  const existing = core.store.paymentMethods.get(id);
  if (existing) return existing;
  const card = TEST_CARDS[id];
  if (!card) throw resourceMissing('PaymentMethod', id, param, 400);
  const pm: PaymentMethod = {
    id: core.id('pm'),
    object: 'payment_method',
    billing_details: { address: null, email: null, name: null, phone: null },
    card: cardDetails(card),
    created: core.now(),
    customer: null,
    livemode: false,
    metadata: {},
    type: 'card',
  };
  pmCards.set(pm, card);
  return core.store.paymentMethods.add(owner, pm);
}

function cardOf(pm: PaymentMethod): TestCard {
  return pmCards.get(pm) ?? { brand: pm.card.brand, last4: pm.card.last4 };
}

interface ChargeInput {
  owner: string;
  amount: number;
  currency: string;
  pm: PaymentMethod;
  paymentIntent: string | null;
  description: string | null;
  metadata: Record<string, string>;
  receiptEmail: string | null;
  applicationFeeAmount: number | null;
  destination: { account: string; amount: number | null } | null;
  onBehalfOf: string | null;
  transferGroup: string | null;
}

function newCharge(core: EmulatorCore, input: ChargeInput, decline: TestCard['decline']): Charge {
  const id = core.id('ch');
  return {
    id,
    object: 'charge',
    amount: input.amount,
    amount_captured: decline ? 0 : input.amount,
    amount_refunded: 0,
    application_fee: null,
    application_fee_amount: input.applicationFeeAmount,
    balance_transaction: null,
    billing_details: { address: null, email: null, name: null, phone: null },
    captured: !decline,
    created: core.now(),
    currency: input.currency,
    customer: null,
    description: input.description,
    disputed: false,
    failure_code: decline?.code ?? null,
    failure_message: decline?.message ?? null,
    livemode: false,
    metadata: input.metadata,
    on_behalf_of: input.onBehalfOf,
    outcome: decline
      ? {
          network_status: 'declined_by_network',
          reason: decline.declineCode ?? decline.code,
          risk_level: 'normal',
          seller_message: 'The bank did not return any further details with this decline.',
          type: 'issuer_declined',
        }
      : {
          network_status: 'approved_by_network',
          reason: null,
          risk_level: 'normal',
          seller_message: 'Payment complete.',
          type: 'authorized',
        },
    paid: !decline,
    payment_intent: input.paymentIntent,
    payment_method: input.pm.id,
    payment_method_details: { type: 'card', card: input.pm.card },
    receipt_email: input.receiptEmail,
    refunded: false,
    refunds: { object: 'list', data: [], has_more: false, total_count: 0, url: `/v1/charges/${id}/refunds` },
    source_transfer: null,
    status: decline ? 'failed' : 'succeeded',
    transfer: null,
    transfer_data: input.destination
      ? { amount: input.destination.amount, destination: input.destination.account }
      : null,
    transfer_group: input.transferGroup,
  };
}

/**
 * Runs a card payment. On success: the charge, the platform's (or direct account's) balance, and for destination
 * charges the transfer to the destination plus the application fee back to the platform. On decline: a failed charge.
 */
export function runCharge(core: EmulatorCore, input: ChargeInput): { charge: Charge; decline: PaymentError | null } {
  const card = cardOf(input.pm);
  const charge = newCharge(core, input, card.decline);
  core.store.charges.add(input.owner, charge);
  if (card.decline) {
    const error: PaymentError = {
      type: 'card_error',
      code: card.decline.code,
      message: card.decline.message,
      doc_url: `https://stripe.com/docs/error-codes/${card.decline.code.replace(/_/g, '-')}`,
      charge: charge.id,
      payment_method: input.pm,
    };
    if (card.decline.declineCode) error.decline_code = card.decline.declineCode;
    core.emit('charge.failed', charge, { account: input.owner === PLATFORM ? null : input.owner });
    return { charge, decline: error };
  }
  const now = core.now();
  const availableOn = card.bypassPending ? now : now + CARD_PENDING_SECONDS;
  const directAccount = input.owner === PLATFORM ? null : input.owner;
  const fee = input.applicationFeeAmount ?? 0;
  const txn = core.store.ledger.post(input.owner, {
    id: core.id('txn'),
    amount: input.amount,
    currency: input.currency,
    type: 'charge',
    source: charge.id,
    created: now,
    availableOn,
    fee: directAccount ? fee : 0,
  });
  charge.balance_transaction = txn.id;
  core.emit('charge.succeeded', charge, { account: directAccount });
  let feePayer: { account: string; paymentId: string } | null = null;
  if (input.destination) {
    const transfer = recordTransfer(core, {
      amount: input.destination.amount ?? input.amount,
      currency: input.currency,
      destination: input.destination.account,
      transferGroup: input.transferGroup,
      metadata: {},
      description: null,
      sourceTransaction: charge.id,
      availableOn,
      fee,
    });
    charge.transfer = transfer.id;
    feePayer = { account: transfer.destination, paymentId: transfer.destination_payment };
  } else if (directAccount) {
    feePayer = { account: directAccount, paymentId: charge.id };
  }
  if (feePayer && fee > 0) {
    const feeId = core.id('fee');
    const feeTxn = core.store.ledger.post(PLATFORM, {
      id: core.id('txn'),
      amount: fee,
      currency: input.currency,
      type: 'application_fee',
      source: feeId,
      created: now,
      availableOn,
    });
    const applicationFee: ApplicationFee = {
      id: feeId,
      object: 'application_fee',
      account: feePayer.account,
      amount: fee,
      amount_refunded: 0,
      application: core.applicationId,
      balance_transaction: feeTxn.id,
      charge: feePayer.paymentId,
      created: now,
      currency: input.currency,
      livemode: false,
      originating_transaction: charge.id,
      refunded: false,
      refunds: {
        object: 'list',
        data: [],
        has_more: false,
        total_count: 0,
        url: `/v1/application_fees/${feeId}/refunds`,
      },
    };
    core.store.applicationFees.add(PLATFORM, applicationFee);
    charge.application_fee = feeId;
    const payment = core.store.charges.get(feePayer.paymentId);
    if (payment && payment !== charge) {
      payment.application_fee = feeId;
      payment.application_fee_amount = fee;
    }
    core.emit('application_fee.created', applicationFee);
  }
  if (card.bypassPending) {
    core.emitBalanceAvailable(input.owner);
    if (feePayer && feePayer.account !== input.owner) core.emitBalanceAvailable(feePayer.account);
  }
  return { charge, decline: null };
}

function cardError(error: PaymentError, paymentIntent?: PaymentIntent): StripeApiError {
  const body: StripeApiError['body'] = {
    type: 'card_error',
    code: error.code,
    message: error.message,
    doc_url: error.doc_url,
    request_log_url: 'https://dashboard.stripe.com/test/logs',
  };
  if (error.decline_code) body.decline_code = error.decline_code;
  if (error.charge) body.charge = error.charge;
  if (paymentIntent) body.payment_intent = structuredClone(paymentIntent);
  if (error.payment_method) body.payment_method = error.payment_method;
  return new StripeApiError(402, body);
}

function readTransferData(core: EmulatorCore, p: Params): { destination: string; amount?: number } | null {
  const td = p.object('transfer_data');
  if (!td) return null;
  const destination = td.requiredString('destination');
  const amount = td.int('amount', { min: 1 });
  transferDestination(core, destination, 'transfer_data[destination]');
  return amount === undefined ? { destination } : { destination, amount };
}

function checkFee(pi: PaymentIntent, owner: string): void {
  if (pi.application_fee_amount === null) return;
  if (!pi.transfer_data && owner === PLATFORM) {
    throw invalidRequest(
      'Can only apply an application_fee_amount when the PaymentIntent is attempting a direct payment (using an OAuth key or Stripe-Account header) or destination payment (using `transfer_data[destination]`).',
      { param: 'application_fee_amount' },
    );
  }
  if (pi.application_fee_amount > pi.amount) {
    throw invalidRequest('The application fee amount cannot be greater than the amount of the PaymentIntent.', {
      param: 'application_fee_amount',
    });
  }
  if (pi.transfer_data?.amount !== undefined && pi.transfer_data.amount > pi.amount) {
    throw invalidRequest('The transfer amount cannot be greater than the amount of the PaymentIntent.', {
      param: 'transfer_data[amount]',
    });
  }
}

/** Confirms a PaymentIntent with its payment method; throws the 402 card error Stripe answers on decline. */
export function confirmPaymentIntent(core: EmulatorCore, pi: PaymentIntent, owner: string): PaymentIntent {
  if (!['requires_payment_method', 'requires_confirmation', 'requires_action'].includes(pi.status)) {
    throw invalidRequest(
      `You cannot confirm this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be confirmed: requires_confirmation, requires_action, requires_payment_method.`,
      { code: 'payment_intent_unexpected_state' },
    );
  }
  if (!pi.payment_method) {
    throw invalidRequest(
      'You cannot confirm this PaymentIntent because it’s missing a payment method. To confirm the PaymentIntent with cus_xxx, specify a payment method attached to this customer along with the customer ID.',
      { code: 'payment_intent_unexpected_state', param: 'payment_method' },
    );
  }
  const pm = core.store.paymentMethods.get(pi.payment_method);
  if (!pm) throw resourceMissing('PaymentMethod', pi.payment_method, 'payment_method', 400);
  if (pi.transfer_data) transferDestination(core, pi.transfer_data.destination, 'transfer_data[destination]');
  const transferGroup = pi.transfer_group ?? (pi.transfer_data ? `group_${pi.id}` : null);
  const { charge, decline } = runCharge(core, {
    owner,
    amount: pi.amount,
    currency: pi.currency,
    pm,
    paymentIntent: pi.id,
    description: pi.description,
    metadata: { ...pi.metadata },
    receiptEmail: pi.receipt_email,
    applicationFeeAmount: pi.application_fee_amount,
    destination: pi.transfer_data
      ? { account: pi.transfer_data.destination, amount: pi.transfer_data.amount ?? null }
      : null,
    onBehalfOf: pi.on_behalf_of,
    transferGroup,
  });
  pi.latest_charge = charge.id;
  const account = owner === PLATFORM ? null : owner;
  if (decline) {
    pi.status = 'requires_payment_method';
    pi.last_payment_error = decline;
    pi.payment_method = null;
    core.emit('payment_intent.payment_failed', pi, { account });
    throw cardError(decline, pi);
  }
  if (transferGroup) pi.transfer_group = transferGroup;
  pi.status = 'succeeded';
  pi.amount_received = pi.amount;
  pi.last_payment_error = null;
  core.emit('payment_intent.succeeded', pi, { account });
  disputeIfTestCard(core, pm, charge);
  return pi;
}

export function newPaymentIntent(
  core: EmulatorCore,
  owner: string,
  input: {
    amount: number;
    currency: string;
    metadata: Record<string, string>;
    description: string | null;
    applicationFeeAmount: number | null;
    transferData: { destination: string; amount?: number } | null;
    onBehalfOf: string | null;
    transferGroup: string | null;
    receiptEmail: string | null;
    paymentMethodTypes: string[];
  },
): PaymentIntent {
  const id = core.id('pi');
  const pi: PaymentIntent = {
    id,
    object: 'payment_intent',
    amount: input.amount,
    amount_capturable: 0,
    amount_received: 0,
    application_fee_amount: input.applicationFeeAmount,
    automatic_payment_methods: input.paymentMethodTypes.length ? null : { enabled: true },
    canceled_at: null,
    cancellation_reason: null,
    capture_method: 'automatic_async',
    client_secret: `${id}_secret_${core.ids.chars(25)}`,
    confirmation_method: 'automatic',
    created: core.now(),
    currency: input.currency,
    customer: null,
    description: input.description,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    metadata: input.metadata,
    next_action: null,
    on_behalf_of: input.onBehalfOf,
    payment_method: null,
    payment_method_types: input.paymentMethodTypes.length ? input.paymentMethodTypes : ['card'],
    receipt_email: input.receiptEmail,
    statement_descriptor: null,
    status: 'requires_payment_method',
    transfer_data: input.transferData,
    transfer_group: input.transferGroup,
  };
  checkFee(pi, owner);
  core.store.paymentIntents.add(owner, pi);
  core.emit('payment_intent.created', pi, { account: owner === PLATFORM ? null : owner });
  return pi;
}

function createPaymentIntent(ctx: RequestContext): PaymentIntent {
  const { core, params: p } = ctx;
  const amount = p.requiredInt('amount', { min: 1 });
  const currency = checkCurrency(p.requiredString('currency'));
  checkChargeAmount(amount, currency);
  const paymentMethod = p.string('payment_method');
  const confirm = p.bool('confirm') ?? false;
  const onBehalfOf = p.string('on_behalf_of') ?? null;
  if (onBehalfOf) transferDestination(core, onBehalfOf, 'on_behalf_of');
  const captureMethod = p.string('capture_method', { enum: ['automatic', 'automatic_async', 'manual'] });
  if (captureMethod === 'manual') {
    throw invalidRequest('capture_method=manual is not implemented by the connect-payouts Stripe emulator.', {
      param: 'capture_method',
    });
  }
  const input = {
    amount,
    currency,
    metadata: applyMetadata({}, p.metadata()),
    description: p.string('description') ?? null,
    applicationFeeAmount: p.int('application_fee_amount', { min: 0 }) ?? null,
    transferData: readTransferData(core, p),
    onBehalfOf,
    transferGroup: p.string('transfer_group') ?? null,
    receiptEmail: p.string('receipt_email') ?? null,
    paymentMethodTypes: p.stringArray('payment_method_types') ?? [],
  };
  const apm = p.object('automatic_payment_methods');
  apm?.bool('enabled');
  apm?.string('allow_redirects', { enum: ['always', 'never'] });
  p.ignore(
    'customer',
    'return_url',
    'off_session',
    'statement_descriptor',
    'statement_descriptor_suffix',
    'setup_future_usage',
    'confirmation_method',
    'payment_method_options',
    'use_stripe_sdk',
    'mandate_data',
  );
  p.done();
  if (paymentMethod && !TEST_CARDS[paymentMethod] && !core.store.paymentMethods.get(paymentMethod)) {
    throw resourceMissing('PaymentMethod', paymentMethod, 'payment_method', 400);
  }
  const pi = newPaymentIntent(core, ctx.owner, input);
  if (paymentMethod) {
    pi.payment_method = resolvePaymentMethod(core, paymentMethod, ctx.owner).id;
    pi.status = 'requires_confirmation';
  }
  if (confirm) confirmPaymentIntent(core, pi, ctx.owner);
  return pi;
}

function getPaymentIntent(ctx: RequestContext): PaymentIntent {
  const id = ctx.pathParams.id as string;
  const pi = ctx.core.store.paymentIntents.get(id, ctx.owner);
  if (!pi) throw resourceMissing('payment_intent', id);
  return pi;
}

function getCharge(ctx: RequestContext): Charge {
  const id = ctx.pathParams.id as string;
  const charge = ctx.core.store.charges.get(id, ctx.owner);
  if (!charge) throw resourceMissing('charge', id);
  return charge;
}

function createCharge(ctx: RequestContext): Charge {
  const { core, params: p } = ctx;
  const amount = p.requiredInt('amount', { min: 1 });
  const currency = checkCurrency(p.requiredString('currency'));
  checkChargeAmount(amount, currency);
  const source = p.requiredString('source');
  const description = p.string('description') ?? null;
  const metadata = applyMetadata({}, p.metadata());
  const receiptEmail = p.string('receipt_email') ?? null;
  const transferGroup = p.string('transfer_group') ?? null;
  p.ignore('capture', 'statement_descriptor', 'statement_descriptor_suffix');
  p.done();
  const pm = resolvePaymentMethod(core, source, ctx.owner, 'source');
  const { charge, decline } = runCharge(core, {
    owner: ctx.owner,
    amount,
    currency,
    pm,
    paymentIntent: null,
    description,
    metadata,
    receiptEmail,
    applicationFeeAmount: null,
    destination: null,
    onBehalfOf: null,
    transferGroup,
  });
  if (decline) throw cardError(decline);
  disputeIfTestCard(core, pm, charge);
  return charge;
}

/** A charge paid with a dispute test card is disputed right after it succeeds, as in Stripe's test mode. */
function disputeIfTestCard(core: EmulatorCore, pm: PaymentMethod, charge: Charge): void {
  const dispute = cardOf(pm).dispute;
  if (dispute) openTestDispute(core, charge, dispute);
}

export function registerPaymentRoutes(r: Router): void {
  r.post('/v1/payment_intents', createPaymentIntent);
  r.get('/v1/payment_intents/:id', getPaymentIntent);
  r.get('/v1/payment_intents', (ctx) => {
    const created = ctx.params.range('created');
    ctx.params.ignore('customer');
    const page = readPage(ctx.params);
    const items = ctx.core.store.paymentIntents.list(ctx.owner, (pi) => inRange(pi.created, created));
    return paginate(items, page, '/v1/payment_intents', 'payment_intent');
  });
  r.post('/v1/payment_intents/:id', (ctx) => {
    const pi = getPaymentIntent(ctx);
    const p = ctx.params;
    if (pi.status === 'succeeded' || pi.status === 'canceled') {
      const onlyMetadata = p.keys().every((k) => k === 'metadata' || k === 'description');
      if (!onlyMetadata) {
        throw invalidRequest(
          `This PaymentIntent's status is ${pi.status}; it can no longer be updated except for metadata and description.`,
          {
            code: 'payment_intent_unexpected_state',
          },
        );
      }
    }
    const amount = p.int('amount', { min: 1 });
    if (amount !== undefined) checkChargeAmount(amount, pi.currency);
    const fee = p.int('application_fee_amount', { min: 0 });
    const metadata = p.metadata();
    const description = p.string('description');
    const pm = p.string('payment_method');
    const td = p.object('transfer_data');
    const tdAmount = td?.int('amount', { min: 1 });
    const group = p.string('transfer_group');
    p.ignore('receipt_email', 'customer', 'statement_descriptor');
    p.done();
    const next = structuredClone(pi);
    if (amount !== undefined) next.amount = amount;
    if (fee !== undefined) next.application_fee_amount = fee;
    if (tdAmount !== undefined && next.transfer_data) next.transfer_data.amount = tdAmount;
    checkFee(next, ctx.owner);
    if (pm) {
      pi.payment_method = resolvePaymentMethod(ctx.core, pm, ctx.owner).id;
      pi.status = 'requires_confirmation';
    }
    pi.amount = next.amount;
    pi.application_fee_amount = next.application_fee_amount;
    pi.transfer_data = next.transfer_data;
    pi.metadata = applyMetadata(pi.metadata, metadata);
    if (description !== undefined) pi.description = description || null;
    if (group !== undefined) pi.transfer_group = group || null;
    return pi;
  });
  r.post('/v1/payment_intents/:id/confirm', (ctx) => {
    const pi = getPaymentIntent(ctx);
    const pm = ctx.params.string('payment_method');
    ctx.params.ignore('return_url', 'off_session', 'payment_method_options', 'mandate_data', 'use_stripe_sdk');
    ctx.params.done();
    if (pm) pi.payment_method = resolvePaymentMethod(ctx.core, pm, ctx.owner).id;
    return confirmPaymentIntent(ctx.core, pi, ctx.owner);
  });
  r.post('/v1/payment_intents/:id/cancel', (ctx) => {
    const pi = getPaymentIntent(ctx);
    const reason = ctx.params.string('cancellation_reason', {
      enum: ['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned'],
    });
    ctx.params.done();
    if (pi.status === 'succeeded' || pi.status === 'canceled') {
      throw invalidRequest(
        `You cannot cancel this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.`,
        { code: 'payment_intent_unexpected_state' },
      );
    }
    pi.status = 'canceled';
    pi.canceled_at = ctx.core.now();
    pi.cancellation_reason = reason ?? null;
    ctx.core.emit('payment_intent.canceled', pi, { account: ctx.account });
    return pi;
  });
  r.get('/v1/payment_methods/:id', (ctx) => {
    const id = ctx.pathParams.id as string;
    const pm = ctx.core.store.paymentMethods.get(id, ctx.owner);
    if (!pm) throw resourceMissing('PaymentMethod', id);
    return pm;
  });
  r.post('/v1/charges', createCharge);
  r.get('/v1/charges/:id', getCharge);
  r.get('/v1/charges', (ctx) => {
    const p = ctx.params;
    const pi = p.string('payment_intent');
    const group = p.string('transfer_group');
    const created = p.range('created');
    p.ignore('customer');
    const page = readPage(p);
    const items = ctx.core.store.charges.list(
      ctx.owner,
      (c) =>
        (pi === undefined || c.payment_intent === pi) &&
        (group === undefined || c.transfer_group === group) &&
        inRange(c.created, created),
    );
    return paginate(items, page, '/v1/charges', 'charge');
  });
  r.get('/v1/application_fees/:id', (ctx) => {
    const id = ctx.pathParams.id as string;
    const fee = ctx.core.store.applicationFees.get(id, PLATFORM);
    if (!fee) throw resourceMissing('application fee', id);
    return fee;
  });
  r.get('/v1/application_fees', (ctx) => {
    const charge = ctx.params.string('charge');
    const created = ctx.params.range('created');
    const page = readPage(ctx.params);
    const items = ctx.core.store.applicationFees.list(
      PLATFORM,
      (f) =>
        (charge === undefined || f.charge === charge || f.originating_transaction === charge) &&
        inRange(f.created, created),
    );
    return paginate(items, page, '/v1/application_fees', 'application fee');
  });
}
