import type { EmulatorCore } from '../core.ts';
import { checkCurrency } from '../currency.ts';
import { invalidRequest, resourceMissing } from '../errors.ts';
import { paginate, readPage } from '../pagination.ts';
import { applyMetadata, inRange } from '../params.ts';
import type { RequestContext, Router } from '../router.ts';
import { PLATFORM } from '../store.ts';
import type { Payout } from '../types.ts';

export const PAYOUT_FAILURE_MESSAGES: Readonly<Record<string, string>> = {
  account_closed: 'The bank account has been closed.',
  account_frozen: 'The bank account has been frozen.',
  bank_account_restricted: 'The bank account has restrictions on either the type, or the number, of payouts allowed.',
  could_not_process: 'The bank could not process this payout.',
  insufficient_funds: 'Your Stripe account has insufficient funds to cover the payout.',
  invalid_account_number: 'The bank account details on file are probably incorrect.',
  no_account:
    'The bank account details on file are probably incorrect. No bank account could be located with those details.',
};

function createPayout(ctx: RequestContext): Payout {
  const { core, params: p } = ctx;
  const amount = p.requiredInt('amount', { min: 1 });
  const currency = checkCurrency(p.requiredString('currency'));
  const method = (p.string('method', { enum: ['standard', 'instant'] }) ?? 'standard') as Payout['method'];
  const description = p.string('description') ?? null;
  const statementDescriptor = p.string('statement_descriptor') ?? null;
  const metadata = applyMetadata({}, p.metadata());
  let destination = p.string('destination') ?? null;
  p.ignore('source_type');
  p.done();
  if (ctx.account) {
    const account = core.store.accounts.get(ctx.account);
    if (!account?.payouts_enabled) {
      throw invalidRequest(
        'Your account cannot currently make payouts. Please ensure that all required information has been provided and that a valid bank account has been added.',
        { code: 'payouts_not_allowed' },
      );
    }
    destination ??= account.external_accounts.data[0]?.id ?? null;
  }
  if (core.store.ledger.available(ctx.owner, currency) < amount) {
    throw invalidRequest(
      'You have insufficient funds in your Stripe account for this transfer. Your card balance is too low. You can use the /v1/balance endpoint to view your Stripe balance (for more details, see stripe.com/docs/api#balance).',
      { code: 'balance_insufficient', param: 'amount' },
    );
  }
  const now = core.now();
  const id = core.id('po');
  const txn = core.store.ledger.post(ctx.owner, {
    id: core.id('txn'),
    amount: -amount,
    currency,
    type: 'payout',
    source: id,
    created: now,
    availableOn: now,
  });
  const payout: Payout = {
    id,
    object: 'payout',
    amount,
    arrival_date: now + 2 * 86400,
    automatic: false,
    balance_transaction: txn.id,
    created: now,
    currency,
    description,
    destination,
    failure_balance_transaction: null,
    failure_code: null,
    failure_message: null,
    livemode: false,
    metadata,
    method,
    source_type: 'card',
    statement_descriptor: statementDescriptor,
    status: 'pending',
    type: 'bank_account',
  };
  core.store.payouts.add(ctx.owner, payout);
  core.emit('payout.created', payout, { account: ctx.account });
  return payout;
}

function payoutAccount(owner: string | undefined): string | null {
  return owner && owner !== PLATFORM ? owner : null;
}

/** Control operation: the payout was submitted to the bank (`pending` → `in_transit`; Stripe sends `payout.updated`). */
export function markPayoutInTransit(core: EmulatorCore, id: string): Payout {
  const payout = core.store.payouts.get(id);
  if (!payout) throw resourceMissing('payout', id);
  if (payout.status !== 'pending') {
    throw invalidRequest(`Payout ${id} is ${payout.status}; only pending payouts go in transit.`);
  }
  const previous = { status: payout.status };
  payout.status = 'in_transit';
  core.emit('payout.updated', payout, { account: payoutAccount(core.store.payouts.ownerOf(id)), previous });
  return payout;
}

