import { describe, expect, it } from 'vitest';
import { forgedVariants, resignedUnchanged } from '#tests/forged-tokens';
import { api, uniqueEmail, user } from '#tests/local';

describe('local API Gateway + Lambda', () => {
  it('serves GET /health without a token', async () => {
    const response = await api('GET', '/health');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok' });
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
  });

  it('answers GET /me with the verified claims of a cognito-local ID token', async () => {
    const email = uniqueEmail('me');
    const alice = await user(email);
    const response = await api('GET', '/me', { token: alice.idToken });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ sub: alice.sub, email, groups: [] });
  });

  it('accepts the token with a Bearer prefix too', async () => {
    const alice = await user(uniqueEmail('bearer'));
    const response = await api('GET', '/me', { token: `Bearer ${alice.idToken}` });
    expect(response.status).toBe(200);
  });

  it('passes the admin group through from the token', async () => {
    const admin = await user(uniqueEmail('admin'), { admin: true });
    const response = await api<{ groups: string[] }>('GET', '/me', { token: admin.idToken });
    expect(response.status).toBe(200);
    expect(response.body.groups).toEqual(['admin']);
  });

  it('refuses a request without a token with 401 in the error shape, before any handler runs', async () => {
    const response = await api('GET', '/me');
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ error: { code: 'unauthenticated', message: expect.any(String) } });
  });

  it('refuses an access token (the authorizer expects ID tokens)', async () => {
    const alice = await user(uniqueEmail('access'));
    const response = await api('GET', '/me', { token: alice.accessToken });
    expect(response.status).toBe(401);
  });

  it('accepts the genuine claims re-signed unchanged with the same key (the control for the re-signed forgeries)', async () => {
    const alice = await user(uniqueEmail('resigned'));
    const response = await api<{ sub: string }>('GET', '/me', { token: resignedUnchanged(alice.idToken) });
    expect(response.status, response.text).toBe(200);
    expect(response.body.sub).toBe(alice.sub);
  });

  describe('forged tokens get 401', async () => {
    it.each([
      'alg none',
      'wrong key',
      'expired',
      'wrong audience',
      'wrong issuer',
      'access token instead of ID token',
      'tampered claims',
      'garbage',
    ])('%s', async (variant) => {
      const alice = await user(uniqueEmail('forged'));
      const token = forgedVariants(alice.idToken)[variant];
      expect(token).toBeDefined();
      const response = await api('GET', '/me', { token: token ?? '' });
      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({ error: { code: 'unauthenticated' } });
    });
  });

  it('answers an unknown route with 404 in the error shape', async () => {
    const response = await api('GET', '/no/such/route');
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ error: { code: 'route_not_found' } });
  });

  it('answers a known path with the wrong method as an unknown route', async () => {
    const response = await api('DELETE', '/health');
    expect(response.status).toBe(404);
  });
});
