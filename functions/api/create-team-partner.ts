import * as z from 'zod';
import { partnerView } from '#core/partner-views';
import { createTeam } from '#core/teams';
import { httpHandler, NoQuery } from '#middleware/http-handler';
import { Country, callerOf, deps } from '#middleware/partner-request';
import { partnerSchemas } from './schemas/partners.ts';

const Body = z.strictObject({ name: z.string().trim().min(1).max(100), country: Country.optional() });

/** Creates a team partner; the caller becomes its owner. */
export const handler = httpHandler(
  {
    auth: 'partner',
    errors: ['unsupported_country'],
    body: Body,
    query: NoQuery,
    summary: 'Create a team partner (the caller owns it)',
    responses: () => {
      const { Partner } = partnerSchemas();
      return { 201: Partner };
    },
  },
  async ({ identity, body }) => {
    const { partner, role } = await createTeam(deps(), callerOf(identity), body);
    return { status: 201, body: partnerView(partner, role) };
  },
);
