import { fail } from './errors.ts';
import type { Membership, Partner } from './partner.ts';
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
 * Team partners: a store or crew paid as one partner, with members by role. Members join by invitation
 * (`invitations.ts`); owners remove them; anyone but the owner may leave.
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
    contactEmail: caller.email,
    at: deps.clock.now().toISOString(),
  });
  await deps.partners.createTeamPartner(partner, { sub: caller.sub, email: caller.email, role: 'owner' });
  return { partner, role: 'owner' };
}

/**
 * The address Stripe gets for the partner's Express account (the owner changes it here). An account that already
 * exists keeps the address it was created with at Stripe; the partner changes it in the Express Dashboard.
 */
export async function setContactEmail(
  deps: PartnerDeps,
  caller: Caller,
  partnerId: string,
  email: string,
): Promise<PartnerContext> {
  const { partner, role } = await resolvePartner(deps, caller, partnerId, 'manage_members');
  const normalized = email.trim().toLowerCase();
  if (partner.contactEmail === normalized) return { partner, role }; // unchanged: nothing to write
  const updated = await deps.partners.setContactEmail(partner.id, normalized, deps.clock.now().toISOString());
  return { partner: updated, role };
}

/**
 * The owner removes a member, or a member leaves. It takes effect at once: the membership is gone and the partner's
 * state version moves on, so onboarding links issued to anyone before are refused.
 */
export async function removeMember(deps: PartnerDeps, caller: Caller, partnerId: string, userSub: string) {
  const own = await deps.partners.membership(partnerId, caller.sub);
  if (!own) fail('partner_not_found');
  const leaving = userSub === caller.sub;
  if (!leaving) requireRole(own.role, 'manage_members');
  const target = leaving ? own : await deps.partners.membership(partnerId, userSub);
  if (!target) fail('member_not_found');
  if (target.role === 'owner') {
    fail('cannot_remove_owner');
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
