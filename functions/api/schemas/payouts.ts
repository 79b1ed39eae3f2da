import * as z from 'zod';
import type { SkipReason } from '#core/payout-rules';
import type { payoutRunView } from '#core/payout-views';
import type { DryRunResult } from '#core/payouts';
import { lazily } from '#middleware/contract';
import { commonSchemas, type Described } from './common.ts';

/** Response schemas of the payout-run routes (the shapes of `#core/payout-views`). */
export const payoutSchemas = lazily(() => {
  const { Currency, Instant, MinorUnits } = commonSchemas();
  const SkipCounts = z
    .strictObject({
      below_minimum: z.number().int(),
      not_onboarded: z.number().int(),
      restricted: z.number().int(),
      disconnected: z.number().int(),
      manual_preference: z.number().int(),
      awaiting_funds: z.number().int(),
      operator_hold: z.number().int().describe('An operator holds the partner’s payouts.'),
      operator_excluded: z.number().int().describe('An operator took the payout out of the run before it was sent.'),
      amount_too_large: z.number().int().describe('An amount too large for one transfer, carried forward.'),
      planning_failed: z.number().int().describe('Planning the partner failed unexpectedly; the run went on.'),
    })
    .describe('Partners not paid, by reason.');

  const AmountsByCurrency = z.record(Currency, MinorUnits);

  const PayoutRun = z
    .strictObject({
      id: z.string(),
      period: z.string().describe('The month paid, YYYY-MM.'),
      status: z.enum(['planning', 'awaiting_approval', 'sending', 'completed']),
      requireApproval: z.boolean(),
      approved: z.boolean(),
      cutoff: Instant.describe('Held earnings available at or before this instant are paid.'),
      totals: z.strictObject({
        considered: z.number().int(),
        queued: z.number().int(),
        paid: z.number().int(),
        awaitingFunds: z.number().int(),
        carriedForward: z.number().int(),
        failed: z.number().int(),
        skipped: SkipCounts,
        amounts: z.strictObject({ planned: AmountsByCurrency, paid: AmountsByCurrency }),
      }),
      startedAt: Instant,
      startedBy: z.string().describe('Who started it: an operator sub, or the schedule.'),
      finishedAt: Instant.nullable(),
    })
    .describe("A payout run's status and totals.");

  const DryRun = z
    .strictObject({
      dryRun: z.literal(true),
      period: z.string(),
      cutoff: Instant,
      considered: z.number().int(),
      payable: z.number().int(),
      skipped: SkipCounts,
      amounts: AmountsByCurrency,
      payouts: z.array(z.strictObject({ partnerId: z.string(), currency: Currency, amount: MinorUnits })),
      complete: z.boolean().describe('False when planning stopped early: continue with `cursor: nextCursor`.'),
      nextCursor: z.string().nullable(),
    })
    .describe('What the run would pay; nothing is written.');
  return { SkipCounts, PayoutRun, DryRun };
});

type Schemas = ReturnType<typeof payoutSchemas>;

/** Every skip reason the core counts has its field (a new reason fails `tsc` until it is documented). */
export type SkipCountsBody = Described<Schemas['SkipCounts'], Record<SkipReason, number>>;

export type PayoutRunBody = Described<Schemas['PayoutRun'], ReturnType<typeof payoutRunView>>;

/** What `POST /admin/payout-runs { dryRun: true }` answers: the core's result, flagged, with an ISO cutoff. */
export type DryRunBody = Described<Schemas['DryRun'], Omit<DryRunResult, 'cutoff'> & { dryRun: true; cutoff: string }>;
