import * as z from 'zod';
import { httpHandler } from '#middleware/http-handler';

const Me = z
  .strictObject({
    sub: z.string().describe('The Cognito sub.'),
    email: z.string().nullable(),
    groups: z.array(z.string()).describe('Cognito groups (`admin` for operators).'),
  })
  .describe('The verified claims of the ID token.');

/** Echoes the verified identity: the quickest way to check a token and the authorizer end to end. */
export const handler = httpHandler(
  { auth: 'partner', summary: "The caller's claims (sub, email, groups)", responses: { 200: Me } },
  async ({ identity }) => ({
    status: 200,
    body: { sub: identity.sub, email: identity.email ?? null, groups: identity.groups },
  }),
);
