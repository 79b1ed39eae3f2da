import { config } from '#config';
import type { Currency } from '#core/money';
import { isCurrency } from '#core/money';
import type { Partner } from '#core/partner';
import type { PartnerPayoutProfile, PayoutDeps, PayoutMetrics } from '#core/payouts';
import { createRateBudget, type RateBudget } from '#core/rate-budget';
import { PAYOUT_BATCH_SIZE } from '#routes';
import { dynamoPartnerRepository, getPartners } from './dynamodb/partner-repository.ts';
import { dynamoPayoutStore } from './dynamodb/payout-store.ts';
import { dynamoRateBudgetStore } from './dynamodb/rate-budget-store.ts';
import { readSecret } from './secrets.ts';
import { sqsPayoutQueue } from './sqs/payout-queue.ts';
import { createPayoutTransfer, findPayoutTransfer } from './stripe/create-transfer.ts';

/** Stripe's documented limits: 25 requests/s with test keys, 100 with live keys. We budget 95 % of that. */
export const STRIPE_LIMIT = { test: 25, live: 100 } as const;

export function defaultRequestsPerSecond(apiKey: string): number {
  return (/^(sk|rk)_test_/.test(apiKey) ? STRIPE_LIMIT.test : STRIPE_LIMIT.live) * 0.95;
}

export function parseMinimums(entries: readonly string[]): Partial<Record<Currency, number>> {
  const minimums: Partial<Record<Currency, number>> = {};
  for (const entry of entries) {
    const [currency, amount] = entry.toLowerCase().split(':');
    if (currency && isCurrency(currency)) minimums[currency] = Number(amount);
  }
  return minimums;
}

const payoutProfileOf = (partner: Partner): PartnerPayoutProfile => ({
  partnerId: partner.id,
  status: partner.status,
  payoutPreference: partner.payoutPreference,
  stripeAccountId: partner.stripeAccountId,
  hold: partner.payoutHold
    ? {
        reason: partner.payoutHold.reason,
        until: partner.payoutHold.until === null ? null : Date.parse(partner.payoutHold.until),
      }
    : null,
});

let cached: Promise<PayoutDeps> | undefined;

/** The payout run wired to DynamoDB, SQS and Stripe, once per execution environment. */
export function payoutDeps(metrics: PayoutMetrics): Promise<PayoutDeps> {
  cached ??= (async () => {
    const cfg = config();
    // Built on first use: the planner and the admin routes never call Stripe, so they need no Stripe key.
    let budget: RateBudget | undefined;
    const budgetFor = async (): Promise<RateBudget> => {
      if (!budget) {
        const requestsPerSecond =
          cfg.STRIPE_REQUESTS_PER_SECOND ?? defaultRequestsPerSecond(await readSecret('stripeApiKey'));
        budget = createRateBudget({
          budget: 'stripe',
          requestsPerSecond,
          store: dynamoRateBudgetStore,
          // The payouts of a batch reserve their start times together: one write per batch.
          blockSize: PAYOUT_BATCH_SIZE,
        });
      }
      return budget;
    };
    const rateBudget: RateBudget = {
      acquire: async () => (await budgetFor()).acquire(),
    };
    return {
      store: dynamoPayoutStore,
      partners: {
        async payoutProfile(partnerId) {
          const partner = await dynamoPartnerRepository.get(partnerId);
          return partner ? payoutProfileOf(partner) : undefined;
        },
        async payoutProfiles(partnerIds) {
          const partners = await getPartners(partnerIds);
          return new Map(partners.map((partner) => [partner.id, payoutProfileOf(partner)]));
        },
      },
      transfers: { create: createPayoutTransfer, findForPayout: findPayoutTransfer },
      queue: sqsPayoutQueue,
      rateBudget,
      metrics,
      clock: () => new Date(),
      settings: {
        rules: { minimumPayout: parseMinimums(cfg.PAYOUT_MINIMUMS), defaultMinimum: cfg.PAYOUT_DEFAULT_MINIMUM },
        holdingPeriodDays: cfg.HOLDING_PERIOD_DAYS,
        requireApproval: cfg.PAYOUT_REQUIRE_APPROVAL,
        keyTrustMs: 23 * 3_600_000,
        planningPageSize: cfg.PAYOUT_PLANNING_PAGE_SIZE,
        launchMonth: cfg.PLATFORM_LAUNCH_MONTH,
      },
    };
  })();
  cached.catch(() => {
    cached = undefined;
  });
  return cached;
}
