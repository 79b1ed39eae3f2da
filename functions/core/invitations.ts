import { createHash, timingSafeEqual } from 'node:crypto';
import { type DomainError, domainError, fail } from './errors.ts';
import type { Membership, Role } from './partner.ts';
import { type Caller, type PartnerDeps, resolvePartner } from './partner-access.ts';

/**
 * Team invitations: the only way into a team. An owner or admin invites an email address with a role; the
 * invitation carries a single-use random token that only the invitee receives (we store its SHA-256, never the
 * token). The invitee accepts with their own ID token, and becomes a member only when the pool has **verified**
 * that the token's email is theirs and it is the invited address. A pending invitation expires after 7 days and
 * can be revoked at once.
 */
export type InvitationStatus = 'pending' | 'accepted' | 'revoked';
export type InvitedRole = Exclude<Role, 'owner'>;

export interface Invitation {
  id: string;
  partnerId: string;
  partnerName: string;
  /** Lower-cased. */
  email: string;
  role: InvitedRole;
  status: InvitationStatus;
  /** Hex SHA-256 of the token. */
  tokenHash: string;
  invitedBy: string;
  createdAt: string;
  expiresAt: string;
  acceptedBy: string | null;
  acceptedAt: string | null;
  revokedBy: string | null;
  revokedAt: string | null;
}

export const INVITATION_TTL_MS = 7 * 24 * 3_600_000;

/** Tokens are 32 random bytes, base64url (43 characters). */
export const INVITATION_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export const hashInvitationToken = (token: string): string => createHash('sha256').update(token).digest('hex');

const normalizeEmail = (email: string) => email.trim().toLowerCase();

const notATeam = () => domainError('not_a_team');

const invitationNotFound = () => domainError('invitation_not_found');

function notPending(invitation: Invitation): DomainError {
  return domainError(
    'invitation_not_pending',
    `This invitation was ${invitation.status}; ask the team for a new one.`,
    { status: invitation.status },
  );
}

const isExpired = (invitation: Invitation, now: Date) => Date.parse(invitation.expiresAt) <= now.getTime();

/**
 * Input: the caller (owner or admin of a team), the invitee's email and role.
 * Output: the invitation and its token (returned once, to hand to the invitee; never stored or shown again).
 */
export async function createInvitation(
  deps: PartnerDeps,
  caller: Caller,
  partnerId: string,
  request: { email: string; role: InvitedRole },
): Promise<{ invitation: Invitation; token: string }> {
  const { partner } = await resolvePartner(deps, caller, partnerId, 'invite_members');
  if (partner.kind !== 'team') throw notATeam();
  const now = deps.clock.now();
  const token = deps.newInvitationToken();
  const invitation: Invitation = {
    id: deps.newInvitationId(),
    partnerId: partner.id,
    partnerName: partner.name,
    email: normalizeEmail(request.email),
    role: request.role,
    status: 'pending',
    tokenHash: hashInvitationToken(token),
    invitedBy: caller.sub,
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + INVITATION_TTL_MS).toISOString(),
    acceptedBy: null,
    acceptedAt: null,
    revokedBy: null,
    revokedAt: null,
  };
  await deps.invitations.create(invitation);
  return { invitation, token };
}

export async function listInvitations(deps: PartnerDeps, caller: Caller, partnerId: string): Promise<Invitation[]> {
  await resolvePartner(deps, caller, partnerId, 'invite_members');
  return deps.invitations.list(partnerId);
}

/** Revoked at once: the token is refused from the moment this returns. */
export async function revokeInvitation(
  deps: PartnerDeps,
  caller: Caller,
  partnerId: string,
  invitationId: string,
): Promise<void> {
  await resolvePartner(deps, caller, partnerId, 'invite_members');
  const invitation = await deps.invitations.get(partnerId, invitationId);
  if (!invitation) throw invitationNotFound();
  if (invitation.status !== 'pending') throw notPending(invitation);
  if (!(await deps.invitations.revoke(invitation, caller.sub, deps.clock.now().toISOString()))) {
    const latest = await deps.invitations.get(partnerId, invitationId);
    throw notPending(latest ?? invitation);
  }
}

/**
 * Input: the invitation token (from the link the invitee received) and the invitee's verified claims.
 * Output: the new membership.
 *
 * 1. The token's hash finds the invitation (unknown → 404 `invitation_not_found`).
 * 2. It must be pending (accepted or revoked → 409 `invitation_not_pending`) and unexpired (409
 *    `invitation_expired`).
 * 3. The caller's email must be verified by the pool (403 `email_not_verified`) and be the invited address (403
 *    `invitation_email_mismatch`) — a token that reached someone else is worth nothing to them.
 * 4. One transaction marks it accepted (only if still pending and unexpired) and adds the member.
 */
export async function acceptInvitation(deps: PartnerDeps, caller: Caller, token: string): Promise<Membership> {
  if (!INVITATION_TOKEN_PATTERN.test(token)) throw invitationNotFound();
  const tokenHash = hashInvitationToken(token);
  const invitation = await deps.invitations.findByTokenHash(tokenHash);
  if (!invitation) throw invitationNotFound();
  const given = Buffer.from(tokenHash, 'hex');
  const stored = Buffer.from(invitation.tokenHash, 'hex');
  if (given.length !== stored.length || !timingSafeEqual(given, stored)) throw invitationNotFound();
  if (invitation.status !== 'pending') throw notPending(invitation);
  const now = deps.clock.now();
  if (isExpired(invitation, now)) {
    fail('invitation_expired');
  }
  if (caller.emailVerified !== true || !caller.email) {
    fail('email_not_verified');
  }
  if (normalizeEmail(caller.email) !== invitation.email) {
    fail('invitation_email_mismatch');
  }
  const partner = await deps.partners.get(invitation.partnerId);
  if (partner?.kind !== 'team') throw invitationNotFound();
  return deps.invitations.accept(
    invitation,
    partner,
    { sub: caller.sub, email: normalizeEmail(caller.email), role: invitation.role },
    now.toISOString(),
  );
}

/** What the team's owners and admins see of an invitation: never the token or its hash. */
export function invitationView(invitation: Invitation, now: Date) {
  return {
    id: invitation.id,
    partnerId: invitation.partnerId,
    email: invitation.email,
    role: invitation.role,
    status: invitation.status === 'pending' && isExpired(invitation, now) ? ('expired' as const) : invitation.status,
    invitedBy: invitation.invitedBy,
    createdAt: invitation.createdAt,
    expiresAt: invitation.expiresAt,
    acceptedBy: invitation.acceptedBy,
    acceptedAt: invitation.acceptedAt,
    revokedAt: invitation.revokedAt,
  };
}
