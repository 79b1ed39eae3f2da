import { describe, expect, it } from 'vitest';
import { signOnboardingState, verifyOnboardingState } from '#core/signed-state';

const KEY = 'k'.repeat(64);
const now = new Date('2026-03-01T12:00:00Z');
const inAnHour = Math.floor(now.getTime() / 1000) + 3600;

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return 'no error';
};

describe('onboarding state', () => {
  it('round-trips partner id, member, state version and expiry', () => {
    const token = signOnboardingState(KEY, {
      partnerId: 'ptn_abc',
      userSub: 'sub-1',
      stateVersion: 0,
      expiresAt: inAnHour,
    });
    expect(verifyOnboardingState(KEY, token, now)).toEqual({
      partnerId: 'ptn_abc',
      userSub: 'sub-1',
      stateVersion: 0,
      expiresAt: inAnHour,
    });
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  });

  it('refuses an expired state', () => {
    const token = signOnboardingState(KEY, {
      partnerId: 'ptn_abc',
      userSub: 'sub-1',
      stateVersion: 0,
      expiresAt: inAnHour,
    });
    expect(code(() => verifyOnboardingState(KEY, token, new Date((inAnHour + 1) * 1000)))).toBe('expired_state');
  });

  it('refuses a state whose payload was changed (another partner, member or version, a later expiry)', () => {
    const token = signOnboardingState(KEY, {
      partnerId: 'ptn_abc',
      userSub: 'sub-1',
      stateVersion: 0,
      expiresAt: inAnHour,
    });
    const [, mac] = token.split('.');
    for (const payload of [
      { p: 'ptn_other', s: 'sub-1', v: 0, e: inAnHour },
      { p: 'ptn_abc', s: 'sub-2', v: 0, e: inAnHour },
      { p: 'ptn_abc', s: 'sub-1', v: 1, e: inAnHour },
      { p: 'ptn_abc', s: 'sub-1', v: 0, e: inAnHour + 86_400 },
      { p: 'ptn_abc', e: inAnHour },
    ]) {
      const forged = `${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${mac}`;
      expect(code(() => verifyOnboardingState(KEY, forged, now))).toBe('invalid_state');
    }
  });

  it('refuses a state signed with another key, a truncated MAC and garbage', () => {
    const other = signOnboardingState('another-key', {
      partnerId: 'ptn_abc',
      userSub: 'sub-1',
      stateVersion: 0,
      expiresAt: inAnHour,
    });
    const token = signOnboardingState(KEY, {
      partnerId: 'ptn_abc',
      userSub: 'sub-1',
      stateVersion: 0,
      expiresAt: inAnHour,
    });
    for (const bad of [other, token.slice(0, -4), '', 'a.b.c', 'no-dot', `${'x'.repeat(600)}.y`]) {
      expect(code(() => verifyOnboardingState(KEY, bad, now))).toBe('invalid_state');
    }
  });

  it('refuses a well-signed payload of the wrong shape', () => {
    // Same key, same purpose label, but not our JSON: still refused.
    const token = signOnboardingState(KEY, { partnerId: '', userSub: 'sub-1', stateVersion: 0, expiresAt: inAnHour });
    expect(code(() => verifyOnboardingState(KEY, token, now))).toBe('invalid_state');
  });
});
