import { type EmulatorCore, previousAttributes } from '../core.ts';
import { invalidRequest, resourceMissing } from '../errors.ts';
import { paginate, readPage } from '../pagination.ts';
import { applyMetadata, inRange } from '../params.ts';
import type { RequestContext, Router } from '../router.ts';
import { PLATFORM } from '../store.ts';
import type { BalanceTransaction, Charge, Dispute, DisputeStatus } from '../types.ts';

/**
 * Disputes as Stripe's test mode makes them. A charge paid with one of the dispute test cards is disputed right after
 * it succeeds (`charge.dispute.created`; for a real dispute, not an inquiry, the disputed amount and the dispute fee
 * are withdrawn from the charge owner's balance: `charge.dispute.funds_withdrawn`). Submitting evidence with
 * `uncategorized_text: "winning_evidence"` wins it, `"losing_evidence"` loses it (`charge.dispute.updated` with
 * `under_review`, then `charge.dispute.closed`; a won dispute's funds are reinstated,
 * `charge.dispute.funds_reinstated`). Closing a dispute (`POST /v1/disputes/:id/close`) accepts it: lost.
 */

/** Stripe's dispute fee in test mode, per currency of the charge (minor units). */
export const DISPUTE_FEE: Readonly<Record<string, number>> = {
  usd: 1500,
  eur: 1500,
  gbp: 1500,
  cad: 1500,
  aud: 2500,
  jpy: 2000,
};

export interface DisputeCard {
  reason: string;
  /** An inquiry (`warning_needs_response`): no funds are withdrawn until it becomes a chargeback. */
  inquiry: boolean;
}

/** The dispute test payment methods and tokens. */
export const DISPUTE_CARDS: Readonly<Record<string, DisputeCard>> = {
  pm_card_createDispute: { reason: 'fraudulent', inquiry: false },
  pm_card_createDisputeProductNotReceived: { reason: 'product_not_received', inquiry: false },
  pm_card_createDisputeInquiry: { reason: 'fraudulent', inquiry: true },
  tok_createDispute: { reason: 'fraudulent', inquiry: false },
  tok_createDisputeProductNotReceived: { reason: 'product_not_received', inquiry: false },
  tok_createDisputeInquiry: { reason: 'fraudulent', inquiry: true },
};

const EVIDENCE_FIELDS = [
  'access_activity_log',
  'billing_address',
  'cancellation_policy',
  'cancellation_policy_disclosure',
  'cancellation_rebuttal',
  'customer_communication',
  'customer_email_address',
  'customer_name',
  'customer_purchase_ip',
  'customer_signature',
  'duplicate_charge_documentation',
  'duplicate_charge_explanation',
  'duplicate_charge_id',
  'product_description',
  'receipt',
  'refund_policy',
  'refund_policy_disclosure',
  'refund_refusal_explanation',
  'service_date',
  'service_documentation',
  'shipping_address',
  'shipping_carrier',
  'shipping_date',
  'shipping_documentation',
  'shipping_tracking_number',
  'uncategorized_file',
  'uncategorized_text',
] as const;

const CLOSED: readonly DisputeStatus[] = ['won', 'lost', 'warning_closed'];

function ownerOf(core: EmulatorCore, charge: Charge): string {
  return core.store.charges.ownerOf(charge.id) ?? PLATFORM;
}

function moveFunds(
  core: EmulatorCore,
  dispute: Dispute,
  owner: string,
  direction: -1 | 1,
  description: string,
): BalanceTransaction {
  const now = core.now();
  const fee = DISPUTE_FEE[dispute.currency] ?? 1500;
  // Withdrawn: −amount, and the fee on top (net −amount − fee). Reinstated: +amount and the fee given back.
  const txn = core.store.ledger.post(owner, {
    id: core.id('txn'),
    amount: direction * dispute.amount,
    currency: dispute.currency,
    type: 'adjustment',
    reportingCategory: 'dispute',
    source: dispute.id,
    description,
    created: now,
    availableOn: now,
    fee: -direction * fee,
    feeDescription: 'Dispute fee',
    feeType: 'stripe_fee',
  });
  dispute.balance_transactions.push(txn);
  return txn;
}

/** Opens a dispute on a charge paid with a dispute test card (called once the payment has succeeded). */
export function openTestDispute(core: EmulatorCore, charge: Charge, card: DisputeCard): Dispute {
  const now = core.now();
  const owner = ownerOf(core, charge);
  const dispute: Dispute = {
    id: core.id('dp'),
    object: 'dispute',
    amount: charge.amount - charge.amount_refunded,
    balance_transactions: [],
    charge: charge.id,
    created: now,
    currency: charge.currency,
    evidence: Object.fromEntries(EVIDENCE_FIELDS.map((field) => [field, null])),
    evidence_details: { due_by: now + 7 * 86_400, has_evidence: false, past_due: false, submission_count: 0 },
    is_charge_refundable: false,
    livemode: false,
    metadata: {},
    payment_intent: charge.payment_intent,
    reason: card.reason,
    status: card.inquiry ? 'warning_needs_response' : 'needs_response',
  };
  core.store.disputes.add(owner, dispute);
  charge.disputed = true;
  const account = owner === PLATFORM ? null : owner;
  core.emit('charge.dispute.created', dispute, { account });
  if (!card.inquiry) {
    moveFunds(core, dispute, owner, -1, `Chargeback withdrawal for ${charge.id}`);
    core.emit('charge.dispute.funds_withdrawn', dispute, { account });
  }
  return dispute;
}

