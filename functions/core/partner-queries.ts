import type { ConnectedPayout } from './connected-payout.ts';
import type { PartnerStatus } from './partner.ts';
import type { PartnerContext, PartnerDeps } from './partner-access.ts';
import type { PartnerPage } from './partner-ports.ts';

/** Read-only listings: a partner's Stripe payouts, and partners for operators. */
export function listConnectedPayouts(
  deps: PartnerDeps,
  { partner }: PartnerContext,
  page: { cursor?: string | undefined; limit: number },
): Promise<{ payouts: ConnectedPayout[]; nextCursor: string | null }> {
  return deps.connectedPayouts.list(partner.id, { limit: page.limit, ...(page.cursor ? { cursor: page.cursor } : {}) });
}

export function listPartners(
  deps: PartnerDeps,
  filter: { status?: PartnerStatus | undefined; cursor?: string | undefined; limit: number },
): Promise<PartnerPage> {
  return deps.partners.list({
    limit: filter.limit,
    ...(filter.status ? { status: filter.status } : {}),
    ...(filter.cursor ? { cursor: filter.cursor } : {}),
  });
}

/** Partners with a requirements deadline (today's or announced) within `dueSoonDays`, soonest (or overdue) first. */
export function listPartnersDueSoon(
  deps: PartnerDeps,
  page: { cursor?: string | undefined; limit: number },
): Promise<PartnerPage> {
  const until = new Date(deps.clock.now().getTime() + deps.settings.dueSoonDays * 86_400_000).toISOString();
  return deps.partners.listByDeadline({ until, limit: page.limit, ...(page.cursor ? { cursor: page.cursor } : {}) });
}
