import { GetCommand, type NativeAttributeValue, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { fail } from '#core/errors';
import type { Invitation } from '#core/invitations';
import type { InvitationStore } from '#core/partner-ports';
import { dynamo, tableName } from './client.ts';
import { failedConditions, isConditionFailed } from './conditions.ts';
import { INVITATION_PREFIX, invitationKey, invitationTokenKey, partnerKey, partnerPk } from './keys.ts';
import { teamMemberWrites, toMembership } from './partner-repository.ts';
import { queryPrefix } from './query.ts';
import { transactWrite } from './transactions.ts';

type Item = Record<string, NativeAttributeValue>;

/** Lookup items outlive the invitation's expiry by a month (then DynamoDB's TTL removes them). */
const TOKEN_LOOKUP_GRACE_SECONDS = 30 * 24 * 3_600;

function invitationItem(invitation: Invitation): Item {
  return {
    ...invitationKey(invitation.partnerId, invitation.id),
    entity: 'invitation',
    id: invitation.id,
    partnerId: invitation.partnerId,
    partnerName: invitation.partnerName,
    email: invitation.email,
    role: invitation.role,
    status: invitation.status,
    tokenHash: invitation.tokenHash,
    invitedBy: invitation.invitedBy,
    createdAt: invitation.createdAt,
    expiresAt: invitation.expiresAt,
  };
}

function toInvitation(item: Item): Invitation {
  return {
    id: item.id,
    partnerId: item.partnerId,
    partnerName: item.partnerName,
    email: item.email,
    role: item.role,
    status: item.status,
    tokenHash: item.tokenHash,
    invitedBy: item.invitedBy,
    createdAt: item.createdAt,
    expiresAt: item.expiresAt,
    acceptedBy: item.acceptedBy ?? null,
    acceptedAt: item.acceptedAt ?? null,
    revokedBy: item.revokedBy ?? null,
    revokedAt: item.revokedAt ?? null,
  };
}

async function getInvitation(partnerId: string, invitationId: string): Promise<Invitation | undefined> {
  const { Item: item } = await dynamo().send(
    new GetCommand({ TableName: tableName(), Key: invitationKey(partnerId, invitationId), ConsistentRead: true }),
  );
  return item?.entity === 'invitation' ? toInvitation(item) : undefined;
}

export const dynamoInvitationStore: InvitationStore = {
  async create(invitation) {
    const ttl = Math.ceil(Date.parse(invitation.expiresAt) / 1000) + TOKEN_LOOKUP_GRACE_SECONDS;
    await transactWrite([
      {
        ConditionCheck: {
          TableName: tableName(),
          Key: partnerKey(invitation.partnerId),
          ConditionExpression: 'attribute_exists(PK) AND kind = :team',
          ExpressionAttributeValues: { ':team': 'team' },
        },
      },
      {
        Put: {
          TableName: tableName(),
          Item: invitationItem(invitation),
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
      {
        Put: {
          TableName: tableName(),
          Item: {
            ...invitationTokenKey(invitation.tokenHash),
            entity: 'invitation-token',
            partnerId: invitation.partnerId,
            invitationId: invitation.id,
            ttl,
          },
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
    ]).catch((error: unknown) => {
      if (failedConditions(error)?.[0]) {
        fail('partner_not_found');
      }
      throw error;
    });
  },

  get: getInvitation,

  async findByTokenHash(tokenHash) {
    const { Item: lookup } = await dynamo().send(
      new GetCommand({ TableName: tableName(), Key: invitationTokenKey(tokenHash), ConsistentRead: true }),
    );
    if (lookup?.entity !== 'invitation-token') return undefined;
    return getInvitation(String(lookup.partnerId), String(lookup.invitationId));
  },

  async list(partnerId) {
    const items = await queryPrefix(partnerPk(partnerId), INVITATION_PREFIX);
    return items
      .filter((item) => item.entity === 'invitation')
      .map(toInvitation)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  },

  async revoke(invitation, by, at) {
    try {
      await dynamo().send(
        new UpdateCommand({
          TableName: tableName(),
          Key: invitationKey(invitation.partnerId, invitation.id),
          UpdateExpression: 'SET #status = :revoked, revokedBy = :by, revokedAt = :at',
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':revoked': 'revoked', ':pending': 'pending', ':by': by, ':at': at },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  },

  async accept(invitation, partner, newMember, at) {
    const { writes, member } = teamMemberWrites(partner, newMember, at);
    try {
      await transactWrite([
        {
          Update: {
            TableName: tableName(),
            Key: invitationKey(invitation.partnerId, invitation.id),
            UpdateExpression: 'SET #status = :accepted, acceptedBy = :sub, acceptedAt = :at',
            // Still pending, and not expired by now: a revocation that landed first wins.
            ConditionExpression: '#status = :pending AND expiresAt > :at',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':accepted': 'accepted',
              ':pending': 'pending',
              ':sub': newMember.sub,
              ':at': at,
            },
          },
        },
        ...writes,
      ]);
    } catch (error) {
      const failed = failedConditions(error);
      if (!failed) throw error;
      if (failed[0]) {
        const latest = await getInvitation(invitation.partnerId, invitation.id);
        fail('invitation_not_pending', 'This invitation is no longer pending; ask the team for a new one.', {
          status: latest?.status ?? 'unknown',
        });
      }
      if (failed[1]) fail('partner_not_found');
      if (failed[2] || failed[3]) {
        fail('already_a_member', 'You are already a member of this partner.');
      }
      throw error;
    }
    return toMembership(member);
  },
};
