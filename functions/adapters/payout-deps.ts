import { config } from '#config';
import type { Currency } from '#core/money';
import { isCurrency } from '#core/money';
import type { Partner } from '#core/partner';
import type { PartnerPayoutProfile, PayoutDeps, PayoutMetrics } from '#core/payouts';
import { dynamoPartnerRepository, getPartners } from './dynamodb/partner-repository.ts';
import { dynamoPayoutStore } from './dynamodb/payout-store.ts';
import { sqsPayoutQueue } from './sqs/payout-queue.ts';
import { createPayoutTransfer, findPayoutTransfer } from './stripe/create-transfer.ts';

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
