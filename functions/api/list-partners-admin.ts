import * as z from 'zod';
import { PARTNER_STATUSES, type PartnerStatus } from '#core/partner';
import { listPartners, listPartnersDueSoon } from '#core/partner-queries';
import { adminPartnerView } from '#core/partner-views';
import { httpHandler } from '#middleware/http-handler';
import { Cursor, deps, Limit } from '#middleware/partner-request';
import { partnerSchemas } from './schemas/partners.ts';

const Query = z
  .strictObject({
    status: z.enum(PARTNER_STATUSES as [PartnerStatus, ...PartnerStatus[]]).optional(),
    /** `due_soon`: partners with a requirements deadline within REQUIREMENTS_DUE_SOON_DAYS, soonest first. */
    attention: z.enum(['due_soon']).optional(),
    cursor: Cursor.optional(),
    limit: Limit,
  })
  .refine((query) => !(query.status && query.attention), {
    message: 'status and attention cannot be combined',
    path: ['attention'],
  });

/**
 * Operators: partners newest first, optionally by status, or (`?attention=due_soon`) those with a requirements
 * deadline soon, soonest first; paginated with an opaque cursor. Admin group only.
 */
export const handler = httpHandler(
  {
    auth: 'admin',
    query: Query,
    summary: 'Every partner (operators)',
    responses: () => {
      const { PartnerPage } = partnerSchemas();
      return { 200: PartnerPage };
    },
  },
  async ({ query }) => {
    const d = deps();
    const page = query.attention === 'due_soon' ? await listPartnersDueSoon(d, query) : await listPartners(d, query);
    return { status: 200, body: { partners: page.partners.map(adminPartnerView), nextCursor: page.nextCursor } };
  },
);
