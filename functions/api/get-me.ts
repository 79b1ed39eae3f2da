import { bareHandler } from '#middleware/bare-handler';

/**
 * `GET /me` echoes the verified identity: the quickest way to check a token and the authorizer end to end (its
 * contract: ./get-me.contract.ts).
 */
export const handler = bareHandler('partner', (identity) => ({
  status: 200,
  body: { sub: identity.sub, email: identity.email ?? null, groups: identity.groups },
}));
