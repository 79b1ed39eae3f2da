import { invalidRequest } from '../errors.ts';
import type { RequestContext, Router } from '../router.ts';
import { connectedAccount } from './common.ts';

/** Stripe's Account Sessions are short-lived; the emulator gives them 30 minutes. */
export const ACCOUNT_SESSION_TTL_SECONDS = 1800;

/**
 * The embedded components the emulator knows by name (Stripe has more; these are the ones Connect platforms use
 * for onboarding and account management). Only `account_onboarding` is rendered by the Connect.js stand-in; the
 * others are accepted and reported as enabled.
 */
export const KNOWN_COMPONENTS = [
  'account_management',
  'account_onboarding',
  'balances',
  'documents',
  'notification_banner',
  'payments',
  'payouts',
  'payouts_list',
  'tax_settings',
] as const;

interface ComponentState {
  enabled: boolean;
  features: Record<string, boolean>;
}

function createAccountSession(ctx: RequestContext) {
  const { core, params: p } = ctx;
  const accountId = p.requiredString('account');
  const components = p.object('components', { required: true });
  if (!components) throw invalidRequest('Missing required param: components.', { param: 'components' });
  const out: Record<string, ComponentState> = {};
  for (const name of components.keys()) {
    if (!(KNOWN_COMPONENTS as readonly string[]).includes(name)) {
      throw invalidRequest(`Received unknown parameter: components[${name}]`, { param: `components[${name}]` });
    }
    const component = components.object(name, { required: true });
    const enabled = component?.bool('enabled');
    if (enabled === undefined) {
      throw invalidRequest('Missing required param: enabled.', { param: `components[${name}][enabled]` });
    }
    const features: Record<string, boolean> = {};
    const requested = component?.object('features');
    for (const feature of requested?.keys() ?? []) features[feature] = requested?.bool(feature) ?? false;
    out[name] = { enabled, features };
  }
  if (!Object.values(out).some((c) => c.enabled)) {
    throw invalidRequest('You must enable at least one embedded component.', { param: 'components' });
  }
  p.done();
  const account = connectedAccount(core, accountId, 'account');
  const now = core.now();
  const clientSecret = `${core.id('accs', 24)}_secret_${core.ids.chars(32)}`;
  core.store.accountSessions.set(clientSecret, {
    clientSecret,
    account: account.id,
    components: Object.fromEntries(Object.entries(out).map(([name, c]) => [name, { enabled: c.enabled }])),
    created: now,
    expiresAt: now + ACCOUNT_SESSION_TTL_SECONDS,
    claimed: false,
  });
  return {
    object: 'account_session',
    account: account.id,
    client_secret: clientSecret,
    components: out,
    expires_at: now + ACCOUNT_SESSION_TTL_SECONDS,
    livemode: false,
  };
}

export function registerAccountSessionRoutes(r: Router): void {
  r.post('/v1/account_sessions', createAccountSession, { platformOnly: true });
}
