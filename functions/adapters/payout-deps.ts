import { config } from '#config';
import { systemClock } from '#core/clock';
import type { Currency } from '#core/money';
import { isCurrency } from '#core/money';
import type { Partner } from '#core/partner';
import type { PartnerPayoutProfile } from '#core/payout-model';
import type { PayoutDeps, PayoutMetrics } from '#core/payout-ports';
import { dynamoPartnerRepository, getPartners } from './dynamodb/partner-repository.ts';
import { dynamoPayoutStore } from './dynamodb/payout-store.ts';
import { notGranted } from './not-granted.ts';

export function parseMinimums(entries: readonly string[]): Partial<Record<Currency, number>> {
  const minimums: Partial<Record<Currency, number>> = {};
  for (const entry of entries) {
    const [currency, amount] = entry.toLowerCase().split(':');
    if (currency && isCurrency(currency)) minimums[currency] = Number(amount);
  }
  return minimums;
}

/** What the payout run reads of a partner. */
export const payoutProfileOf = (partner: Partner): PartnerPayoutProfile => ({
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

/**
 * The ports a payout function has only when its `access` grants them: Stripe Transfers (`access.stripe: 'transfers'`:
 * `stripeTransfers` of `#adapters/stripe/create-transfer`) and the payout queue (`access.payoutQueue`:
 * `sqsPayoutQueue` of `#adapters/sqs/payout-queue`). What is not passed throws when reached (`notGranted`).
 */
export type PayoutGrants = Partial<Pick<PayoutDeps, 'transfers' | 'queue'>>;

/** The table-backed part, built once per execution environment. */
let cached: Promise<Omit<PayoutDeps, keyof PayoutGrants>> | undefined;

/** The payout run wired to DynamoDB, with the Stripe Transfers and SQS ports the function was granted. */
export async function payoutDeps(metrics: PayoutMetrics, grants: PayoutGrants = {}): Promise<PayoutDeps> {
  const base = await tableDeps(metrics);
  return {
    ...base,
    transfers: grants.transfers ?? notGranted('transfers', "Stripe key (access.stripe: 'transfers')"),
    queue: grants.queue ?? notGranted('queue', 'payout queue (access.payoutQueue)'),
  };
}

function tableDeps(metrics: PayoutMetrics): Promise<Omit<PayoutDeps, keyof PayoutGrants>> {
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
      metrics,
      clock: systemClock,
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
