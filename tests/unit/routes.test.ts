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
    const webhooks = ROUTES.filter((r) => r.path.startsWith('/webhooks'));
    expect(webhooks.map((r) => r.path).sort()).toEqual(['/webhooks/stripe', '/webhooks/stripe/connect']);
    const own: Record<string, string> = {
      '/webhooks/stripe': 'platformWebhookSecret',
      '/webhooks/stripe/connect': 'connectWebhookSecret',
    };
    for (const route of webhooks) {
      expect(route.auth).toBe('webhook');
      expect(route.method).toBe('POST');
      const secrets = route.access.secrets ?? [];
      expect(secrets, route.path).toContain(own[route.path]);
      const webhookSecrets = secrets.filter((name) => name.endsWith('WebhookSecret'));
      expect(webhookSecrets, route.path).toEqual([own[route.path]]);
    }
    // No other route or job can read a webhook secret.
    for (const entry of [...ROUTES, ...JOBS].filter((e) => !('path' in e && e.path.startsWith('/webhooks')))) {
      expect(
        (entry.access.secrets ?? []).filter((name) => name.endsWith('WebhookSecret')),
        entry.name,
      ).toEqual([]);
    }
  });

  it('lets every function that calls Stripe write the table, where the Stripe rate budgets are kept', () => {
    const callers = [...ROUTES, ...JOBS].filter((entry) => entry.access.stripe !== undefined);
    expect(callers.length).toBeGreaterThan(0);
    for (const entry of callers) expect(['readwrite', 'readwrite-delete'], entry.name).toContain(entry.access.table);
  });
});
