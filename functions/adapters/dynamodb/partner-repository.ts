import {
  GetCommand,
  type NativeAttributeValue,
  QueryCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { DomainEvent } from '#core/domain-events';
import { fail } from '#core/errors';
import {
  earliestDeadline,
  type Membership,
  NO_FUTURE_REQUIREMENTS,
  type OnboardingState,
  PARTNER_STATUSES,
  type Partner,
  type PayoutPreference,
  type Role,
} from '#core/partner';
import type { NewMember, PartnerPage, PartnerRepository, StateWrite, StateWriteResult } from '#core/partner-ports';
import { dynamo, tableName } from './client.ts';
import { failedConditions, isConditionFailed } from './conditions.ts';
import { decodeTextCursor, encodeTextCursor } from './cursor.ts';
import {
  accountIndexKeys,
  DEADLINE_INDEX_PK,
  deadlineIndexKeys,
  MEMBER_PREFIX,
  MEMBERSHIP_PREFIX,
  memberKey,
  membershipKey,
  partnerKey,
  partnerPk,
  personalGuardKey,
  statusIndexKeys,
  statusIndexPartitions,
  statusIndexPk,
  userPk,
} from './keys.ts';
import { outboxPut } from './outbox.ts';
import { batchGetAll, queryPrefix } from './query.ts';
import { queryShards } from './sharded-index.ts';
import { type TransactItem, transactWrite } from './transactions.ts';

type Item = Record<string, NativeAttributeValue>;

export function partnerItem(partner: Partner): Item {
  return {
    ...partnerKey(partner.id),
    entity: 'partner',
    id: partner.id,
    kind: partner.kind,
    name: partner.name,
    country: partner.country,
    defaultCurrency: partner.defaultCurrency,
    payoutPreference: partner.payoutPreference,
    // Absent (not null) until set: attach is `attribute_not_exists(stripeAccountId)`, and index keys cannot be null.
    stripeAccountId: partner.stripeAccountId ?? undefined,
    onboarding: partner.onboarding ?? undefined,
    stateAsOf: partner.stateAsOf ?? undefined,
    lastEventCreated: partner.lastEventCreated ?? undefined,
    disconnectedAt: partner.disconnectedAt ?? undefined,
    contactEmail: partner.contactEmail ?? undefined,
    stateVersion: partner.stateVersion,
    status: partner.status,
    createdAt: partner.createdAt,
    updatedAt: partner.updatedAt,
    version: partner.version,
    ...statusIndexKeys(partner.status, partner.createdAt, partner.id),
    ...(partner.stripeAccountId ? accountIndexKeys(partner.stripeAccountId) : {}),
    ...(deadlineKeysOf(partner.id, partner.onboarding, partner.disconnectedAt !== null) ?? {}),
  };
}

function deadlineKeysOf(partnerId: string, state: OnboardingState | null, disconnected: boolean) {
  const deadline = disconnected ? null : earliestDeadline(state);
  return deadline === null ? null : deadlineIndexKeys(deadline, partnerId);
}

/** Items written before requirements ahead of time were stored lack their fields: read them as empty. */
function toOnboarding(stored: Partial<OnboardingState> | undefined): OnboardingState | null {
  if (!stored) return null;
  return {
    ...(stored as OnboardingState),
    eventuallyDue: stored.eventuallyDue ?? [],
    errors: stored.errors ?? [],
    future: stored.future ?? NO_FUTURE_REQUIREMENTS,
  };
}

function toPartner(item: Item): Partner {
  return {
    id: item.id,
    kind: item.kind,
    name: item.name,
    country: item.country,
    defaultCurrency: item.defaultCurrency,
    payoutPreference: item.payoutPreference,
    stripeAccountId: item.stripeAccountId ?? null,
    onboarding: toOnboarding(item.onboarding as Partial<OnboardingState> | undefined),
    stateAsOf: item.stateAsOf ?? null,
    lastEventCreated: item.lastEventCreated ?? null,
    disconnectedAt: item.disconnectedAt ?? null,
    contactEmail: item.contactEmail ?? null,
    stateVersion: Number(item.stateVersion ?? 0),
    status: item.status,
    ...(item.payoutHold ? { payoutHold: item.payoutHold } : {}),
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
    version: Number(item.version),
  };
}

export function membershipItems(partner: Partner, member: NewMember, at: string): { member: Item; membership: Item } {
  const fields = {
    partnerId: partner.id,
    userSub: member.sub,
    email: member.email ?? undefined,
    role: member.role,
    partnerKind: partner.kind,
    partnerName: partner.name,
    createdAt: at,
  };
  return {
    member: { ...memberKey(partner.id, member.sub), entity: 'member', ...fields },
    membership: { ...membershipKey(member.sub, partner.id), entity: 'membership', ...fields },
  };
}

export function toMembership(item: Item): Membership {
  return {
    partnerId: item.partnerId,
    userSub: item.userSub,
    email: item.email ?? null,
    role: item.role as Role,
    partnerKind: item.partnerKind,
    partnerName: item.partnerName,
    createdAt: item.createdAt,
  };
}

type PartnerUpdate = Omit<UpdateCommandInput, 'ReturnValues'> & { Key: Item };

/**
 * A conditional update of the partner: alone (returning the new item), or with its domain events in one
 * transaction (then read back consistently). Undefined when a condition refused it (nothing was written).
 */
async function updateWithEvents(update: PartnerUpdate, events: readonly DomainEvent[]): Promise<Partner | undefined> {
  try {
    if (events.length === 0) {
      const { Attributes: item } = await dynamo().send(new UpdateCommand({ ...update, ReturnValues: 'ALL_NEW' }));
      return item ? toPartner(item) : undefined;
    }
    await transactWrite([{ Update: update as NonNullable<TransactItem['Update']> }, ...events.map(outboxPut)]);
  } catch (error) {
    if (isConditionFailed(error)) return undefined;
    throw error;
  }
  const { Item: item } = await dynamo().send(
    new GetCommand({ TableName: tableName(), Key: update.Key, ConsistentRead: true }),
  );
  return item ? toPartner(item) : undefined;
}

const CURSOR_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#[A-Za-z0-9_]{1,64}$/;

const decodeCursor = (cursor: string) => decodeTextCursor(cursor, CURSOR_PATTERN);

/**
 * Writes the onboarding state: shared clauses of attach and save. The sparse deadline index (GSI3) follows the
 * state: set while Stripe names a deadline, removed otherwise.
 */
function stateUpdate(partnerId: string, write: StateWrite) {
  const values: Item = {
    ':acct': write.accountId,
    ':country': write.country,
    ':state': write.state,
    ':asOf': write.stateAsOf,
    ':status': write.status,
    ':gsi2pk': statusIndexPk(write.status, partnerId),
    ':at': write.at,
    ':one': 1,
  };
  const sets = [
    'onboarding = :state',
    'stateAsOf = :asOf',
    '#status = :status',
    'GSI2PK = :gsi2pk',
    'country = :country',
    'updatedAt = :at',
    'version = version + :one',
  ];
  if (write.state.defaultCurrency) {
    values[':currency'] = write.state.defaultCurrency;
    sets.push('defaultCurrency = :currency');
  }
  if (write.eventCreated !== undefined) {
    values[':eventCreated'] = write.eventCreated;
    sets.push('lastEventCreated = :eventCreated');
  }
  const deadline = deadlineKeysOf(partnerId, write.state, false);
  const removes: string[] = [];
  if (deadline) {
    values[':gsi3pk'] = deadline.GSI3PK;
    values[':gsi3sk'] = deadline.GSI3SK;
    sets.push('GSI3PK = :gsi3pk', 'GSI3SK = :gsi3sk');
  } else removes.push('GSI3PK', 'GSI3SK');
  return { sets, values, remove: removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : '' };
}

/** Several partners in one read (the payout worker's batch); missing ones are absent. */
export async function getPartners(partnerIds: readonly string[]): Promise<Partner[]> {
  const items = await batchGetAll([...new Set(partnerIds)].map(partnerKey));
  return items.filter((item) => item.entity === 'partner').map(toPartner);
}

/**
 * A new member of a team, in three items of one transaction: the partner still exists and is a team, the member
 * (partner side) and the membership (user side) are new. Conditions fail in that order.
 */
export function teamMemberWrites(
  partner: Partner,
  newMember: NewMember,
  at: string,
): { writes: TransactItem[]; member: Item } {
  const { member, membership } = membershipItems(partner, newMember, at);
  const writes: TransactItem[] = [
    {
      ConditionCheck: {
        TableName: tableName(),
        Key: partnerKey(partner.id),
        ConditionExpression: 'attribute_exists(PK) AND kind = :team',
        ExpressionAttributeValues: { ':team': 'team' },
      },
    },
    { Put: { TableName: tableName(), Item: member, ConditionExpression: 'attribute_not_exists(PK)' } },
    { Put: { TableName: tableName(), Item: membership, ConditionExpression: 'attribute_not_exists(PK)' } },
  ];
  return { writes, member };
}

/**
 * Sets one attribute of an existing partner's profile (a new version, the time), answering the partner as stored;
 * `partner_not_found` when there is no such partner.
 */
async function updateProfile(partnerId: string, attribute: string, value: unknown, at: string): Promise<Partner> {
  try {
    const { Attributes: item } = await dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: partnerKey(partnerId),
        UpdateExpression: 'SET #attribute = :value, updatedAt = :at, version = version + :one',
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeNames: { '#attribute': attribute },
        ExpressionAttributeValues: { ':value': value, ':at': at, ':one': 1 },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return toPartner(item ?? {});
  } catch (error) {
    if (isConditionFailed(error)) fail('partner_not_found');
    throw error;
  }
}

export const dynamoPartnerRepository: PartnerRepository = {
  async get(partnerId) {
    const { Item: item } = await dynamo().send(
      new GetCommand({ TableName: tableName(), Key: partnerKey(partnerId), ConsistentRead: true }),
    );
    return item ? toPartner(item) : undefined;
  },

  async findByStripeAccount(accountId) {
    const { GSI1PK } = accountIndexKeys(accountId);
    const { Items: items = [] } = await dynamo().send(
      new QueryCommand({
        TableName: tableName(),
        IndexName: 'GSI1',
        KeyConditionExpression: 'GSI1PK = :pk',
        ExpressionAttributeValues: { ':pk': GSI1PK },
        Limit: 2,
      }),
    );
    const partners = items.filter((item) => item.entity === 'partner').map(toPartner);
    return partners[0];
  },

  async personalPartnerId(userSub) {
    const { Item: item } = await dynamo().send(
      new GetCommand({ TableName: tableName(), Key: personalGuardKey(userSub), ConsistentRead: true }),
    );
    return item?.partnerId as string | undefined;
  },

  async createPersonalPartner(partner, owner) {
    const { member, membership } = membershipItems(partner, owner, partner.createdAt);
    try {
      await transactWrite([
        {
          Put: {
            TableName: tableName(),
            Item: { ...personalGuardKey(owner.sub), entity: 'personal-guard', partnerId: partner.id },
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
        {
          Put: {
            TableName: tableName(),
            Item: partnerItem(partner),
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
        { Put: { TableName: tableName(), Item: member } },
        { Put: { TableName: tableName(), Item: membership } },
      ]);
      return partner.id;
    } catch (error) {
      if (!failedConditions(error)?.[0]) throw error;
      // A concurrent first request created it: use that one.
      const winner = await this.personalPartnerId(owner.sub);
      if (!winner) throw error;
      return winner;
    }
  },

  async createTeamPartner(partner, owner) {
    const { member, membership } = membershipItems(partner, owner, partner.createdAt);
    await transactWrite([
      {
        Put: {
          TableName: tableName(),
          Item: partnerItem(partner),
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
      { Put: { TableName: tableName(), Item: member, ConditionExpression: 'attribute_not_exists(PK)' } },
      { Put: { TableName: tableName(), Item: membership, ConditionExpression: 'attribute_not_exists(PK)' } },
    ]);
  },

  async membership(partnerId, userSub) {
    const { Item: item } = await dynamo().send(
      new GetCommand({ TableName: tableName(), Key: memberKey(partnerId, userSub), ConsistentRead: true }),
    );
    return item ? toMembership(item) : undefined;
  },

  async membershipsOf(userSub) {
    const items = await queryPrefix(userPk(userSub), MEMBERSHIP_PREFIX);
    return items.map(toMembership);
  },

  async membersOf(partnerId) {
    const items = await queryPrefix(partnerPk(partnerId), MEMBER_PREFIX);
    return items.map(toMembership);
  },

  async addMember(partner, newMember, at) {
    const { writes, member } = teamMemberWrites(partner, newMember, at);
    try {
      await transactWrite(writes);
    } catch (error) {
      const failed = failedConditions(error);
      if (!failed) throw error;
      if (failed[0]) fail('partner_not_found');
      if (failed[1] || failed[2]) {
        fail('already_a_member');
      }
      throw error;
    }
    return toMembership(member);
  },

  async removeMember(partnerId, userSub, expectedRole) {
    try {
      await transactWrite([
        {
          Delete: {
            TableName: tableName(),
            Key: memberKey(partnerId, userSub),
            ConditionExpression: 'attribute_exists(PK) AND #role = :role',
            ExpressionAttributeNames: { '#role': 'role' },
            ExpressionAttributeValues: { ':role': expectedRole },
          },
        },
        { Delete: { TableName: tableName(), Key: membershipKey(userSub, partnerId) } },
        {
          // Every signed onboarding state issued before this removal stops working (it carries the old version).
          Update: {
            TableName: tableName(),
            Key: partnerKey(partnerId),
            UpdateExpression: 'SET version = version + :one ADD stateVersion :one',
            ConditionExpression: 'attribute_exists(PK)',
            ExpressionAttributeValues: { ':one': 1 },
          },
        },
      ]);
    } catch (error) {
      if (failedConditions(error)?.[0]) {
        fail('member_not_found');
      }
      throw error;
    }
  },

  async attachStripeAccount(partnerId, write) {
    const { sets, values, remove } = stateUpdate(partnerId, write);
    const index = accountIndexKeys(write.accountId);
    const written = await updateWithEvents(
      {
        TableName: tableName(),
        Key: partnerKey(partnerId),
        UpdateExpression: `SET stripeAccountId = :acct, GSI1PK = :gsi1pk, GSI1SK = :gsi1sk, ${sets.join(', ')}${remove}`,
        // The first state write, like every later one, replaces exactly the version it was decided against.
        ConditionExpression:
          'attribute_exists(PK) AND attribute_not_exists(stripeAccountId) AND attribute_not_exists(disconnectedAt) AND version = :expected',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ...values,
          ':gsi1pk': index.GSI1PK,
          ':gsi1sk': index.GSI1SK,
          ':expected': write.expectedVersion,
        },
      },
      write.events ?? [],
    );
    return written ? { attached: true, partner: written } : { attached: false };
  },

  async saveOnboardingState(partnerId, write): Promise<StateWriteResult> {
    const { sets, values, remove } = stateUpdate(partnerId, write);
    const written = await updateWithEvents(
      {
        TableName: tableName(),
        Key: partnerKey(partnerId),
        UpdateExpression: `SET ${sets.join(', ')}${remove}`,
        // A read that began later than this one is already stored: this one is older, drop it. The write also
        // replaces exactly the version its events were decided against, the first write after the attach included
        // (no stateAsOf check can order two reads that began at the same instant).
        ConditionExpression:
          'stripeAccountId = :acct AND attribute_not_exists(disconnectedAt) AND (attribute_not_exists(stateAsOf) OR stateAsOf <= :asOf) AND version = :expected',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ...values, ':expected': write.expectedVersion },
      },
      write.events ?? [],
    );
    return written ? { written: true, partner: written } : { written: false };
  },

  async markDisconnected(partnerId, accountId, at, eventCreated, events = []) {
    return updateWithEvents(
      {
        TableName: tableName(),
        Key: partnerKey(partnerId),
        UpdateExpression:
          'SET disconnectedAt = if_not_exists(disconnectedAt, :at), #status = :status, GSI2PK = :gsi2pk, updatedAt = :at, lastEventCreated = :created, version = version + :one REMOVE GSI3PK, GSI3SK',
        // With its event, only the first disconnection is written (and announced).
        ConditionExpression:
          events.length > 0
            ? 'stripeAccountId = :acct AND attribute_not_exists(disconnectedAt)'
            : 'stripeAccountId = :acct',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':acct': accountId,
          ':at': at,
          ':status': 'disconnected',
          ':gsi2pk': statusIndexPk('disconnected', partnerId),
          ':created': eventCreated,
          ':one': 1,
        },
      },
      events,
    );
  },

  setContactEmail(partnerId, email, at) {
    return updateProfile(partnerId, 'contactEmail', email, at);
  },

  setPayoutPreference(partnerId: string, preference: PayoutPreference, at: string) {
    return updateProfile(partnerId, 'payoutPreference', preference, at);
  },

  async listByDeadline({ until, cursor, limit }): Promise<PartnerPage> {
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    // `<deadline ISO>#<partnerId>` sorts by deadline; everything up to the end of `until` qualifies.
    const upper = `${until}#~`;
    const { Items: items = [], LastEvaluatedKey } = await dynamo().send(
      new QueryCommand({
        TableName: tableName(),
        IndexName: 'GSI3',
        KeyConditionExpression: after
          ? 'GSI3PK = :pk AND GSI3SK BETWEEN :after AND :upper'
          : 'GSI3PK = :pk AND GSI3SK <= :upper',
        ExpressionAttributeValues: { ':pk': DEADLINE_INDEX_PK, ':upper': upper, ...(after ? { ':after': after } : {}) },
        ScanIndexForward: true,
        // One more than asked: the cursor's own item comes back first (BETWEEN is inclusive) and is dropped.
        Limit: limit + 1,
      }),
    );
    const rows = (items as Item[]).filter((item) => item.entity === 'partner' && item.GSI3SK !== after);
    const taken = rows.slice(0, limit);
    const more = rows.length > limit || LastEvaluatedKey !== undefined;
    const last = taken.at(-1);
    return {
      partners: taken.map(toPartner),
      nextCursor: more && last ? encodeTextCursor(String(last.GSI3SK)) : null,
    };
  },

  async list({ status, cursor, limit }): Promise<PartnerPage> {
    // Newest first, merged from the write shards of one status, or of every status ("all").
    const page = await queryShards({
      index: 'GSI2',
      partitions: statusIndexPartitions(status ? [status] : PARTNER_STATUSES),
      descending: true,
      limit,
      cursor,
      filter: { expression: 'entity = :partner', values: { ':partner': 'partner' } },
    });
    return { partners: page.items.map(toPartner), nextCursor: page.nextCursor };
  },
};
