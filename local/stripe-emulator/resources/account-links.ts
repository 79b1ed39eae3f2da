import { invalidRequest } from '../errors.ts';
import type { RequestContext, Router } from '../router.ts';
import type { AccountLink } from '../types.ts';
import { connectedAccount } from './common.ts';

/** Stripe's account links expire a few minutes after creation. */
export const ACCOUNT_LINK_TTL_SECONDS = 300;

function checkUrl(value: string, param: string): string {
  try {
    const u = new URL(value);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
    return value;
  } catch {
    throw invalidRequest(`Not a valid URL`, { param, code: 'url_invalid' });
  }
}

function createAccountLink(ctx: RequestContext): AccountLink {
  const { core, params: p } = ctx;
  const accountId = p.requiredString('account');
  const type = p.requiredString('type', { enum: ['account_onboarding', 'account_update'] }) as
    | 'account_onboarding'
    | 'account_update';
  const refreshUrl = checkUrl(p.requiredString('refresh_url'), 'refresh_url');
  const returnUrl = checkUrl(p.requiredString('return_url'), 'return_url');
  const options = p.object('collection_options');
  const collectionOptions = options
    ? {
        fields: options.string('fields', { enum: ['currently_due', 'eventually_due'] }) ?? 'currently_due',
        future_requirements: options.string('future_requirements', { enum: ['include', 'omit'] }) ?? 'omit',
      }
    : null;
  const collect = p.string('collect', { enum: ['currently_due', 'eventually_due'] });
  if (collect && options) {
    throw invalidRequest('You cannot specify both `collect` and `collection_options`. Use `collection_options`.', {
      param: 'collect',
    });
  }
  p.done();
  const account = connectedAccount(core, accountId, 'account');
  if (type === 'account_update' && !account.details_submitted) {
    throw invalidRequest(
      `You cannot create an account_update Account Link for ${account.id} because it has not completed onboarding. Use type=account_onboarding.`,
      { param: 'type' },
    );
  }
  const now = core.now();
  const token = core.id('acctlink', 24);
  core.store.accountLinks.set(token, {
    token,
    account: account.id,
    type,
    refreshUrl,
    returnUrl,
    created: now,
    expiresAt: now + ACCOUNT_LINK_TTL_SECONDS,
    state: 'fresh',
    sessionToken: null,
    collectionOptions: collectionOptions ?? { fields: collect ?? 'currently_due', future_requirements: 'omit' },
  });
  return {
    object: 'account_link',
    created: now,
    expires_at: now + ACCOUNT_LINK_TTL_SECONDS,
    url: `${core.baseUrl}/hosted/onboarding/${token}`,
  };
}

export function registerAccountLinkRoutes(r: Router): void {
  r.post('/v1/account_links', createAccountLink, { platformOnly: true });
}
