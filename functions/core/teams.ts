import { DomainError } from './errors.ts';
import type { Membership, Partner, Role } from './partner.ts';
import {
  type Caller,
  newPartner,
  type PartnerContext,
  type PartnerDeps,
  personalPartner,
  requireAllowedCountry,
  requireRole,
  resolvePartner,
} from './partner-access.ts';

/**
 * Team partners: a store or crew paid as one partner, with members by role. Owners add and remove members by
 * the email of an existing user; anyone but the owner may leave.
 */
export async function createTeam(
  deps: PartnerDeps,
  caller: Caller,
  request: { name: string; country?: string | undefined },
): Promise<PartnerContext> {
  const country = requireAllowedCountry(deps.settings, request.country ?? deps.settings.defaultCountry);
  const partner = newPartner({
    id: deps.newPartnerId(),
    kind: 'team',
    name: request.name,
    country,
    defaultCurrency: deps.settings.defaultCurrency,
    at: deps.clock.now().toISOString(),
  });
  await deps.partners.createTeamPartner(partner, { sub: caller.sub, email: caller.email, role: 'owner' });
  return { partner, role: 'owner' };
}

export async function addMember(
  deps: PartnerDeps,
  caller: Caller,
  partnerId: string,
  request: { email: string; role: Exclude<Role, 'owner'> },
): Promise<Membership> {
  const { partner } = await resolvePartner(deps, caller, partnerId, 'manage_members');
  if (partner.kind !== 'team') {
    throw new DomainError('business_rule', 'not_a_team', 'Members can only be added to team partners.');
  }
  const user = await deps.users.findByEmail(request.email.trim().toLowerCase());
  if (!user) {
    throw new DomainError('business_rule', 'user_not_found', 'No registered user has this email address.');
  }
  return deps.partners.addMember(
    partner,
    { sub: user.sub, email: user.email, role: request.role },
    deps.clock.now().toISOString(),
  );
}

export async function removeMember(deps: PartnerDeps, caller: Caller, partnerId: string, userSub: string) {
  const own = await deps.partners.membership(partnerId, caller.sub);
  if (!own) throw new DomainError('not_found', 'partner_not_found', 'No partner with this id that you belong to.');
  const leaving = userSub === caller.sub;
  if (!leaving) requireRole(own.role, 'manage_members');
  const target = leaving ? own : await deps.partners.membership(partnerId, userSub);
  if (!target) throw new DomainError('not_found', 'member_not_found', 'This user is not a member of the partner.');
  if (target.role === 'owner') {
    throw new DomainError('business_rule', 'cannot_remove_owner', 'The owner cannot be removed from the partner.');
  }
  await deps.partners.removeMember(partnerId, userSub, target.role);
}

export async function listMembers(deps: PartnerDeps, caller: Caller, partnerId: string): Promise<Membership[]> {
  await resolvePartner(deps, caller, partnerId, 'view_members');
  return deps.partners.membersOf(partnerId);
}

/** Every partner the caller belongs to, the personal one (created on first use) included. */
export async function listMyPartners(deps: PartnerDeps, caller: Caller): Promise<PartnerContext[]> {
  await personalPartner(deps, caller);
  const memberships = await deps.partners.membershipsOf(caller.sub);
  const partners = await Promise.all(memberships.map((m) => deps.partners.get(m.partnerId)));
  return memberships.flatMap((membership, index): PartnerContext[] => {
    const partner: Partner | undefined = partners[index];
    return partner ? [{ partner, role: membership.role }] : [];
  });
}
