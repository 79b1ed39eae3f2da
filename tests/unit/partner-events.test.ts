import { describe, expect, it } from 'vitest';
import type { OnboardingState, Partner } from '#core/partner';
import { partnerDisconnectedEvent, partnerStateEvents } from '#core/partner-events';
import { onboardingState } from '#tests/partner-fakes';

const at = new Date('2026-11-30T10:00:00Z');
const verified = onboardingState({ detailsSubmitted: true, chargesEnabled: true, payoutsEnabled: true });
const stored = (status: Partner['status'], onboarding: OnboardingState | null, version = 4) => ({
  id: 'ptn_1',
  status,
  stripeAccountId: 'acct_1',
  disconnectedAt: null,
  onboarding,
  version,
});
const written = (status: Partner['status'], state: OnboardingState) => ({ status, accountId: 'acct_1', state });

describe('partner events', () => {
  it('status_changed when the stored status changes, named by the version it replaces', () => {
    const events = partnerStateEvents(
      stored('pending_verification', onboardingState()),
      written('active', verified),
      at,
    );
    expect(events).toEqual([
      expect.objectContaining({
        type: 'partner.status_changed',
        partnerId: 'ptn_1',
        data: { partnerId: 'ptn_1', from: 'pending_verification', to: 'active' },
      }),
    ]);
    // The same change retried names the same event; the status coming back later is a new one.
    const again = partnerStateEvents(
      stored('pending_verification', onboardingState()),
      written('active', verified),
      at,
    );
    expect(again[0]?.id).toBe(events[0]?.id);
    const later = partnerStateEvents(stored('restricted', verified, 9), written('active', verified), at);
    expect(later[0]?.id).not.toBe(events[0]?.id);
  });

  it('nothing when the state read again is the same', () => {
    expect(partnerStateEvents(stored('active', verified), written('active', verified), at)).toEqual([]);
  });

  it('action_required for requirements due by a deadline, once per set of fields and deadline', () => {
    const due = { ...verified, currentlyDue: ['individual.verification.document'], currentDeadline: 1_800_000_000 };
    const [event] = partnerStateEvents(stored('active', verified), written('active', due), at);
    expect(event).toMatchObject({
      type: 'partner.action_required',
      data: { kind: 'due', fields: ['individual.verification.document'], deadline: '2027-01-15T08:00:00.000Z' },
    });
    expect(partnerStateEvents(stored('active', due), written('active', due), at)).toEqual([]);
    // Still onboarding (details not submitted): the partner is in the flow, no event.
    const onboarding = onboardingState({ currentlyDue: ['external_account'] });
    expect(partnerStateEvents(stored('not_set_up', null), written('pending_verification', onboarding), at)).toEqual([
      expect.objectContaining({ type: 'partner.status_changed' }),
    ]);
  });

  it('disconnected once per account', () => {
    const a = partnerDisconnectedEvent({ id: 'ptn_1', status: 'active' }, 'acct_1', at);
    const b = partnerDisconnectedEvent({ id: 'ptn_1', status: 'restricted' }, 'acct_1', at);
    expect(a.id).toBe(b.id);
    expect(a.data).toEqual({ partnerId: 'ptn_1', from: 'active', to: 'disconnected' });
  });
});
