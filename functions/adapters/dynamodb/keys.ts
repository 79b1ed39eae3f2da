/**
 * Every key of the single table, built in one place. Only adapters/dynamodb imports this module.
 *
 * | Item                         | PK                      | SK                         | Index keys                                   |
 * |------------------------------|-------------------------|----------------------------|----------------------------------------------|
 * | Partner profile              | PARTNER#<partnerId>     | PROFILE                    | GSI1 ACCOUNT#<acct> / PARTNER (once an       |
 * |                              |                         |                            | account exists); GSI2 PARTNERS#<status>#<sh> |
 * |                              |                         |                            | <createdAt>#<partnerId>; GSI3 (sparse, while |
 * |                              |                         |                            | a deadline is set) REQUIREMENTS_DEADLINE /   |
 * |                              |                         |                            | <deadline ISO>#<partnerId>                   |
 * | Member (partner side)        | PARTNER#<partnerId>     | MEMBER#<userSub>           |                                              |
 * | Membership (user side)       | USER#<userSub>          | MEMBERSHIP#<partnerId>     |                                              |
 * | Personal-partner guard       | USER#<userSub>          | PERSONAL                   |                                              |
 * | Team invitation              | PARTNER#<partnerId>     | INVITATION#<invitationId>  |                                              |
 * | Invitation token lookup      | INVITATION_TOKEN#<sha256> | INVITATION_TOKEN         | ttl                                          |
 * | Connected-account payout     | PARTNER#<partnerId>     | STRIPE_PAYOUT#<po_id>      | GSI2 (sparse, while pending or in transit)   |
 * |                              |                         |                            | CONNECTED_PAYOUT_OPEN#<shard> /              |
 * |                              |                         |                            | <arrival day>#<po_id>                        |
 * | Rate-limit slot              | PARTNER#<partnerId>     | RATE#<scope>               | ttl                                          |
 * | Processed webhook event      | EVENT#<evt_id>          | EVENT                      | ttl                                          |
 * | Stripe rate budget           | RATE_BUDGET#<budget>    | BUDGET                     |                                              |
 *
 * Partner-scoped items share the partner's partition, so one Query reads a partner's members or payouts, and a
 * user's memberships are one Query on USER#<sub>. New entities follow the same pattern: a typed builder here,
 * a `<TYPE>#` SK prefix under the owner's partition, and an `entity` attribute on every item.
 */
import type { PartnerStatus } from '#core/partner';
import { INDEX_SHARDS, shardedPartitionOf, shardPartitions } from './shards.ts';

export type Key = { PK: string; SK: string };

const PARTNER = 'PARTNER#';
const USER = 'USER#';

export const partnerKey = (partnerId: string): Key => ({ PK: `${PARTNER}${partnerId}`, SK: 'PROFILE' });

export const memberKey = (partnerId: string, userSub: string): Key => ({
  PK: `${PARTNER}${partnerId}`,
  SK: `MEMBER#${userSub}`,
});
export const MEMBER_PREFIX = 'MEMBER#';

export const membershipKey = (userSub: string, partnerId: string): Key => ({
  PK: `${USER}${userSub}`,
  SK: `MEMBERSHIP#${partnerId}`,
});
export const MEMBERSHIP_PREFIX = 'MEMBERSHIP#';

export const personalGuardKey = (userSub: string): Key => ({ PK: `${USER}${userSub}`, SK: 'PERSONAL' });

export const invitationKey = (partnerId: string, invitationId: string): Key => ({
  PK: `${PARTNER}${partnerId}`,
  SK: `INVITATION#${invitationId}`,
});
export const INVITATION_PREFIX = 'INVITATION#';

/** Finds an invitation by its token's hash (the token itself is never stored). */
export const invitationTokenKey = (tokenHash: string): Key => ({
  PK: `INVITATION_TOKEN#${tokenHash}`,
  SK: 'INVITATION_TOKEN',
});

