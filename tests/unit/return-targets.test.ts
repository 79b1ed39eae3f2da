import { describe, expect, it } from 'vitest';
import { parseConfig } from '#config';
import { allowedReturnTarget, appTargetWith, returnTargetEntry } from '#core/return-targets';
import { signOnboardingState, verifyOnboardingState } from '#core/signed-state';

const ALLOW = ['https://partners.example.com', 'umuvepro://'];

describe('return target allow-list', () => {
  it('canonicalises entries and refuses what is neither an https origin nor an app scheme', () => {
    expect(returnTargetEntry('https://Partners.Example.com/')).toBe('https://partners.example.com');
    expect(returnTargetEntry('https://partners.example.com:443')).toBe('https://partners.example.com');
    expect(returnTargetEntry('https://partners.example.com:8443')).toBe('https://partners.example.com:8443');
    expect(returnTargetEntry('UmuvePro://')).toBe('umuvepro://');
    for (const bad of [
      'http://partners.example.com',
      'https://partners.example.com/back',
      'https://user@partners.example.com',
      'javascript://',
      'https://',
      'umuvepro://stripe-return',
      'intent://',
      '*.example.com',
    ]) {
      expect(returnTargetEntry(bad), bad).toBeNull();
    }
  });

  it('follows exact origins and schemes only', () => {
    expect(allowedReturnTarget('https://partners.example.com/back?x=1', ALLOW)).toBe(
      'https://partners.example.com/back?x=1',
    );
    expect(allowedReturnTarget('HTTPS://PARTNERS.EXAMPLE.COM:443/back', ALLOW)).toBe(
      'https://partners.example.com/back',
    );
    expect(allowedReturnTarget('umuvepro://stripe-return', ALLOW)).toBe('umuvepro://stripe-return');
    for (const bad of [
      'https://partners.example.com.evil.com/',
      'https://evilpartners.example.com/',
      'https://partners.example.com@evil.com/',
      'https://evil.com\\@partners.example.com/',
      'https://partners.example.com:444/',
      'http://partners.example.com/',
      'https://xn--prtners-9ya.example.com/',
      'https://pаrtners.example.com/',
      'umuvepro:stripe-return',
      'umuvepro://a:b@stripe-return',
      'umuvepro2://stripe-return',
      ' umuvepro://stripe-return',
      'umuvepro://stripe-return\n',
      `umuvepro://${'a'.repeat(600)}`,
      '/relative',
      '',
    ]) {
      expect(allowedReturnTarget(bad, ALLOW), bad).toBeNull();
    }
    // Positive control for the lookalikes: the list is what allows, nothing else.
    expect(
      allowedReturnTarget('https://partners.example.com.evil.com/', ['https://partners.example.com.evil.com']),
    ).not.toBeNull();
  });

  it('adds the status to the target, keeping its own query', () => {
    expect(appTargetWith('umuvepro://stripe-return', 'active')).toBe('umuvepro://stripe-return?status=active');
    expect(appTargetWith('https://partners.example.com/back?x=1&status=forged', 'link_expired')).toBe(
      'https://partners.example.com/back?x=1&status=link_expired',
    );
  });

  it('the stage configuration refuses a bad entry, naming it', () => {
    const base = {
      STAGE: 'local',
      TABLE_NAME: 't',
      USER_POOL_ID: 'p',
      PAYOUT_QUEUE_URL: 'q',
      API_BASE_URL: 'https://api.example.com',
    };
    expect(
      parseConfig({ ...base, ALLOWED_RETURN_TARGETS: 'https://a.example.com/, umuvepro://' }).ALLOWED_RETURN_TARGETS,
    ).toEqual(['https://a.example.com', 'umuvepro://']);
    expect(() => parseConfig({ ...base, ALLOWED_RETURN_TARGETS: 'http://a.example.com' })).toThrow(
      /ALLOWED_RETURN_TARGETS.*http:\/\/a\.example\.com/,
    );
  });

  it('the signed state carries the targets and cannot be changed on the way', () => {
    const payload = {
      partnerId: 'ptn_1',
      userSub: 'sub',
      stateVersion: 0,
      expiresAt: 2_000_000_000,
      returnTo: 'umuvepro://stripe-return',
      refreshTo: 'umuvepro://stripe-refresh',
    };
    const token = signOnboardingState('k', payload);
    expect(verifyOnboardingState('k', token, new Date(0))).toEqual(payload);
    const [body, mac] = token.split('.');
    const claims = JSON.parse(Buffer.from(body ?? '', 'base64url').toString('utf8'));
    const swapped = Buffer.from(JSON.stringify({ ...claims, r: 'https://evil.example/' })).toString('base64url');
    expect(() => verifyOnboardingState('k', `${swapped}.${mac}`, new Date(0))).toThrow(/not valid/);
  });
});
