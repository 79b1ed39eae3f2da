import type { EmulatorCore } from '../core.ts';
import { checkCurrency } from '../currency.ts';
import { balanceInsufficient, invalidRequest, resourceMissing } from '../errors.ts';
import { paginate, readPage } from '../pagination.ts';
import { applyMetadata, inRange } from '../params.ts';
import type { RequestContext, Router } from '../router.ts';
import { PLATFORM } from '../store.ts';
import type { Charge, Transfer, TransferReversal } from '../types.ts';
import { transferDestination } from './common.ts';

/** The charge-like object (`py_…`) a transfer creates on the connected account. */
function destinationPayment(core: EmulatorCore, transfer: Transfer, balanceTxn: string): Charge {
  const payment: Charge = {
    id: transfer.destination_payment,
    object: 'charge',
    amount: transfer.amount,
    amount_captured: transfer.amount,
    amount_refunded: 0,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: balanceTxn,
    billing_details: { address: null, email: null, name: null, phone: null },
    captured: true,
    created: transfer.created,
    currency: transfer.currency,
    customer: null,
    description: transfer.description,
    disputed: false,
    failure_code: null,
    failure_message: null,
    livemode: false,
    metadata: {},
    on_behalf_of: null,
    outcome: {
      network_status: 'approved_by_network',
      reason: null,
      risk_level: 'not_assessed',
      seller_message: 'Payment complete.',
      type: 'authorized',
    },
    paid: true,
    payment_intent: null,
    payment_method: null,
    payment_method_details: {
      type: 'card',
      card: {
        brand: 'visa',
        country: 'US',
        exp_month: 12,
        exp_year: 2034,
        fingerprint: 'emulator',
        funding: 'credit',
        last4: '4242',
      },
    },
    receipt_email: null,
    refunded: false,
    refunds: {
      object: 'list',
      data: [],
      has_more: false,
      total_count: 0,
      url: `/v1/charges/${transfer.destination_payment}/refunds`,
    },
    source_transfer: transfer.id,
    status: 'succeeded',
    transfer: null,
    transfer_data: null,
    transfer_group: transfer.transfer_group,
  };
  return core.store.charges.add(transfer.destination, payment);
}

export interface TransferInput {
  amount: number;
  currency: string;
  destination: string;
  transferGroup: string | null;
  metadata: Record<string, string>;
  description: string | null;
  sourceTransaction: string | null;
  /** When the funds become available (a transfer funded by a pending charge follows that charge). */
  availableOn: number;
  /** Application fee taken from the destination payment (destination charges). */
  fee?: number;
}

/** Moves money platform → connected account and records the transfer, its destination payment and their ledgers. */
export function recordTransfer(core: EmulatorCore, input: TransferInput): Transfer {
  const now = core.now();
  const id = core.id('tr');
  const transfer: Transfer = {
    id,
    object: 'transfer',
    amount: input.amount,
    amount_reversed: 0,
    balance_transaction: '',
    created: now,
    currency: input.currency,
    description: input.description,
    destination: input.destination,
    destination_payment: core.id('py'),
    livemode: false,
    metadata: input.metadata,
    reversals: { object: 'list', data: [], has_more: false, total_count: 0, url: `/v1/transfers/${id}/reversals` },
    reversed: false,
    source_transaction: input.sourceTransaction,
    source_type: 'card',
    transfer_group: input.transferGroup,
  };
  const platformTxn = core.store.ledger.post(PLATFORM, {
    id: core.id('txn'),
    amount: -input.amount,
    currency: input.currency,
    type: 'transfer',
    source: id,
    created: now,
    availableOn: input.availableOn,
  });
  transfer.balance_transaction = platformTxn.id;
  const connectedTxn = core.store.ledger.post(input.destination, {
    id: core.id('txn'),
    amount: input.amount,
    currency: input.currency,
    type: 'payment',
    source: transfer.destination_payment,
    created: now,
    availableOn: input.availableOn,
    fee: input.fee ?? 0,
  });
  core.store.transfers.add(PLATFORM, transfer);
  destinationPayment(core, transfer, connectedTxn.id);
  core.emit('transfer.created', transfer);
  return transfer;
}