/** Closes a dispute with its outcome: the events and, for a won chargeback, the funds back. */
function closeDispute(core: EmulatorCore, dispute: Dispute, owner: string, won: boolean): void {
  const before = structuredClone(dispute);
  const inquiry = dispute.status.startsWith('warning_');
  dispute.status = won ? (inquiry ? 'warning_closed' : 'won') : 'lost';
  const account = owner === PLATFORM ? null : owner;
  core.emit('charge.dispute.closed', dispute, { account, previous: previousAttributes(before, dispute) });
  if (won && !inquiry) {
    moveFunds(core, dispute, owner, 1, `Chargeback reversal for ${dispute.charge}`);
    core.emit('charge.dispute.funds_reinstated', dispute, { account });
  }
  if (!won && inquiry) {
    // A lost inquiry becomes a chargeback: the funds go now.
    moveFunds(core, dispute, owner, -1, `Chargeback withdrawal for ${dispute.charge}`);
  }
}

function getDispute(ctx: RequestContext): Dispute {
  const id = ctx.pathParams.id as string;
  const dispute = ctx.core.store.disputes.get(id, ctx.owner);
  if (!dispute) throw resourceMissing('dispute', id);
  return dispute;
}

function requireOpen(dispute: Dispute): void {
  if (CLOSED.includes(dispute.status)) {
    throw invalidRequest(`This dispute is already closed (status ${dispute.status}).`, {
      code: 'charge_dispute_closed',
    });
  }
}

export function registerDisputeRoutes(r: Router): void {
  r.get('/v1/disputes/:id', (ctx) => getDispute(ctx));
  r.get('/v1/disputes', (ctx) => {
    const p = ctx.params;
    const charge = p.string('charge');
    const pi = p.string('payment_intent');
    const created = p.range('created');
    const page = readPage(p);
    const items = ctx.core.store.disputes.list(
      ctx.owner,
      (d) =>
        (charge === undefined || d.charge === charge) &&
        (pi === undefined || d.payment_intent === pi) &&
        inRange(d.created, created),
    );
    return paginate(items, page, '/v1/disputes', 'dispute');
  });
  r.post('/v1/disputes/:id', (ctx) => {
    const dispute = getDispute(ctx);
    const p = ctx.params;
    const evidence = p.object('evidence');
    const values: Record<string, string> = {};
    for (const field of EVIDENCE_FIELDS) {
      const value = evidence?.string(field, { maxLength: 20_000 });
      if (value !== undefined) values[field] = value;
    }
    evidence?.done();
    const metadata = p.metadata();
    const submit = p.bool('submit') ?? true;
    p.done();
    if (Object.keys(values).length > 0 || submit) requireOpen(dispute);
    const owner = ctx.core.store.disputes.ownerOf(dispute.id) ?? PLATFORM;
    const before = structuredClone(dispute);
    Object.assign(dispute.evidence, values);
    dispute.metadata = applyMetadata(dispute.metadata, metadata);
    if (Object.keys(values).length > 0) dispute.evidence_details.has_evidence = true;
    const account = owner === PLATFORM ? null : owner;
    if (!submit) {
      ctx.core.emit('charge.dispute.updated', dispute, { account, previous: previousAttributes(before, dispute) });
      return dispute;
    }
    dispute.evidence_details.submission_count += 1;
    dispute.status = dispute.status.startsWith('warning_') ? 'warning_under_review' : 'under_review';
    ctx.core.emit('charge.dispute.updated', dispute, { account, previous: previousAttributes(before, dispute) });
    // The answer shows the dispute under review; Stripe decides test disputes by the evidence token right after.
    const answer = structuredClone(dispute);
    const text = dispute.evidence.uncategorized_text;
    if (text === 'winning_evidence') closeDispute(ctx.core, dispute, owner, true);
    else if (text === 'losing_evidence') closeDispute(ctx.core, dispute, owner, false);
    return answer;
  });
  r.post('/v1/disputes/:id/close', (ctx) => {
    const dispute = getDispute(ctx);
    ctx.params.done();
    requireOpen(dispute);
    closeDispute(ctx.core, dispute, ctx.core.store.disputes.ownerOf(dispute.id) ?? PLATFORM, false);
    return dispute;
  });
}
