import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { JOBS, ROUTES } from '#routes';

describe('route table', () => {
  it('names every route and job uniquely', () => {
    const names = [...ROUTES, ...JOBS].map((entry) => entry.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('has one route per method and path', () => {
    const keys = ROUTES.map((route) => `${route.method} ${route.path}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('points every entry at an existing handler file', () => {
    for (const entry of [...ROUTES, ...JOBS]) expect(existsSync(entry.handler), entry.handler).toBe(true);
  });

  it('keeps webhooks off the authorizer and gives them only their own secret', () => {
    for (const route of ROUTES.filter((r) => r.path.startsWith('/webhooks'))) {
      expect(route.auth).toBe('webhook');
      expect(route.method).toBe('POST');
    }
  });

  it('lets every function that calls Stripe write the table, where the Stripe rate budgets are kept', () => {
    const callers = [...ROUTES, ...JOBS].filter((entry) => entry.access.secrets?.includes('stripeApiKey'));
    expect(callers.length).toBeGreaterThan(0);
    for (const entry of callers) expect(entry.access.table, entry.name).toBe('readwrite');
  });
});