/** Returns money from the connected account to the platform (partial or full), as Stripe's reversals do. */
export function reverseTransfer(
  core: EmulatorCore,
  transfer: Transfer,
  amount: number,
  opts: { metadata?: Record<string, string>; sourceRefund?: string | null; description?: string | null } = {},
): TransferReversal {
  const remaining = transfer.amount - transfer.amount_reversed;
  if (remaining <= 0) {
    throw invalidRequest(`Transfer ${transfer.id} has already been fully reversed.`, {
      code: 'transfer_already_reversed',
    });
  }
  if (amount > remaining) {
    throw invalidRequest(
      `Transfer reversal amount (${amount}) is greater than the amount remaining on the transfer (${remaining}).`,
      { param: 'amount' },
    );
  }
  const now = core.now();
  const before = structuredClone(transfer);
  const id = core.id('trr');
  const paymentRefund = core.id('pyr');
  core.store.ledger.post(transfer.destination, {
    id: core.id('txn'),
    amount: -amount,
    currency: transfer.currency,
    type: 'payment_refund',
    source: paymentRefund,
    created: now,
    availableOn: now,
  });
  const platformTxn = core.store.ledger.post(PLATFORM, {
    id: core.id('txn'),
    amount,
    currency: transfer.currency,
    type: 'transfer_refund',
    source: id,
    created: now,
    availableOn: now,
  });
  const reversal: TransferReversal = {
    id,
    object: 'transfer_reversal',
    amount,
    balance_transaction: platformTxn.id,
    created: now,
    currency: transfer.currency,
    destination_payment_refund: paymentRefund,
    metadata: opts.metadata ?? {},
    source_refund: opts.sourceRefund ?? null,
    transfer: transfer.id,
  };
  core.store.reversals.add(PLATFORM, reversal);
  transfer.amount_reversed += amount;
  transfer.reversed = transfer.amount_reversed === transfer.amount;
  transfer.reversals.data.unshift(reversal);
  transfer.reversals.total_count = transfer.reversals.data.length;
  const payment = core.store.charges.get(transfer.destination_payment);
  if (payment) {
    payment.amount_refunded += amount;
    payment.refunded = payment.amount_refunded === payment.amount;
  }
  core.emit('transfer.reversed', transfer, {
    previous: { amount_reversed: before.amount_reversed, reversed: before.reversed, reversals: before.reversals },
  });
  return reversal;
}

function createTransfer(ctx: RequestContext): Transfer {
  const { core, params: p } = ctx;
  const amount = p.requiredInt('amount', { min: 1 });
  const currency = checkCurrency(p.requiredString('currency'));
  const destinationId = p.requiredString('destination');
  const sourceTransaction = p.string('source_transaction');
  const transferGroup = p.string('transfer_group') ?? null;
  const description = p.string('description') ?? null;
  const metadata = applyMetadata({}, p.metadata());
  p.ignore('source_type');
  p.done();
  transferDestination(core, destinationId, 'destination');
  let availableOn = core.now();
  if (sourceTransaction) {
    const charge = core.store.charges.get(sourceTransaction, PLATFORM);
    if (!charge) throw resourceMissing('charge', sourceTransaction, 'source_transaction', 400);
    if (charge.status !== 'succeeded') {
      throw invalidRequest(`The source_transaction ${sourceTransaction} has not succeeded.`, {
        param: 'source_transaction',
      });
    }
    if (charge.currency !== currency) {
      throw invalidRequest(
        `The currency of source_transaction's balance transaction (${charge.currency}) must be the same as the transfer currency (${currency})`,
        { param: 'currency' },
      );
    }
    const alreadyTransferred = core.store.transfers
      .list(PLATFORM, (t) => t.source_transaction === sourceTransaction)
      .reduce((sum, t) => sum + t.amount - t.amount_reversed, 0);
    const transferable = charge.amount - charge.amount_refunded - alreadyTransferred;
    if (amount > transferable) {
      throw invalidRequest(
        `Insufficient funds in the source_transaction: the transfer amount (${amount}) exceeds the amount still transferable from ${sourceTransaction} (${transferable}).`,
        { param: 'amount', code: 'balance_insufficient' },
      );
    }
    const txn = charge.balance_transaction ? core.store.ledger.transactions.get(charge.balance_transaction) : undefined;
    availableOn = Math.max(availableOn, txn?.available_on ?? availableOn);
  } else if (core.store.ledger.available(PLATFORM, currency) < amount) {
    throw balanceInsufficient();
  }
  return recordTransfer(core, {
    amount,
    currency,
    destination: destinationId,
    transferGroup,
    metadata,
    description,
    sourceTransaction: sourceTransaction ?? null,
    availableOn,
  });
}

