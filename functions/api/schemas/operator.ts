import * as z from 'zod';
import type { Operator as OperatorRecord, partnerMoneyControls } from '#core/operator';
import type { PayoutHoldRecord } from '#core/partner';
import type { adminPartnerView } from '#core/partner-views';
import type { OperatorAction as OperatorActionRecord } from '#core/payouts';
import { lazily } from '#middleware/contract';
import { commonSchemas, type Described } from './common.ts';
import { partnerSchemas } from './partners.ts';

/** Response schemas of the operator controls over a partner's money (the shapes of `#core/operator`). */
export const operatorSchemas = lazily(() => {
  const { Instant } = commonSchemas();
  const { AdminPartner } = partnerSchemas();

  const Operator = z
    .strictObject({
      sub: z.string().describe("The operator's Cognito sub."),
      email: z.string().nullable().describe("The operator's email, when their token carried one."),
    })
    .describe('The operator who acted.');

  const PayoutHold = z
    .strictObject({
      reason: z.string(),
      until: Instant.nullable().describe('When the hold ends by itself; null: until an operator lifts it.'),
      by: Operator,
      at: Instant.describe('When it was set.'),
    })
    .describe('An operator hold on the partner’s payouts: none is planned or sent while it is in force.');

  const OperatorAction = z
    .strictObject({
      id: z.string(),
      partnerId: z.string(),
      action: z.enum(['payout_hold_set', 'payout_hold_lifted', 'adjustment', 'payout_excluded', 'reversal_kept']),
      by: Operator,
      reason: z.string().describe('Why the operator acted.'),
      at: Instant,
      details: z
        .record(z.string(), z.union([z.string(), z.number(), z.null()]))
        .describe('What the action changed (amounts, payout id, hold end…), by action.'),
    })
    .describe("An operator action on the partner's money: who, why, when.");

  const PartnerMoneyControls = z
    .strictObject({
      partner: AdminPartner,
      payoutHold: PayoutHold.nullable().describe('The hold in force, or null.'),
      operatorActions: z.array(OperatorAction).describe('Every operator action on its money, newest first.'),
    })
    .describe('The partner as operators see it, its payout hold and every operator action on its money.');
  return { Operator, PayoutHold, OperatorAction, PartnerMoneyControls };
});

type Schemas = ReturnType<typeof operatorSchemas>;

export type OperatorBody = Described<Schemas['Operator'], OperatorRecord>;

export type PayoutHoldBody = Described<Schemas['PayoutHold'], PayoutHoldRecord>;

export type OperatorActionBody = Described<Schemas['OperatorAction'], OperatorActionRecord>;

/** What `GET /admin/partners/{partnerId}` answers: the core's controls, with the partner in its admin view. */
export type PartnerMoneyControlsBody = Described<
  Schemas['PartnerMoneyControls'],
  Omit<Awaited<ReturnType<typeof partnerMoneyControls>>, 'partner'> & { partner: ReturnType<typeof adminPartnerView> }
>;