export const connectedPayoutKey = (partnerId: string, payoutId: string): Key => ({
  PK: `${PARTNER}${partnerId}`,
  SK: `STRIPE_PAYOUT#${payoutId}`,
});
export const CONNECTED_PAYOUT_PREFIX = 'STRIPE_PAYOUT#';

/**
 * GSI2 (sparse): connected payouts still open (pending or in transit), by arrival day, write-sharded by payout id —
 * reconciliation's work list. A record carries these keys while open; the write that makes it final drops them.
 * Without an arrival date (no event gave one), the day of the event stands in.
 */
export const CONNECTED_PAYOUT_OPEN_PREFIX = 'CONNECTED_PAYOUT_OPEN';
export const openConnectedPayoutPartitions = () =>
  shardPartitions(CONNECTED_PAYOUT_OPEN_PREFIX, INDEX_SHARDS.openConnectedPayouts);
export const openConnectedPayoutIndexKeys = (payout: {
  id: string;
  arrivalDate: number | null;
  eventCreated: number;
}) => ({
  GSI2PK: shardedPartitionOf(CONNECTED_PAYOUT_OPEN_PREFIX, payout.id, INDEX_SHARDS.openConnectedPayouts),
  GSI2SK: `${new Date((payout.arrivalDate ?? payout.eventCreated) * 1000).toISOString().slice(0, 10)}#${payout.id}`,
});
/** Inclusive upper bound of the open payouts arriving on or before `day` (payout ids sort below `~`). */
export const openConnectedPayoutsThrough = (day: string) => `${day}#~`;

export const rateLimitKey = (partnerId: string, scope: string): Key => ({
  PK: `${PARTNER}${partnerId}`,
  SK: `RATE#${scope}`,
});

export const rateBudgetKey = (budget: string): Key => ({ PK: `RATE_BUDGET#${budget}`, SK: 'BUDGET' });

export const webhookEventKey = (eventId: string): Key => ({ PK: `EVENT#${eventId}`, SK: 'EVENT' });

export const partnerPk = (partnerId: string) => `${PARTNER}${partnerId}`;
export const userPk = (userSub: string) => `${USER}${userSub}`;

/** GSI1: Stripe account id -> partner. */
export const accountIndexKeys = (accountId: string) => ({ GSI1PK: `ACCOUNT#${accountId}`, GSI1SK: 'PARTNER' });

/**
 * GSI2: partners by status, newest first, write-sharded by partner id over `PARTNERS#<status>#<shard>`
 * (./shards.ts). The sort key `<createdAt>#<partnerId>` is unique across partitions, so one list merges the shards
 * of one status or of every status.
 */
export const statusIndexKeys = (status: PartnerStatus, createdAt: string, partnerId: string) => ({
  GSI2PK: statusIndexPk(status, partnerId),
  GSI2SK: `${createdAt}#${partnerId}`,
});
export const statusIndexPrefix = (status: PartnerStatus) => `PARTNERS#${status}`;
export const statusIndexPk = (status: PartnerStatus, partnerId: string) =>
  shardedPartitionOf(statusIndexPrefix(status), partnerId, INDEX_SHARDS.partners);
export const statusIndexPartitions = (statuses: readonly PartnerStatus[]) =>
  statuses.flatMap((status) => shardPartitions(statusIndexPrefix(status), INDEX_SHARDS.partners));

/**
 * GSI3 (sparse): partners with a requirements deadline, soonest first. Present only while Stripe names a deadline
 * (today's requirements or announced future ones), so `?attention=due_soon` is one range query over the partners
 * that have one — never a scan. The sort key `<deadline ISO>#<partnerId>` is unique and is the cursor.
 */
export const DEADLINE_INDEX_PK = 'REQUIREMENTS_DEADLINE';
export const deadlineIndexKeys = (deadlineEpochSeconds: number, partnerId: string) => ({
  GSI3PK: DEADLINE_INDEX_PK,
  GSI3SK: `${new Date(deadlineEpochSeconds * 1000).toISOString()}#${partnerId}`,
});