function getTransfer(ctx: RequestContext): Transfer {
  const id = ctx.pathParams.id as string;
  const transfer = ctx.core.store.transfers.get(id, ctx.owner);
  if (!transfer) throw resourceMissing('transfer', id);
  return transfer;
}

export function registerTransferRoutes(r: Router): void {
  r.post('/v1/transfers', createTransfer, { platformOnly: true });
  r.get('/v1/transfers/:id', getTransfer);
  r.post('/v1/transfers/:id', (ctx) => {
    const transfer = getTransfer(ctx);
    const before = structuredClone(transfer);
    const metadata = ctx.params.metadata();
    const description = ctx.params.string('description');
    ctx.params.done();
    transfer.metadata = applyMetadata(transfer.metadata, metadata);
    if (description !== undefined) transfer.description = description || null;
    if (JSON.stringify(before) !== JSON.stringify(transfer)) {
      ctx.core.emit('transfer.updated', transfer, {
        previous: { metadata: before.metadata, description: before.description },
      });
    }
    return transfer;
  });
  r.get('/v1/transfers', (ctx) => {
    const p = ctx.params;
    const destination = p.string('destination');
    const transferGroup = p.string('transfer_group');
    const created = p.range('created');
    const page = readPage(p);
    const items = ctx.core.store.transfers.list(
      ctx.owner,
      (t) =>
        (destination === undefined || t.destination === destination) &&
        (transferGroup === undefined || t.transfer_group === transferGroup) &&
        inRange(t.created, created),
    );
    return paginate(items, page, '/v1/transfers', 'transfer');
  });
  r.post(
    '/v1/transfers/:id/reversals',
    (ctx) => {
      const transfer = getTransfer(ctx);
      const p = ctx.params;
      const amount = p.int('amount', { min: 1 }) ?? transfer.amount - transfer.amount_reversed;
      const metadata = applyMetadata({}, p.metadata());
      const description = p.string('description') ?? null;
      p.ignore('refund_application_fee');
      p.done();
      return reverseTransfer(ctx.core, transfer, amount, { metadata, description });
    },
    { platformOnly: true },
  );
  r.get('/v1/transfers/:id/reversals', (ctx) => {
    const transfer = getTransfer(ctx);
    const page = readPage(ctx.params);
    return paginate(transfer.reversals.data, page, `/v1/transfers/${transfer.id}/reversals`, 'transfer reversal');
  });
  r.get('/v1/transfers/:id/reversals/:reversal', (ctx) => {
    const transfer = getTransfer(ctx);
    const id = ctx.pathParams.reversal as string;
    const reversal = transfer.reversals.data.find((x) => x.id === id);
    if (!reversal) throw resourceMissing('transfer reversal', id);
    return reversal;
  });
}
