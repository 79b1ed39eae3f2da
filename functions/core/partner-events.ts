import { type DomainEvent, domainEvent } from './domain-events.ts';
import { actionRequired } from './onboarding.ts';
import type { OnboardingState, Partner, PartnerStatus } from './partner.ts';

/**
 * The domain events of a partner's onboarding state, written in the same transaction as the state (the outbox).
 *
 * - `partner.status_changed` when the status the write stores differs from the one it replaces;
 * - `partner.action_required` when Stripe asks for something by a deadline (due, overdue, or announced ahead) that
 *   the replaced state did not already ask for (another set of fields, another deadline or another kind).
 *
 * A state write replaces exactly the version it read (compare-and-set on `version`), so an occurrence is named by
 * that version: a retry of the same write names the same events, and a status that comes back later (active →
 * restricted → active) is a new occurrence.
 */
type PartnerBefore = Pick<Partner, 'id' | 'status' | 'stripeAccountId' | 'disconnectedAt' | 'onboarding' | 'version'>;

/** What the write stores (a `StateWrite`'s parts). */
export interface PartnerAfter {
  status: PartnerStatus;
  accountId: string;
  state: OnboardingState;
}

export function partnerStateEvents(before: PartnerBefore, after: PartnerAfter, at: Date): DomainEvent[] {
  const events: DomainEvent[] = [];
  if (before.status !== after.status) {
    events.push(
      domainEvent(
        'partner.status_changed',
        `${before.id}:v${before.version}:status:${after.status}`,
        { partnerId: before.id, from: before.status, to: after.status },
        at,
        before.id,
      ),
    );
  }
  const asked = actionRequired({ stripeAccountId: after.accountId, onboarding: after.state, disconnectedAt: null });
  const previously = actionRequired(before);
  if (asked && asked.kind !== 'onboarding') {
    const same =
      previously?.kind === asked.kind &&
      previously.deadline === asked.deadline &&
      previously.fields.join(',') === asked.fields.join(',');
    if (!same) {
      events.push(
        domainEvent(
          'partner.action_required',
          `${before.id}:v${before.version}:action:${asked.kind}`,
          { partnerId: before.id, kind: asked.kind, fields: asked.fields, deadline: asked.deadline },
          at,
          before.id,
        ),
      );
    }
  }
  return events;
}

/** The account was disconnected from the platform (deauthorized): once per account. */
export function partnerDisconnectedEvent(partner: Pick<Partner, 'id' | 'status'>, accountId: string, at: Date) {
  return domainEvent(
    'partner.status_changed',
    `${partner.id}:disconnected:${accountId}`,
    { partnerId: partner.id, from: partner.status, to: 'disconnected' },
    at,
    partner.id,
  );
}