/** Control operation: the bank accepted the payout. */
export function markPayoutPaid(core: EmulatorCore, id: string): Payout {
  const payout = core.store.payouts.get(id);
  if (!payout) throw resourceMissing('payout', id);
  if (payout.status !== 'pending' && payout.status !== 'in_transit') {
    throw invalidRequest(`Payout ${id} is ${payout.status}; only pending or in_transit payouts can be paid.`);
  }
  const previous = { status: payout.status };
  payout.status = 'paid';
  const account = payoutAccount(core.store.payouts.ownerOf(id));
  core.emit('payout.updated', payout, { account, previous });
  core.emit('payout.paid', payout, { account });
  return payout;
}

/** Control operation: the bank returned the payout; the money goes back to the account's balance. */
export function markPayoutFailed(core: EmulatorCore, id: string, failureCode = 'account_closed'): Payout {
  const payout = core.store.payouts.get(id);
  if (!payout) throw resourceMissing('payout', id);
  if (payout.status !== 'pending' && payout.status !== 'in_transit' && payout.status !== 'paid') {
    throw invalidRequest(`Payout ${id} is ${payout.status}; it cannot fail.`);
  }
  const owner = core.store.payouts.ownerOf(id) ?? PLATFORM;
  const now = core.now();
  const previous = { status: payout.status, failure_code: null, failure_message: null };
  const txn = core.store.ledger.post(owner, {
    id: core.id('txn'),
    amount: payout.amount,
    currency: payout.currency,
    type: 'payout_failure',
    source: payout.id,
    created: now,
    availableOn: now,
  });
  payout.status = 'failed';
  payout.failure_code = failureCode;
  payout.failure_message = PAYOUT_FAILURE_MESSAGES[failureCode] ?? 'The payout failed.';
  payout.failure_balance_transaction = txn.id;
  const account = payoutAccount(owner);
  core.emit('payout.updated', payout, { account, previous });
  core.emit('payout.failed', payout, { account });
  return payout;
}

export function registerPayoutRoutes(r: Router): void {
  r.post('/v1/payouts', createPayout);
  r.get('/v1/payouts/:id', (ctx) => {
    const id = ctx.pathParams.id as string;
    const payout = ctx.core.store.payouts.get(id, ctx.owner);
    if (!payout) throw resourceMissing('payout', id);
    return payout;
  });
  r.get('/v1/payouts', (ctx) => {
    const p = ctx.params;
    const status = p.string('status', { enum: ['pending', 'paid', 'failed', 'canceled', 'in_transit'] });
    const created = p.range('created');
    const arrival = p.range('arrival_date');
    p.ignore('destination');
    const page = readPage(p);
    const items = ctx.core.store.payouts.list(
      ctx.owner,
      (x) =>
        (status === undefined || x.status === status) &&
        inRange(x.created, created) &&
        inRange(x.arrival_date, arrival),
    );
    return paginate(items, page, '/v1/payouts', 'payout');
  });
  r.post('/v1/payouts/:id/cancel', (ctx) => {
    const id = ctx.pathParams.id as string;
    const payout = ctx.core.store.payouts.get(id, ctx.owner);
    if (!payout) throw resourceMissing('payout', id);
    if (payout.status !== 'pending') {
      throw invalidRequest(`Payouts can only be canceled while they are pending. This payout is ${payout.status}.`);
    }
    const now = ctx.core.now();
    ctx.core.store.ledger.post(ctx.owner, {
      id: ctx.core.id('txn'),
      amount: payout.amount,
      currency: payout.currency,
      type: 'payout_failure',
      source: payout.id,
      created: now,
      availableOn: now,
    });
    payout.status = 'canceled';
    ctx.core.emit('payout.canceled', payout, { account: ctx.account });
    return payout;
  });
}
