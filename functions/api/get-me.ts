import { httpHandler } from '#middleware/http-handler';

/** Echoes the verified identity: the quickest way to check a token and the authorizer end to end. */
export const handler = httpHandler({ auth: 'partner' }, async ({ identity }) => ({
  status: 200,
  body: { sub: identity.sub, email: identity.email ?? null, groups: identity.groups },
}));
